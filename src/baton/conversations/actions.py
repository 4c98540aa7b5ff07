"""Every write to contacts, conversations and messages.

Each ``do_*`` function runs in one transaction: it changes the rows (conditional updates
or row locks, correct on PostgreSQL and SQLite), and queues the live event for after commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from baton.agents.models import Presence, Team, User
from baton.conversations.models import (
    CUSTOMER_SERVICE_WINDOW,
    MEDIA_TYPES,
    STATUS_RANK,
    AuditEvent,
    Contact,
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    EventKind,
    MediaState,
    Message,
    MessageType,
)
from baton.conversations.queries import owner_label
from baton.conversations.serializers import conversation_dict, message_dict
from baton.core.errors import InvalidInput, WindowClosed
from baton.realtime.event_types import build_event
from baton.realtime.events import (
    ADMINS_GROUP,
    EVERYONE_GROUP,
    EventType,
    conversation_group,
    send_event_on_commit,
    team_group,
    user_group,
)
from baton.routing.rule_actions import do_apply_routing_rules
from baton.whatsapp.models import Inbox, MessageTemplate, TemplateStatus
from baton.whatsapp.parsing import ContactProfile, InboundMessage, StatusUpdate

logger = logging.getLogger("baton.conversations")

MAX_TEXT_LENGTH = 4096

# ------------------------------------------------------------------------------------------
# Audiences


def conversation_audience(conversation: Conversation) -> list[str]:
    """Who may see this conversation live: its owner, its team (with the team's managers),
    admins, open viewers."""
    groups = [ADMINS_GROUP, conversation_group(conversation.pk)]
    if conversation.team_id:
        groups.append(team_group(conversation.team_id))
    else:
        groups.append(EVERYONE_GROUP)
    if conversation.owner_id:
        groups.append(user_group(conversation.owner_id))
    return groups


def notify_conversation(conversation: Conversation, event_type: EventType) -> None:
    send_event_on_commit(
        build_event(event_type, {"conversation": _jsonable(conversation_dict(conversation))}),
        conversation_audience(conversation),
    )


def notify_message(message: Message, event_type: EventType) -> None:
    payload = {"conversation_id": message.conversation_id, "message": message_dict(message)}
    send_event_on_commit(
        build_event(event_type, _jsonable(payload)), conversation_audience(message.conversation)
    )


def _jsonable(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_jsonable(v) for v in data]
    if isinstance(data, datetime):
        return data.isoformat()
    return data


# ------------------------------------------------------------------------------------------
# Inbound


def preview_of(msg_type: str, text: str) -> str:
    label = {
        MessageType.IMAGE: "📷 Photo",
        MessageType.VIDEO: "🎥 Video",
        MessageType.AUDIO: "🎤 Audio",
        MessageType.DOCUMENT: "📄 Document",
        MessageType.STICKER: "Sticker",
        MessageType.LOCATION: "📍 Location",
        MessageType.CONTACTS: "👤 Contact",
        MessageType.ORDER: "🛒 Order",
        MessageType.TEMPLATE: "Template",
        MessageType.UNSUPPORTED: "Unsupported message",
    }.get(MessageType(msg_type) if msg_type in MessageType.values else MessageType.UNSUPPORTED)
    if label and text:
        return f"{label}: {text}"[:200]
    return (text or label or msg_type)[:200]


def default_team() -> Team | None:
    return Team.objects.filter(is_default=True).first()


def lock_contact(wa_id: str | None, user_id: str | None, profile: ContactProfile | None) -> Contact:
    """Find the contact by BSUID or wa_id and lock its row, creating it if new.

    The row lock serialises all inbound work for one customer (PostgreSQL; SQLite already
    serialises writers with BEGIN IMMEDIATE). Must run inside a transaction.
    """
    identity = Q()
    if user_id:
        identity |= Q(user_id=user_id)
    if wa_id:
        identity |= Q(wa_id=wa_id)
    for _ in range(3):
        found = list(Contact.objects.select_for_update().filter(identity)[:2])
        # Prefer the BSUID match: it is the stable identity (PROTOCOL §8.2).
        found.sort(key=lambda c: 0 if user_id and c.user_id == user_id else 1)
        contact = found[0] if found else None
        if contact is None:
            try:
                with transaction.atomic():
                    return Contact.objects.create(
                        user_id=user_id, wa_id=wa_id, **_profile_fields(profile)
                    )
            except IntegrityError:
                # A concurrent transaction created this contact and committed: read it again.
                continue
        _update_contact_identity(contact, wa_id, user_id, profile)
        return contact
    raise RuntimeError("could not create or find contact")


def _update_contact_identity(
    contact: Contact, wa_id: str | None, user_id: str | None, profile: ContactProfile | None
) -> None:
    """Record what a later webhook reveals: a BSUID, a phone number, a new profile name."""
    changes: dict[str, Any] = {}
    if user_id and contact.user_id != user_id:
        changes["user_id"] = user_id
    if wa_id and not contact.wa_id:
        changes["wa_id"] = wa_id
    for field, value in _profile_fields(profile).items():
        if value and getattr(contact, field) != value:
            changes[field] = value
    if not changes:
        return
    try:
        with transaction.atomic():
            Contact.objects.filter(pk=contact.pk).update(updated_at=timezone.now(), **changes)
    except IntegrityError:
        logger.warning("contact %s: could not record identity %s", contact.pk, changes)
    else:
        for field, value in changes.items():
            setattr(contact, field, value)


def _profile_fields(profile: ContactProfile | None) -> dict[str, str]:
    """What the profile says about a contact, cut to the columns: a customer's very long
    display name is still their name, and must not cost them their message."""
    if profile is None:
        return {"profile_name": "", "username": "", "parent_user_id": ""}
    return {
        field: getattr(profile, field)[: contact_column_length(field)]
        for field in ("profile_name", "username", "parent_user_id")
    }


def contact_column_length(field: str) -> int:
    return int(getattr(Contact._meta.get_field(field), "max_length", 0) or 0)


class Opened(StrEnum):
    """How the inbound message found its conversation."""

    EXISTING = "existing"  # an open conversation continues
    REOPENED = "reopened"  # a resolved one, back to its last owner or queue
    CREATED = "created"  # a brand-new conversation: routing rules decide where it goes


def _open_conversation_for(inbox: Inbox, contact: Contact) -> tuple[Conversation, Opened]:
    """The contact's open conversation on this inbox, reopening or creating one.

    Precondition: the caller holds the contact's row lock (or SQLite's write lock), so no
    other transaction can open a second conversation for this contact meanwhile; the
    partial unique index backs this up.
    """
    # Locked, then read: a release, handoff or resolve committing meanwhile is seen (or
    # waits), so the status changes below never overwrite it. Lock order: contact, then
    # conversation, as nowhere locks them the other way round.
    open_id = (
        Conversation.objects.select_for_update()
        .filter(inbox=inbox, contact=contact)
        .exclude(status=ConversationStatus.RESOLVED)
        .values_list("pk", flat=True)
        .first()
    )
    conversation = (
        Conversation.objects.select_related("owner", "team").filter(pk=open_id).first()
        if open_id is not None
        else None
    )
    if conversation is not None and conversation.status == ConversationStatus.RESOLVED:
        conversation = None  # resolved while we waited for the lock
    opened = Opened.EXISTING
    if conversation is None:
        last = (
            Conversation.objects.select_related("last_owner")
            .filter(inbox=inbox, contact=contact, status=ConversationStatus.RESOLVED)
            .order_by("-created_at")
            .first()
        )
        if last is not None:
            conversation = _reopen_for_customer(last)
            opened = Opened.REOPENED
        else:
            conversation = Conversation.objects.create(
                inbox=inbox,
                contact=contact,
                status=ConversationStatus.QUEUED,
                team=inbox.default_team or default_team(),
            )
            opened = Opened.CREATED
    conversation.inbox = inbox
    conversation.contact = contact
    return conversation, opened


def is_available(user: User | None, team: Team | None = None) -> bool:
    """May this agent be handed work right now: present, on shift (in ``team``) and under
    capacity? Call inside a transaction: it locks the agent's row like the assignment
    engine does, so capacity cannot be taken twice."""
    if user is None or not user.is_active or user.is_bot or user.presence != Presence.AVAILABLE:
        return False
    from baton.routing.candidates import is_agent_assignable

    return is_agent_assignable(user, team, timezone.now(), lock=True)


def _reopen_for_customer(conversation: Conversation) -> Conversation:
    """A resolved conversation the customer writes to again: back to its last owner when
    they are available, else to the team's queue. Caller holds the contact lock."""
    from baton.conversations import lifecycle
    from baton.conversations.models import AuditEvent, EventKind

    last_owner = conversation.last_owner
    to_owner = last_owner if is_available(last_owner, conversation.team) else None
    action = lifecycle.Action.REOPEN_TO_OWNER if to_owner else lifecycle.Action.REOPEN_TO_QUEUE
    new_status = lifecycle.next_status(conversation.status, action)
    reopened = Conversation.objects.filter(
        pk=conversation.pk, status=ConversationStatus.RESOLVED
    ).update(status=new_status, owner=to_owner, resolved_at=None)
    if not reopened:
        # Someone (a manager's reopen) got there first: record nothing that did not happen.
        return Conversation.objects.select_related("owner", "team").get(pk=conversation.pk)
    AuditEvent.objects.create(
        conversation=conversation,
        kind=EventKind.REOPENED,
        to_owner=to_owner,
        from_status=ConversationStatus.RESOLVED,
        to_status=new_status,
        reason="the customer wrote again"
        + ("" if to_owner else f"; {last_owner.username} is not available" if last_owner else ""),
    )
    return Conversation.objects.select_related("owner", "team").get(pk=conversation.pk)


