"""Writes for the WhatsApp channel: applying webhook bodies, keeping and replaying dead letters.

What a webhook POST promises Meta (see ``views.whatsapp_webhook``): a 200 only once every
item of the body is committed, as a message, a status or a dead letter. Each item commits in
its own transaction; a transient database error is retried, and if the database stays away
the POST fails (``StorageUnavailable``, a 503) so that Meta redelivers it. Items committed
before that stay committed, and their redelivery is a no-op (the wamid is unique).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from baton.conversations.actions import (
    contact_column_length,
    lock_contact,
    open_conversation_for,
    record_inbound_message,
    touch_conversation_on_inbound,
)
from baton.conversations.changes import ConversationCreated, MessageReceived, Opened
from baton.conversations.models import (
    Contact,
    DeliveryStatus,
    Direction,
    MediaState,
    Message,
    MessageType,
)
from baton.conversations.notify import notify_conversation, notify_message
from baton.core.db.transient import is_transient_error, run_with_retries
from baton.core.reactions import dispatch
from baton.realtime.events import EventType
from baton.whatsapp.delivery import do_apply_status
from baton.whatsapp.models import DeadLetter, Inbox, ReplayOutcome
from baton.whatsapp.parsing import ChangeBatch, EnvelopeError, InboundMessage, parse_webhook
from baton.whatsapp.replay import NotReplayable, webhook_body_for
from baton.whatsapp.sanitise import storable_json, storable_text
from baton.whatsapp.tasks import download_media

logger = logging.getLogger("baton.whatsapp")

T = TypeVar("T")

MAX_DETAIL_LENGTH = 2000


class StorageUnavailable(Exception):
    """The database stayed unreachable through the retries: what follows was not applied."""

    def __init__(self, what: str, result: IngestResult) -> None:
        super().__init__(f"database unavailable while storing {what}")
        self.result = result


@dataclass
class IngestResult:
    messages_stored: int = 0
    duplicates: int = 0
    statuses_applied: int = 0
    dead_letters: int = 0
    # Filled only when a replay collects dead letters instead of storing them.
    failures: list[str] = field(default_factory=list)


# Where the intake puts what it cannot apply: (reason, payload, phone_number_id, detail).
DeadLetterKeeper = Callable[[DeadLetter.Reason, Any, str, str], None]


def do_store_dead_letter(
    reason: DeadLetter.Reason, payload: Any, phone_number_id: str = "", detail: str = ""
) -> None:
    """Keep what could not be applied, with its raw JSON made storable."""
    fields = {
        "reason": reason,
        "phone_number_id": storable_text(phone_number_id)[
            : DeadLetter._meta.get_field("phone_number_id").max_length
        ],
        "detail": storable_text(detail)[:MAX_DETAIL_LENGTH],
    }
    try:
        with transaction.atomic():
            DeadLetter.objects.create(payload=storable_json(payload), **fields)
    except DatabaseError as exc:
        if is_transient_error(exc):
            raise
        # Should storable_json have missed a case, the letter still keeps what came.
        logger.exception("dead letter payload not storable as JSON; keeping it as text")
        with transaction.atomic():
            as_text = {"unstorable": storable_text(repr(payload))}
            DeadLetter.objects.create(payload=as_text, **fields)
    logger.warning("dead letter (%s) for number %r: %s", reason, phone_number_id, detail)


def do_ingest_payload(payload: Any, *, keep: DeadLetterKeeper | None = None) -> IngestResult:
    """Apply one decoded webhook body: made storable, parsed, every change applied.

    Raises EnvelopeError when it is not a WhatsApp webhook at all, StorageUnavailable when
    the database stays away.
    """
    return do_ingest_webhook(parse_webhook(storable_json(payload)), keep=keep)


def do_ingest_unreadable_body(text: str, why: str) -> IngestResult:
    """A signed body that cannot even be decoded (nested too deeply): kept whole as text."""
    result = IngestResult()
    _durably(
        lambda: do_store_dead_letter(DeadLetter.Reason.PROCESSING_ERROR, {"body": text}, "", why),
        "an unreadable body",
        result,
    )
    result.dead_letters += 1
    return result


def do_ingest_webhook(
    batches: list[ChangeBatch], *, keep: DeadLetterKeeper | None = None
) -> IngestResult:
    """Apply every change of one webhook POST. Returns when all of it is committed.

    Each message commits in its own short transaction that locks only its contact, so two
    POSTs carrying messages of the same customers in a different order cannot deadlock.
    Anything that cannot be applied goes to ``keep`` (the dead-letter table unless a replay
    collects it), never dropped; an unexpected error is logged with its traceback.
    """
    result = IngestResult()
    store = keep or do_store_dead_letter

    def dead_letter(reason: DeadLetter.Reason, payload: Any, pnid: str, detail: str) -> None:
        _durably(lambda: store(reason, payload, pnid, detail), "a dead letter", result)
        result.dead_letters += 1
        if keep is not None:
            result.failures.append(f"{reason.label}: {detail}")

    inboxes: dict[str, Inbox | None] = {}
    for batch in batches:
        pnid = batch.phone_number_id
        if batch.malformed:
            payload = {"waba_id": batch.waba_id, **batch.raw_value}
            dead_letter(DeadLetter.Reason.PROCESSING_ERROR, payload, pnid, batch.malformed)
            continue
        if batch.webhook_field != "messages":
            dead_letter(
                DeadLetter.Reason.UNSUPPORTED_FIELD,
                {"waba_id": batch.waba_id, "field": batch.webhook_field, "value": batch.raw_value},
                pnid,
                f"webhook field {batch.webhook_field!r} is not handled",
            )
            continue
        if pnid not in inboxes:
            inboxes[pnid] = _durably(partial(_active_inbox, pnid), "the inbox lookup", result)
        inbox = inboxes[pnid]
        if inbox is None:
            dead_letter(
                DeadLetter.Reason.UNKNOWN_NUMBER,
                {"waba_id": batch.waba_id, "value": batch.raw_value},
                pnid,
                "no active inbox has this phone_number_id",
            )
            continue
        context = _item_context(batch)
        for item, error in batch.unparsable:
            dead_letter(DeadLetter.Reason.PROCESSING_ERROR, {**item, **context}, pnid, error)
        if batch.errors and not batch.messages and not batch.statuses:
            dead_letter(
                DeadLetter.Reason.API_ERROR,
                {"errors": [e.as_dict() for e in batch.errors], **context},
                pnid,
                "; ".join(f"({e.code}) {e.title}" for e in batch.errors),
            )
        for inbound in batch.messages:
            stored = _apply_item(
                partial(do_receive_message, inbox, inbound),
                f"message {inbound.wamid}",
                result,
                on_error=partial(
                    dead_letter,
                    DeadLetter.Reason.PROCESSING_ERROR,
                    {"message": inbound.raw, **context},
                    pnid,
                ),
            )
            if stored is _FAILED:
                continue
            if stored is None:
                result.duplicates += 1
            else:
                result.messages_stored += 1
        for status in batch.statuses:
            applied = _apply_item(
                partial(do_apply_status, inbox, status),
                f"status {status.wamid}",
                result,
                on_error=partial(
                    dead_letter,
                    DeadLetter.Reason.PROCESSING_ERROR,
                    {"status": status.raw, **context},
                    pnid,
                ),
            )
            if applied is _FAILED:
                continue
            if applied is None:
                dead_letter(
                    DeadLetter.Reason.UNKNOWN_MESSAGE,
                    {"status": status.raw, **context},
                    pnid,
                    f"no message sent from this number has wamid {status.wamid}",
                )
            else:
                result.statuses_applied += 1
    return result


_FAILED: Any = object()  # what _apply_item returns for an item it dead-lettered


# ------------------------------------------------------------------------------------------
# One inbound message


def do_receive_message(inbox: Inbox, inbound: InboundMessage) -> Message | None:
    """Store one inbound WhatsApp message. Returns None for a duplicate wamid."""
    with transaction.atomic():
        contact = lock_contact(inbound.from_wa_id, inbound.from_user_id, inbound.contact)
        # Checked under the contact lock: a redelivery racing the original waits above and
        # then sees it. The unique wamid index is the last line of defence.
        if Message.objects.filter(wamid=inbound.wamid).exists():
            return None
        conversation, opened = open_conversation_for(inbox, contact)
        reply_to = None
        if inbound.reply_to_wamid:
            reply_to = (
                messages_of_customer(inbox, contact)
                .filter(wamid=inbound.reply_to_wamid)
                .only("pk")
                .first()
            )
        media = inbound.media
        message = record_inbound_message(
            conversation,
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
        if opened == Opened.CREATED:
            # Before any event is queued: the conversation is first seen in the rule's team.
            dispatch(ConversationCreated(conversation, message))
        _apply_side_effects(message, inbound, contact)
        touch_conversation_on_inbound(conversation, message)
        if media:
            download_media.enqueue(message.pk)
        dispatch(MessageReceived(conversation, message, opened))
        notify_conversation(
            conversation,
            EventType.CONVERSATION_UPDATED
            if opened == Opened.EXISTING
            else EventType.CONVERSATION_CREATED,
        )
        notify_message(message, EventType.MESSAGE_CREATED)
    return message


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


def _active_inbox(phone_number_id: str) -> Inbox | None:
    return Inbox.objects.filter(phone_number_id=phone_number_id, is_active=True).first()


def _item_context(batch: ChangeBatch) -> dict[str, Any]:
    """What a replay of one item needs besides the item: its number and sender profiles."""
    context: dict[str, Any] = {"waba_id": batch.waba_id}
    metadata = batch.raw_value.get("metadata")
    if isinstance(metadata, dict):
        context["metadata"] = metadata
    contacts = batch.raw_value.get("contacts")
    if isinstance(contacts, list):
        context["contacts"] = contacts
    return context


def _durably(work: Callable[[], T], what: str, result: IngestResult) -> T:
    """``work`` retried through transient database errors, else StorageUnavailable."""
    try:
        return run_with_retries(work, what=f"storing {what}")
    except DatabaseError as exc:
        if is_transient_error(exc):
            raise StorageUnavailable(what, result) from exc
        raise


def _apply_item(
    work: Callable[[], T], what: str, result: IngestResult, *, on_error: Callable[[str], None]
) -> T:
    """Run one item's transaction; a permanent error dead-letters the item, logged in full."""
    try:
        return _durably(work, what, result)
    except StorageUnavailable:
        raise
    except Exception as exc:
        logger.exception("could not apply %s", what)
        on_error(f"{exc.__class__.__name__}: {exc}")
        return _FAILED


