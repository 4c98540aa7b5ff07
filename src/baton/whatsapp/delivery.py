"""Delivery of outbound messages and their statuses: the send state machine.

``queued → sending → sent → delivered → read`` (or ``failed``), moved by the send task and
by status webhooks with compare-and-set updates; media downloads store or fail here too.
See ``whatsapp.tasks`` for what happens when a process dies mid-send.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from baton.agents.models import Role, User
from baton.conversations.actions import check_may_send, preview_of
from baton.conversations.models import (
    STATUS_RANK,
    AuditEvent,
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    EventKind,
    MediaState,
    Message,
)
from baton.conversations.notify import notify_message
from baton.conversations.queries import owner_label
from baton.core.errors import InvalidInput
from baton.realtime.events import EventType
from baton.whatsapp.models import Inbox
from baton.whatsapp.parsing import StatusUpdate


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
        if changed:
            if steps:
                message.refresh_from_db(fields=steps)  # what the browsers are told
            notify_message(message, EventType.MESSAGE_UPDATED)
    return message


# The timestamp a status sets, and the earlier steps it proves happened.
IMPLIED_TIMESTAMPS: dict[str, list[str]] = {
    DeliveryStatus.SENT: ["sent_at"],
    DeliveryStatus.DELIVERED: ["sent_at", "delivered_at"],
    DeliveryStatus.READ: ["sent_at", "delivered_at", "read_at"],
    DeliveryStatus.PLAYED: ["sent_at", "delivered_at", "read_at"],
}


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
    holds for a bot's messages: they go out only while the bot owns the conversation, or
    (its last words before a handoff or a close) while nobody does.
    """
    # local import: whatsapp.tasks runs these actions, so it imports this module first
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
        # A bot's parting words (a handoff's or a close step's text, queued just before it
        # let go) go out while no person holds the conversation yet.
        if not still_theirs and author_id is not None and owner_id is None:
            still_theirs = (
                status
                in (
                    ConversationStatus.QUEUED,
                    ConversationStatus.RESOLVED,
                )
                and User.objects.filter(pk=author_id, role=Role.BOT).exists()
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
    # local import: whatsapp.tasks runs these actions, so it imports this module first
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
    # local import: whatsapp.tasks runs these actions, so it imports this module first
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
    # local import: whatsapp.tasks runs these actions, so it imports this module first
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
