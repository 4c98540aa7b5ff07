"""Writes for the WhatsApp channel: applying webhook bodies and keeping dead letters."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from baton.conversations.actions import do_apply_status, do_receive_message
from baton.whatsapp.models import DeadLetter, Inbox
from baton.whatsapp.parsing import ChangeBatch

logger = logging.getLogger("baton.whatsapp")


@dataclass
class IngestResult:
    messages_stored: int = 0
    duplicates: int = 0
    statuses_applied: int = 0
    dead_letters: int = 0


def do_store_dead_letter(
    reason: DeadLetter.Reason, payload: Any, phone_number_id: str = "", detail: str = ""
) -> None:
    DeadLetter.objects.create(
        reason=reason, payload=payload, phone_number_id=phone_number_id, detail=detail[:2000]
    )
    logger.warning("dead letter (%s) for number %r: %s", reason, phone_number_id, detail)


def do_ingest_webhook(batches: list[ChangeBatch]) -> IngestResult:
    """Apply every change of one webhook POST. Returns when all of it is committed.

    Each message commits in its own short transaction that locks only its contact, so two
    POSTs carrying messages of the same customers in a different order cannot deadlock.
    Anything that cannot be applied is kept in the dead-letter table, never dropped.
    """
    result = IngestResult()
    inboxes: dict[str, Inbox | None] = {}
    for batch in batches:
        if batch.webhook_field != "messages":
            do_store_dead_letter(
                DeadLetter.Reason.UNSUPPORTED_FIELD,
                {"field": batch.webhook_field, "value": batch.raw_value},
                batch.phone_number_id,
                f"webhook field {batch.webhook_field!r} is not handled",
            )
            result.dead_letters += 1
            continue
        if batch.phone_number_id not in inboxes:
            inboxes[batch.phone_number_id] = Inbox.objects.filter(
                phone_number_id=batch.phone_number_id, is_active=True
            ).first()
        inbox = inboxes[batch.phone_number_id]
        if inbox is None:
            do_store_dead_letter(
                DeadLetter.Reason.UNKNOWN_NUMBER,
                {"waba_id": batch.waba_id, "value": batch.raw_value},
                batch.phone_number_id,
                "no active inbox has this phone_number_id",
            )
            result.dead_letters += 1
            continue
        for item, error in batch.unparsable:
            do_store_dead_letter(
                DeadLetter.Reason.PROCESSING_ERROR, item, batch.phone_number_id, error
            )
            result.dead_letters += 1
        if batch.errors and not batch.messages and not batch.statuses:
            do_store_dead_letter(
                DeadLetter.Reason.API_ERROR,
                {"errors": [e.as_dict() for e in batch.errors]},
                batch.phone_number_id,
                "; ".join(f"({e.code}) {e.title}" for e in batch.errors),
            )
            result.dead_letters += 1
        for inbound in batch.messages:
            try:
                stored = do_receive_message(inbox, inbound)
            except Exception as exc:
                logger.exception("could not store message %s", inbound.wamid)
                do_store_dead_letter(
                    DeadLetter.Reason.PROCESSING_ERROR,
                    {"message": inbound.raw},
                    batch.phone_number_id,
                    f"{exc.__class__.__name__}: {exc}",
                )
                result.dead_letters += 1
                continue
            if stored is None:
                result.duplicates += 1
            else:
                result.messages_stored += 1
        for status in batch.statuses:
            try:
                applied = do_apply_status(inbox, status)
            except Exception as exc:
                logger.exception("could not apply status %s", status.wamid)
                applied = None
                detail = f"{exc.__class__.__name__}: {exc}"
                reason = DeadLetter.Reason.PROCESSING_ERROR
            else:
                detail = f"no message with wamid {status.wamid}"
                reason = DeadLetter.Reason.UNKNOWN_MESSAGE
            if applied is None:
                with transaction.atomic():
                    do_store_dead_letter(
                        reason, {"status": status.raw}, batch.phone_number_id, detail
                    )
                result.dead_letters += 1
            else:
                result.statuses_applied += 1
    return result


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
    from django.conf import settings

    if settings.WHATSAPP_PHONE_NUMBER_ID and settings.WHATSAPP_ACCESS_TOKEN:
        return do_ensure_inbox(settings.WHATSAPP_PHONE_NUMBER_ID, settings.WHATSAPP_ACCESS_TOKEN)
    return None