def do_receive_message(inbox: Inbox, inbound: InboundMessage) -> Message | None:
    """Store one inbound WhatsApp message. Returns None for a duplicate wamid."""
    with transaction.atomic():
        contact = lock_contact(inbound.from_wa_id, inbound.from_user_id, inbound.contact)
        # Checked under the contact lock: a redelivery racing the original waits above and
        # then sees it. The unique wamid index is the last line of defence.
        if Message.objects.filter(wamid=inbound.wamid).exists():
            return None
        conversation, opened = _open_conversation_for(inbox, contact)
        reply_to = None
        if inbound.reply_to_wamid:
            reply_to = (
                messages_of_customer(inbox, contact)
                .filter(wamid=inbound.reply_to_wamid)
                .only("pk")
                .first()
            )
        media = inbound.media
        message = Message.objects.create(
            conversation=conversation,
            direction=Direction.INBOUND,
            type=inbound.type,
            wamid=inbound.wamid,
            text=inbound.text,
            content=inbound.content,
            context=inbound.context,
            reply_to=reply_to,
            media_id=media.media_id if media else "",
            media_mime_type=media.mime_type if media else "",
            media_sha256=media.sha256 if media else "",
            media_filename=media.filename if media else "",
            media_state=MediaState.PENDING if media else MediaState.NONE,
            status=DeliveryStatus.RECEIVED,
            raw=inbound.raw,
            timestamp=inbound.timestamp,
        )
        message.conversation = conversation
        if opened == Opened.CREATED:
            # Before any event is queued: the conversation is first seen in the rule's team.
            do_apply_routing_rules(conversation, message)
        _apply_side_effects(message, inbound, contact)
        _touch_conversation_on_inbound(conversation, message)
        if media:
            from baton.whatsapp.tasks import download_media

            download_media.enqueue(message.pk)
        if opened != Opened.EXISTING and conversation.status == ConversationStatus.QUEUED:
            from baton.routing.tasks import request_assignment

            request_assignment([conversation.team_id])
        notify_conversation(
            conversation,
            EventType.CONVERSATION_UPDATED
            if opened == Opened.EXISTING
            else EventType.CONVERSATION_CREATED,
        )
        notify_message(message, EventType.MESSAGE_CREATED)
    return message