# ------------------------------------------------------------------------------------------
# Replaying dead letters


@dataclass
class ReplayReport:
    letter_id: int
    outcome: ReplayOutcome
    detail: str


def do_replay_dead_letter(letter: DeadLetter) -> ReplayReport:
    """Run a dead letter's payload through the webhook intake again and record the outcome.

    Nothing new is dead-lettered by a replay: what still fails is reported on this letter.
    Replaying again is harmless: stored messages come back as duplicates (unique wamid), and
    statuses only ever move forward. StorageUnavailable leaves the letter untouched.
    """
    collected: list[str] = []

    def collect(reason: DeadLetter.Reason, payload: Any, pnid: str, detail: str) -> None:
        collected.append(detail)

    try:
        body = webhook_body_for(letter.payload, letter.phone_number_id)
        result = do_ingest_payload(body, keep=collect)
    except StorageUnavailable:
        raise
    except (NotReplayable, EnvelopeError, ValueError, RecursionError) as exc:
        outcome, detail = ReplayOutcome.FAILED, f"cannot replay: {exc}"
    else:
        outcome, detail = _replay_outcome(result)

    def record() -> None:
        DeadLetter.objects.filter(pk=letter.pk).update(
            replayed_at=timezone.now(),
            replay_count=F("replay_count") + 1,
            replay_outcome=outcome,
            replay_detail=detail[:MAX_DETAIL_LENGTH],
        )

    _durably(record, f"the replay of dead letter {letter.pk}", IngestResult())
    logger.info("dead letter %s replayed: %s (%s)", letter.pk, outcome, detail)
    return ReplayReport(letter.pk, outcome, detail)


