"""Channel-agnostic writes to contacts, conversations and messages.

Locking a contact, opening or reopening its conversation, recording inbound and outbound
rows, internal notes and the send lock (``check_may_send``). The WhatsApp channel builds on
these (``whatsapp.actions`` for intake, ``whatsapp.outbound`` and ``whatsapp.delivery`` for
sending); what other apps do in reaction is announced as ``conversations.changes`` records.
Every function runs inside one transaction and queues live events for after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from baton.agents.models import Presence, Team, User
from baton.conversations import lifecycle
from baton.conversations.audit import record_event
from baton.conversations.changes import ConversationTagged, HumanReplied, Opened
from baton.conversations.models import (
    CUSTOMER_SERVICE_WINDOW,
    STATUS_RANK,
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
from baton.conversations.notify import notify_conversation, notify_message
from baton.conversations.ownership import lock_conversation
from baton.conversations.queries import owner_label
from baton.core.errors import Conflict, InvalidInput
from baton.core.reactions import dispatch
from baton.realtime.events import EventType

logger = logging.getLogger("baton.conversations")


class ContactProfile(Protocol):
    """What a channel knows of a customer's profile."""

    @property
    def profile_name(self) -> str: ...

    @property
    def username(self) -> str: ...

    @property
    def parent_user_id(self) -> str: ...


# Beyond presence, who may be handed work is routing's business (shifts, capacity): routing
# registers its check here (``RoutingConfig.ready``), so this app never imports it.
AvailabilityCheck = Callable[[User, Team | None], bool]
_availability_checks: list[AvailabilityCheck] = []


def register_availability_check(check: AvailabilityCheck) -> None:
    if check not in _availability_checks:
        _availability_checks.append(check)


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


def open_conversation_for(inbox: Any, contact: Contact) -> tuple[Conversation, Opened]:
    """The contact's open conversation on ``inbox`` (a ``whatsapp.Inbox``: the channel app
    sits above this one, so it is not imported here), reopening or creating one.

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
    capacity? Call inside a transaction: the check registered by routing locks the agent's
    row like the assignment engine does, so capacity cannot be taken twice."""
    if user is None or not user.is_active or user.is_bot or user.presence != Presence.AVAILABLE:
        return False
    return all(check(user, team) for check in _availability_checks)


def _reopen_for_customer(conversation: Conversation) -> Conversation:
    """A resolved conversation the customer writes to again: back to its last owner when
    they are available, else to the team's queue. Caller holds the contact lock."""
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
    record_event(
        EventKind.REOPENED,
        conversation=conversation,
        to_owner=to_owner,
        from_status=ConversationStatus.RESOLVED,
        to_status=new_status,
        reason="the customer wrote again"
        + ("" if to_owner else f"; {last_owner.username} is not available" if last_owner else ""),
    )
    return Conversation.objects.select_related("owner", "team").get(pk=conversation.pk)


def touch_conversation_on_inbound(conversation: Conversation, message: Message) -> None:
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
    if conversation.owner_id and lifecycle.is_allowed(
        conversation.status, lifecycle.Action.CUSTOMER_REPLIED
    ):
        # The customer answered a pending or snoozed chat: the ball is back in our court.
        new_status = lifecycle.next_status(conversation.status, lifecycle.Action.CUSTOMER_REPLIED)
        record_event(
            EventKind.CUSTOMER_REPLIED,
            conversation=conversation,
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


def record_inbound_message(conversation: Conversation, **fields: Any) -> Message:
    """Insert a customer's message into ``conversation`` (caller holds the contact lock)."""
    message = Message.objects.create(
        conversation=conversation, direction=Direction.INBOUND, **fields
    )
    message.conversation = conversation
    return message


def record_outbound_message(
    conversation: Conversation,
    author: User | None,
    *,
    msg_type: str,
    text: str,
    request: dict[str, Any],
    reply_to: Message | None = None,
    media_file: Any = None,
    reaction: tuple[Message, str] | None = None,
) -> Message:
    """Insert a queued outbound message under the send lock, and update its conversation.

    Call inside the transaction that also queues its send; the caller announces it.
    """
    now = timezone.now()
    check_may_send(conversation, author)
    message = Message(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        type=msg_type,
        author=author,
        text=text,
        reply_to=reply_to,
        status=DeliveryStatus.QUEUED,
        status_rank=STATUS_RANK[DeliveryStatus.QUEUED],
        request=request,
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
        # Answered: the customer is no longer waiting on us (one statement for both).
        Conversation.objects.filter(pk=conversation.pk).update(
            last_message_at=now, last_message_preview=preview_of(msg_type, text), waiting_since=None
        )
    if author is not None and not author.is_bot:
        Conversation.objects.filter(pk=conversation.pk, first_response_at__isnull=True).update(
            first_response_at=now
        )
    if author is not None and not author.is_bot:
        dispatch(HumanReplied(conversation, message))
    return message


def check_may_send(conversation: Conversation, author: User | None) -> None:
    """The lock: only the owner sends customer-visible messages. Call inside a transaction.

    Re-reads the owner under a row lock, so a handoff or take-over committing at the same
    moment cannot let the previous owner's message slip through after it.
    """
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
# Priority and labels


def do_set_priority(
    conversation_id: int, priority: int, *, actor: User | None, reason: str = ""
) -> Conversation:
    """Set a conversation's priority (recorded, live, announced); no-op when unchanged."""
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        before = conversation.priority
        if before == priority:
            return conversation
        Conversation.objects.filter(pk=conversation.pk).update(priority=priority)
        conversation.priority = priority
        record_event(
            EventKind.PRIORITY_CHANGED,
            conversation=conversation,
            actor=actor,
            reason=reason,
            data={"from": before, "to": priority},
        )
        notify_conversation(conversation, EventType.CONVERSATION_UPDATED)
        dispatch(ConversationTagged(conversation, ("priority",)))
    return conversation


def do_add_labels(
    conversation_id: int, labels: list[str], *, actor: User | None, reason: str = ""
) -> Conversation:
    """Add labels to a conversation (recorded, live, announced); no-op when all are there."""
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        current = list(conversation.labels) if isinstance(conversation.labels, list) else []
        added = [label for label in dict.fromkeys(labels) if label not in current]
        if not added:
            return conversation
        conversation.labels = [*current, *added]
        Conversation.objects.filter(pk=conversation.pk).update(labels=conversation.labels)
        record_event(
            EventKind.LABELED,
            conversation=conversation,
            actor=actor,
            reason=reason,
            data={"added": added},
        )
        notify_conversation(conversation, EventType.CONVERSATION_UPDATED)
        dispatch(ConversationTagged(conversation, ("labels",)))
    return conversation