def _touch_conversation_on_inbound(conversation: Conversation, message: Message) -> None:
    ts = message.timestamp
    fields: dict[str, Any] = {}
    if conversation.last_inbound_at is None or ts > conversation.last_inbound_at:
        fields["last_inbound_at"] = ts
        fields["window_ends_at"] = ts + CUSTOMER_SERVICE_WINDOW
    is_newest = conversation.last_message_at is None or ts >= conversation.last_message_at
    if is_newest and message.type not in (
        MessageType.REACTION,
        MessageType.REVOKE,
        MessageType.EDIT,
    ):
        fields["last_message_at"] = ts
        fields["last_message_preview"] = preview_of(message.type, message.text)
    if conversation.waiting_since is None and message.type not in (
        MessageType.REACTION,
        MessageType.REVOKE,
        MessageType.EDIT,
        MessageType.SYSTEM,
    ):
        fields["waiting_since"] = ts
    from baton.conversations import lifecycle

    if conversation.owner_id and lifecycle.is_allowed(
        conversation.status, lifecycle.Action.CUSTOMER_REPLIED
    ):
        # The customer answered a pending or snoozed chat: the ball is back in our court.
        from baton.conversations.models import AuditEvent, EventKind

        new_status = lifecycle.next_status(conversation.status, lifecycle.Action.CUSTOMER_REPLIED)
        AuditEvent.objects.create(
            conversation=conversation,
            kind=EventKind.CUSTOMER_REPLIED,
            from_owner=conversation.owner,
            to_owner=conversation.owner,
            from_status=conversation.status,
            to_status=new_status,
        )
        fields["status"] = new_status
        fields["snoozed_until"] = None
    if fields:
        Conversation.objects.filter(pk=conversation.pk).update(**fields)
        for key, value in fields.items():
            setattr(conversation, key, value)


def messages_of_customer(inbox: Inbox, contact: Contact) -> QuerySet[Message]:
    """The messages of one customer's chats with one of our numbers: the only ones a message
    of that customer, arriving on that number, may refer to (reply, react, edit, delete).

    A wamid alone is not enough: customer X must not edit, delete or react to customer V's
    message, and a webhook of number B must not reach a chat of number A.
    """
    return Message.objects.filter(conversation__inbox=inbox, conversation__contact=contact)