def _replay_outcome(result: IngestResult) -> tuple[ReplayOutcome, str]:
    counts = (
        f"{result.messages_stored} stored, {result.duplicates} already stored, "
        f"{result.statuses_applied} statuses applied"
    )
    if result.failures:
        return ReplayOutcome.FAILED, f"{counts}; still failing: " + "; ".join(result.failures)
    if result.messages_stored or result.statuses_applied:
        return ReplayOutcome.STORED, counts
    if result.duplicates:
        return ReplayOutcome.DUPLICATE, counts
    return ReplayOutcome.FAILED, "nothing in it could be applied"


def do_ensure_inbox(
    phone_number_id: str,
    access_token: str,
    *,
    name: str = "WhatsApp",
    display_phone_number: str = "",
) -> Inbox:
    """Create the inbox for a number, or update its token; used at start-up from the env."""
    with transaction.atomic():
        inbox, created = Inbox.objects.get_or_create(
            phone_number_id=phone_number_id,
            defaults={
                "access_token": access_token,
                "name": name,
                "display_phone_number": display_phone_number,
            },
        )
        if not created and access_token and inbox.access_token != access_token:
            Inbox.objects.filter(pk=inbox.pk).update(access_token=access_token)
            inbox.access_token = access_token
    return inbox


def ensure_inbox_from_settings() -> Inbox | None:
    if settings.WHATSAPP_PHONE_NUMBER_ID and settings.WHATSAPP_ACCESS_TOKEN:
        return do_ensure_inbox(settings.WHATSAPP_PHONE_NUMBER_ID, settings.WHATSAPP_ACCESS_TOKEN)
    return None