def _apply_side_effects(message: Message, inbound: InboundMessage, contact: Contact) -> None:
    """Reactions, edits, revokes and number changes also change earlier records."""
    content = inbound.content
    inbox = message.conversation.inbox
    if inbound.type == MessageType.REACTION and content.get("message_id"):
        target = messages_of_customer(inbox, contact).filter(wamid=content["message_id"]).first()
        if target is not None:
            reactions = dict(target.reactions)
            if content.get("emoji"):
                reactions["customer"] = content["emoji"]
            else:
                reactions.pop("customer", None)
            Message.objects.filter(pk=target.pk).update(reactions=reactions)
            target.reactions = reactions
            notify_message(target, EventType.MESSAGE_UPDATED)
    elif inbound.type in (MessageType.EDIT, MessageType.REVOKE) and content.get(
        "original_message_id"
    ):
        # Only the customer's own messages can be edited or deleted by the customer.
        target = (
            messages_of_customer(inbox, contact)
            .filter(wamid=content["original_message_id"], direction=Direction.INBOUND)
            .first()
        )
        if target is not None:
            new_content = dict(target.content)
            if inbound.type == MessageType.EDIT:
                new_content.setdefault("edit_history", []).append(target.text)
                new_content["edited"] = True
                Message.objects.filter(pk=target.pk).update(text=inbound.text, content=new_content)
                target.text = inbound.text
            else:
                new_content["revoked"] = True
                Message.objects.filter(pk=target.pk).update(content=new_content)
            target.content = new_content
            notify_message(target, EventType.MESSAGE_UPDATED)
    elif inbound.type == MessageType.SYSTEM and content.get("type") == "user_changed_number":
        new_wa_id = content.get("wa_id")
        if (
            is_plausible_wa_id(new_wa_id)
            and not Contact.objects.filter(wa_id=new_wa_id).exclude(pk=contact.pk).exists()
        ):
            Contact.objects.filter(pk=contact.pk).update(wa_id=new_wa_id, updated_at=timezone.now())


def is_plausible_wa_id(value: Any) -> bool:
    """A phone number as WhatsApp writes it: digits only, and short enough to store."""
    return (
        isinstance(value, str) and value.isdigit() and len(value) <= contact_column_length("wa_id")
    )


# ------------------------------------------------------------------------------------------
# Delivery statuses


def do_apply_status(inbox: Inbox, update: StatusUpdate) -> Message | None:
    """Move an outbound message's status forward; never backwards, never out of `failed`.

    Returns the message, or None when no message of ours matches (caller dead-letters it).
    Only messages sent from ``inbox`` are considered: a status arriving through another
    number's webhook never changes them.
    """
    new_status = DeliveryStatus(update.status)
    rank = STATUS_RANK[new_status]
    sent_from_inbox = Message.objects.filter(
        conversation__inbox=inbox, direction=Direction.OUTBOUND
    )
    with transaction.atomic():
        message = sent_from_inbox.filter(wamid=update.wamid).select_related("conversation").first()
        if message is None and update.callback_data.startswith("baton:"):
            # The send's response was lost (crash, timeout) but WhatsApp accepted it: our own
            # id, echoed in biz_opaque_callback_data, ties the status to the message.
            our_id = update.callback_data.removeprefix("baton:")
            if our_id.isdigit() and len(our_id) < 19:
                message = (
                    sent_from_inbox.filter(pk=int(our_id))
                    .filter(Q(wamid__isnull=True) | Q(wamid=update.wamid))
                    .select_related("conversation")
                    .first()
                )
                if message is not None:
                    Message.objects.filter(pk=message.pk, wamid__isnull=True).update(
                        wamid=update.wamid
                    )
                    message.wamid = update.wamid
        if message is None:
            return None
        fields: dict[str, Any] = {"status": new_status, "status_rank": rank}
        timestamp_field = {
            DeliveryStatus.SENT: "sent_at",
            DeliveryStatus.DELIVERED: "delivered_at",
            DeliveryStatus.READ: "read_at",
            DeliveryStatus.PLAYED: "read_at",
            DeliveryStatus.FAILED: "failed_at",
        }[new_status]
        fields[timestamp_field] = update.timestamp
        if new_status == DeliveryStatus.FAILED:
            error = update.errors[0] if update.errors else None
            fields["error_code"] = error.code if error else None
            fields["error_title"] = ((error.title if error else "") or "Failed")[:255]
            fields["error_details"] = (error.details if error else "") or ""
        # Conditional update: only a higher rank wins, so reordered or repeated webhooks
        # (a late `delivered` after `read`) change nothing, and `failed` (rank 9) is final.
        changed = Message.objects.filter(pk=message.pk, status_rank__lt=rank).update(**fields)
        if changed:
            for key, value in fields.items():
                setattr(message, key, value)
        steps = IMPLIED_TIMESTAMPS.get(new_status, [])
        if steps:
            # Whatever the order, keep the earliest time seen for each step, and let a
            # later step stand in for a webhook that never came (read implies delivered).
            at = Value(update.timestamp)
            Message.objects.filter(pk=message.pk).update(
                **{step: Least(Coalesce(F(step), at), at) for step in steps}
            )
            message.refresh_from_db(fields=steps)
        if changed:
            notify_message(message, EventType.MESSAGE_UPDATED)
    return message


# The timestamp a status sets, and the earlier steps it proves happened.
IMPLIED_TIMESTAMPS: dict[str, list[str]] = {
    DeliveryStatus.SENT: ["sent_at"],
    DeliveryStatus.DELIVERED: ["sent_at", "delivered_at"],
    DeliveryStatus.READ: ["sent_at", "delivered_at", "read_at"],
    DeliveryStatus.PLAYED: ["sent_at", "delivered_at", "read_at"],
}


# ------------------------------------------------------------------------------------------
# Outbound


def _base_body(conversation: Conversation) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": conversation.contact.send_address,
    }


def template_body(template: dict[str, Any]) -> dict[str, Any]:
    """Graph API ``template`` object from Baton's simpler form.

    Accepts ``{"name", "language", "parameters": [..]}`` (body text parameters) or Meta's own
    ``components`` list, passed through.
    """
    name = str(template.get("name") or "").strip()
    if not name:
        raise InvalidInput("A template needs a name.")
    language = template.get("language") or "en_US"
    if isinstance(language, dict):
        language = language.get("code") or "en_US"
    body: dict[str, Any] = {"name": name, "language": {"code": str(language)}}
    if template.get("components"):
        body["components"] = template["components"]
    elif template.get("parameters"):
        params = template["parameters"]
        if not isinstance(params, list):
            raise InvalidInput("Template parameters must be a list.")
        body["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": str(p)} for p in params]}
        ]
    return body


def do_queue_outbound_message(
    conversation: Conversation,
    author: User | None,
    *,
    text: str | None = None,
    template: dict[str, Any] | None = None,
    reply_to: Message | None = None,
    media_file: Any = None,
    media_type: str | None = None,
    reaction: tuple[Message, str] | None = None,
) -> Message:
    """Create a queued outbound message and enqueue its send, in one transaction.

    The send task row is written in the same transaction as the message (the task backend
    is the database), so an accepted reply can never be lost between the two.
    """
    now = timezone.now()
    body = _base_body(conversation)
    if reply_to is not None and reply_to.wamid:
        body["context"] = {"message_id": reply_to.wamid}
    if template is not None:
        msg_type = MessageType.TEMPLATE
        body["type"] = "template"
        body["template"] = template_body(template)
        shown_text = f"Template {body['template']['name']}"
        params = template.get("parameters") or []
        if params:
            shown_text += ": " + ", ".join(str(p) for p in params)
    else:
        if not conversation.window_is_open(now):
            raise WindowClosed(
                "The 24-hour customer-service window is closed: the customer last wrote more "
                "than 24 hours ago. Send an approved template to reopen the conversation.",
                window_ends_at=conversation.window_ends_at.isoformat()
                if conversation.window_ends_at
                else None,
            )
        if reaction is not None:
            target, emoji = reaction
            if target.conversation_id != conversation.pk or not target.wamid:
                raise InvalidInput(
                    "Only a WhatsApp message of this conversation can be reacted to."
                )
            msg_type = MessageType.REACTION
            body["type"] = "reaction"
            body["reaction"] = {"message_id": target.wamid, "emoji": emoji}
            body.pop("context", None)
            shown_text = emoji
        elif media_file is not None:
            msg_type = MessageType(media_type or "document")
            if msg_type not in MEDIA_TYPES:
                raise InvalidInput(f"Cannot send media of type {msg_type}.")
            media_obj: dict[str, Any] = {}
            if text:
                media_obj["caption"] = text
            if msg_type == MessageType.DOCUMENT:
                media_obj["filename"] = getattr(media_file, "name", "file")
            body["type"] = str(msg_type)
            body[str(msg_type)] = media_obj
            shown_text = text or ""
        else:
            shown_text = (text or "").strip()
            if not shown_text:
                raise InvalidInput("The message is empty.")
            if len(shown_text) > MAX_TEXT_LENGTH:
                raise InvalidInput(
                    f"A WhatsApp text can have at most {MAX_TEXT_LENGTH} characters."
                )
            msg_type = MessageType.TEXT
            body["type"] = "text"
            body["text"] = {"body": shown_text, "preview_url": "http" in shown_text}
    with transaction.atomic():
        check_may_send(conversation, author)
        message = Message(
            conversation=conversation,
            direction=Direction.OUTBOUND,
            type=msg_type,
            author=author,
            text=shown_text,
            reply_to=reply_to,
            status=DeliveryStatus.QUEUED,
            status_rank=STATUS_RANK[DeliveryStatus.QUEUED],
            request=body,
            timestamp=now,
        )
        if media_file is not None:
            message.media_mime_type = getattr(media_file, "content_type", "") or ""
            message.media_filename = getattr(media_file, "name", "") or ""
            message.media_state = MediaState.READY
            message.media_file.save(message.media_filename or "upload", media_file, save=False)
        message.save()
        if reaction is not None:
            target, emoji = reaction
            reactions = (
                {**target.reactions, "business": emoji}
                if emoji
                else {k: v for k, v in target.reactions.items() if k != "business"}
            )
            Message.objects.filter(pk=target.pk).update(reactions=reactions)
            target.reactions = reactions
            notify_message(target, EventType.MESSAGE_UPDATED)
        else:
            Conversation.objects.filter(pk=conversation.pk).update(
                last_message_at=now, last_message_preview=preview_of(msg_type, shown_text)
            )
        if author is not None and not author.is_bot:
            Conversation.objects.filter(pk=conversation.pk, first_response_at__isnull=True).update(
                first_response_at=now
            )
        if reaction is None:
            # Answered: the customer is no longer waiting on us.
            Conversation.objects.filter(pk=conversation.pk).update(waiting_since=None)
        from baton.whatsapp.tasks import mark_read, send_outbound_message

        send_outbound_message.enqueue(message.pk)
        if author is not None and not author.is_bot:
            # Answering means the agent has read the chat: show the customer blue ticks.
            latest_inbound = (
                Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
                .exclude(wamid__isnull=True)
                .order_by("-timestamp", "-id")
                .values_list("pk", flat=True)
                .first()
            )
            if latest_inbound is not None:
                mark_read.enqueue(latest_inbound)
        notify_message(message, EventType.MESSAGE_CREATED)
    return message


def check_may_send(conversation: Conversation, author: User | None) -> None:
    """The lock: only the owner sends customer-visible messages. Call inside a transaction.

    Re-reads the owner under a row lock, so a handoff or take-over committing at the same
    moment cannot let the previous owner's message slip through after it.
    """
    from baton.conversations.queries import owner_label
    from baton.core.errors import Conflict

    owner_id = (
        Conversation.objects.select_for_update()
        .filter(pk=conversation.pk)
        .values_list("owner_id", flat=True)
        .first()
    )
    if author is not None and owner_id == author.pk:
        return
    if owner_id is None:
        raise Conflict(
            "Nobody owns this conversation yet: claim it (or have it assigned) before replying.",
            owner=None,
        )
    owner = User.objects.filter(pk=owner_id).first()
    raise Conflict(
        f"This conversation is owned by {owner_label(owner)}. Only the owner can reply: ask "
        "them for a handoff, or a manager can take it over. Internal notes are always allowed.",
        owner=owner.username if owner else None,
    )


def do_add_note(conversation: Conversation, author: User, text: str) -> Message:
    """An internal note: seen by colleagues, never sent to the customer."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("The note is empty.")
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation,
            direction=Direction.NOTE,
            type=MessageType.TEXT,
            author=author,
            text=text,
            status=DeliveryStatus.RECEIVED,
            timestamp=timezone.now(),
        )
        notify_message(message, EventType.MESSAGE_CREATED)
    return message


# ------------------------------------------------------------------------------------------
# Outbound delivery (called by the send task)


def do_start_send(message_id: int) -> Message | None:
    """Claim a queued message for sending (compare-and-set queued → sending).

    Returns None when the message is not queued any more (already sent, being sent by
    another worker, failed): the caller must then not send. The uncertainty check is
    enqueued in the same transaction, so a process that dies after the request went out
    still leaves a job that settles the message.

    The lock, again at send time: a message waits in `queued` (an automatic retry, a busy
    worker) while the conversation may change hands. Under the conversation's row lock —
    the one take-overs, handoffs and releases take — the author must still own it, else
    the message fails with the reason (``get_not_sent_reason``) and the new owner may
    resend it. A take-over therefore either commits before this transaction and the
    message is refused, or waits for it and the send was already decided. The same rule
    holds for a bot's messages: they go out only while the bot owns the conversation.
    """
    from baton.whatsapp.tasks import check_uncertain_send

    now = timezone.now()
    with transaction.atomic():
        row = (
            Message.objects.filter(
                pk=message_id, direction=Direction.OUTBOUND, status=DeliveryStatus.QUEUED
            )
            .values_list("conversation_id", "author_id")
            .first()
        )
        if row is None:
            return None
        conversation_id, author_id = row
        owner_id, status, last_owner_id = (
            Conversation.objects.select_for_update()
            .filter(pk=conversation_id)
            .values_list("owner_id", "status", "last_owner_id")
            .get()
        )
        # The author resolving right after replying still means the reply to go out.
        still_theirs = author_id is not None and (
            owner_id == author_id
            or (
                owner_id is None
                and status == ConversationStatus.RESOLVED
                and last_owner_id == author_id
            )
        )
        if not still_theirs:
            _refuse_send(message_id, conversation_id, author_id, owner_id)
            return None
        claimed = Message.objects.filter(
            pk=message_id, direction=Direction.OUTBOUND, status=DeliveryStatus.QUEUED
        ).update(
            status=DeliveryStatus.SENDING,
            status_rank=STATUS_RANK[DeliveryStatus.SENDING],
            send_started_at=now,
            next_attempt_at=None,
        )
        if not claimed:
            return None
        Message.objects.filter(pk=message_id).update(attempts=F("attempts") + 1)
        message = Message.objects.select_related(
            "conversation__inbox", "conversation__contact"
        ).get(pk=message_id)
        check_uncertain_send.using(
            run_after=now + timedelta(seconds=settings.BATON_SEND_UNCERTAIN_AFTER_SECONDS)
        ).enqueue(message_id, message.attempts)
        notify_message(message, EventType.MESSAGE_UPDATED)
    return message


NOT_SENT_DETAILS = (
    "Baton did not send it: only the conversation's owner may write to the customer. "
    "The new owner can resend it."
)


def _refuse_send(
    message_id: int, conversation_id: int, author_id: int | None, owner_id: int | None
) -> None:
    """Fail a queued message whose author lost the conversation (caller holds its lock)."""
    title = get_not_sent_reason(conversation_id, author_id, owner_id)
    failed = Message.objects.filter(pk=message_id, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.FAILED,
        status_rank=STATUS_RANK[DeliveryStatus.FAILED],
        error_code=None,
        error_title=title[:255],
        error_details=NOT_SENT_DETAILS,
        failed_at=timezone.now(),
        next_attempt_at=None,
    )
    if failed:
        message = Message.objects.select_related("conversation").get(pk=message_id)
        notify_message(message, EventType.MESSAGE_UPDATED)


def get_not_sent_reason(conversation_id: int, author_id: int | None, owner_id: int | None) -> str:
    """Why the author may no longer send, from the move that took the conversation from
    them: "Conversation taken over by Maria (@maria)", "… handed to Bob (@bob)" …"""
    if author_id is None:
        return "Not sent: its author no longer exists"
    moved = (
        AuditEvent.objects.filter(conversation_id=conversation_id, from_owner_id=author_id)
        .exclude(to_owner_id=author_id)
        .select_related("actor", "to_owner", "to_team")
        .order_by("-created_at", "-id")
        .first()
    )
    if moved is not None and moved.kind == EventKind.TAKEN_OVER:
        return f"Conversation taken over by {owner_label(moved.actor or moved.to_owner)}"
    if moved is not None and moved.to_owner is not None:
        return f"Conversation handed to {owner_label(moved.to_owner)}"
    if moved is not None and moved.to_team is not None:
        return f"Conversation handed to team {moved.to_team.name}"
    if moved is not None and moved.kind == EventKind.RELEASED:
        return "Conversation released to the queue"
    if owner_id is not None:
        return f"Conversation now owned by {owner_label(User.objects.filter(pk=owner_id).first())}"
    return "Conversation no longer owned by its author"


def do_record_send_accepted(message: Message, wamid: str) -> None:
    """WhatsApp accepted the send (HTTP 200): store the wamid; status becomes `sent`."""
    with transaction.atomic():
        Message.objects.filter(pk=message.pk, wamid__isnull=True).update(wamid=wamid)
        # A status webhook may already have moved it further (it carries our id).
        Message.objects.filter(
            pk=message.pk, status_rank__lt=STATUS_RANK[DeliveryStatus.SENT]
        ).update(
            status=DeliveryStatus.SENT,
            status_rank=STATUS_RANK[DeliveryStatus.SENT],
            sent_at=timezone.now(),
        )
        message.refresh_from_db()
        notify_message(message, EventType.MESSAGE_UPDATED)


def do_schedule_send_retry(message: Message, delay_seconds: float, why: str) -> None:
    """Put a message whose send certainly failed back in the queue for a later attempt."""
    from baton.whatsapp.tasks import send_outbound_message

    run_after = timezone.now() + timedelta(seconds=delay_seconds)
    with transaction.atomic():
        moved = Message.objects.filter(pk=message.pk, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.QUEUED,
            status_rank=STATUS_RANK[DeliveryStatus.QUEUED],
            next_attempt_at=run_after,
            error_details=why[:2000],
        )
        if moved:
            send_outbound_message.using(run_after=run_after).enqueue(message.pk)
            message.refresh_from_db()
            notify_message(message, EventType.MESSAGE_UPDATED)


def do_fail_message(
    message: Message, code: int | None, title: str, details: str, *, only_if_sending: bool = False
) -> bool:
    """Mark an outbound message failed with a reason people can act on."""
    with transaction.atomic():
        qs = Message.objects.filter(pk=message.pk).exclude(status=DeliveryStatus.FAILED)
        if only_if_sending:
            qs = qs.filter(status=DeliveryStatus.SENDING)
        changed = qs.update(
            status=DeliveryStatus.FAILED,
            status_rank=STATUS_RANK[DeliveryStatus.FAILED],
            error_code=code,
            error_title=title[:255],
            error_details=details[:2000],
            failed_at=timezone.now(),
            next_attempt_at=None,
        )
        if changed:
            message.refresh_from_db()
            notify_message(message, EventType.MESSAGE_UPDATED)
    return bool(changed)


def do_requeue_failed_message(message: Message, actor: User | None) -> Message:
    """An agent's explicit "retry" of a failed message: a fresh send of the same request.

    By its author, the same message goes back to the queue. By someone else — the new
    owner after a take-over or handoff — it is a new message of theirs (the send-time lock
    checks the author), and the failed one stays in the timeline, marked as resent.
    """
    from baton.whatsapp.tasks import send_outbound_message

    with transaction.atomic():
        # A retry is a customer-visible send: the lock applies as to a new reply.
        check_may_send(message.conversation, actor)
        if actor is not None and message.author_id != actor.pk:
            return _resend_as(message, actor)
        moved = Message.objects.filter(
            pk=message.pk,
            direction=Direction.OUTBOUND,
            status=DeliveryStatus.FAILED,
            wamid__isnull=True,
        ).update(
            status=DeliveryStatus.QUEUED,
            status_rank=STATUS_RANK[DeliveryStatus.QUEUED],
            error_code=None,
            error_title="",
            error_details="",
            failed_at=None,
        )
        if not moved:
            raise InvalidInput("Only a failed message that WhatsApp never accepted can be retried.")
        send_outbound_message.enqueue(message.pk)
        message.refresh_from_db()
        notify_message(message, EventType.MESSAGE_UPDATED)
    return message


def _resend_as(message: Message, actor: User) -> Message:
    """A copy of a failed message, by ``actor``; inside the caller's transaction, which
    holds the conversation's lock (``check_may_send``)."""
    from baton.whatsapp.tasks import send_outbound_message

    original = (
        Message.objects.select_for_update()
        .filter(
            pk=message.pk,
            direction=Direction.OUTBOUND,
            status=DeliveryStatus.FAILED,
            wamid__isnull=True,
        )
        .first()
    )
    if original is None or original.content.get("resent_as"):
        raise InvalidInput(
            "Only a failed message that WhatsApp never accepted, and that nobody resent yet, "
            "can be retried."
        )
    now = timezone.now()
    copy = Message.objects.create(
        conversation_id=original.conversation_id,
        direction=Direction.OUTBOUND,
        type=original.type,
        author=actor,
        text=original.text,
        reply_to_id=original.reply_to_id,
        media_id=original.media_id,
        media_mime_type=original.media_mime_type,
        media_filename=original.media_filename,
        media_file=original.media_file.name,
        media_state=original.media_state,
        status=DeliveryStatus.QUEUED,
        status_rank=STATUS_RANK[DeliveryStatus.QUEUED],
        request=original.request,
        content={"resent_from": original.pk},
        timestamp=now,
    )
    content = {**original.content, "resent_as": copy.pk}
    Message.objects.filter(pk=original.pk).update(content=content)
    original.content = content
    Conversation.objects.filter(pk=original.conversation_id).update(
        last_message_at=now, last_message_preview=preview_of(copy.type, copy.text)
    )
    send_outbound_message.enqueue(copy.pk)
    notify_message(original, EventType.MESSAGE_UPDATED)
    notify_message(copy, EventType.MESSAGE_CREATED)
    return copy


def do_store_media(message: Message, content: bytes, mime_type: str, filename: str) -> None:
    from django.core.files.base import ContentFile

    with transaction.atomic():
        message.media_file.save(filename, ContentFile(content), save=False)
        # Compare-and-set: a download re-run after its worker was presumed dead may finish
        # second; it must not store a second copy or announce the media twice.
        stored = Message.objects.filter(pk=message.pk, media_state=MediaState.PENDING).update(
            media_file=message.media_file.name,
            media_mime_type=mime_type or message.media_mime_type,
            media_state=MediaState.READY,
        )
        if not stored:
            message.media_file.delete(save=False)
            return
        message.media_state = MediaState.READY
        notify_message(message, EventType.MESSAGE_UPDATED)


def do_fail_media(message: Message, why: str) -> None:
    with transaction.atomic():
        content = {**message.content, "media_error": why[:500]}
        Message.objects.filter(pk=message.pk).update(media_state=MediaState.FAILED, content=content)
        message.media_state = MediaState.FAILED
        message.content = content
        notify_message(message, EventType.MESSAGE_UPDATED)


def do_set_outbound_media_id(message: Message, media_id: str) -> None:
    request = dict(message.request)
    kind = request.get("type")
    if kind in request and isinstance(request[kind], dict):
        request[kind] = {**request[kind], "id": media_id}
    Message.objects.filter(pk=message.pk).update(media_id=media_id, request=request)
    message.media_id = media_id
    message.request = request


def check_send_template(
    conversation: Conversation, author: User, template_id: int, parameters: list[str]
) -> Message:
    """Validate a template choice from the composer against the catalogue, then send it.

    The parameter count is checked here because WhatsApp refuses a mismatch only after the
    message was queued (error 132000), which would show the agent a failed message instead
    of a form error.
    """
    template = MessageTemplate.objects.filter(
        pk=template_id, status=TemplateStatus.APPROVED
    ).first()
    if template is None:
        raise InvalidInput("Choose an approved template.")
    values = [p.strip() for p in parameters]
    if len(values) != template.parameter_count or not all(values):
        raise InvalidInput(
            f"The template {template.name} needs {template.parameter_count} parameter(s)."
        )
    return do_queue_outbound_message(
        conversation,
        author,
        template={"name": template.name, "language": template.language, "parameters": values},
    )
