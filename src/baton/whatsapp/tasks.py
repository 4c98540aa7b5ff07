"""Background work for the WhatsApp channel: sending, retrying, settling, downloading media.

What happens if the process dies mid-send (the issue's question, answered here):

1. ``do_start_send`` moves the message queued → sending *and* enqueues
   ``check_uncertain_send`` in one transaction, before any byte leaves.
2. Every request carries ``biz_opaque_callback_data = "baton:<message id>"``; WhatsApp echoes
   it on every status webhook, so a `sent`/`delivered`/`failed` status settles the message
   even if its HTTP response was never stored.
3. If the process dies, or the answer is lost (timeout, reset) after the request may have
   gone out, Baton does not send again on its own: that could reach the customer twice.
   When ``check_uncertain_send`` runs and no status has arrived, the message is shown as
   failed ("not confirmed") and an agent may retry it knowingly.
4. Only failures that certainly did not send (connection refused, an error response) are
   retried automatically, with backoff, while the message is back in `queued`.
"""

from __future__ import annotations

import logging
import mimetypes
import os
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from baton.conversations.models import DeliveryStatus, Direction, MediaState, Message
from baton.whatsapp.delivery import (
    do_fail_media,
    do_fail_message,
    do_record_send_accepted,
    do_schedule_send_retry,
    do_set_outbound_media_id,
    do_start_send,
    do_store_media,
)
from baton.whatsapp.errors import human_reason
from baton.whatsapp.graph import GraphClient, GraphRequestError, OutcomeUnknown, RequestNeverSent
from baton.whatsapp.sanitise import storage_filename

logger = logging.getLogger("baton.whatsapp.tasks")

UNCONFIRMED_TITLE = "Not confirmed by WhatsApp"
UNCONFIRMED_DETAILS = (
    "The send was interrupted after the request may have reached WhatsApp, and no status "
    "came back. Baton did not resend it automatically to avoid a double message; check the "
    "customer's chat and retry if needed."
)


def retry_delay(attempt: int) -> float:
    """Seconds before attempt ``attempt + 1``: base · 4^(attempt-1), as Meta suggests."""
    return float(settings.BATON_SEND_RETRY_BASE_SECONDS * (4 ** max(attempt - 1, 0)))


def client_for(message: Message) -> GraphClient:
    inbox = message.conversation.inbox
    return GraphClient(inbox.phone_number_id, inbox.access_token)


@task()
def send_outbound_message(message_id: int) -> str:
    message = do_start_send(message_id)
    if message is None:
        return "skipped: not queued"
    client = client_for(message)
    try:
        if (
            message.type in ("image", "document", "video", "audio", "sticker")
            and not message.media_id
        ):
            with message.media_file.open("rb") as fh:
                content = fh.read()
            media_id = client.upload_media(
                content,
                message.media_mime_type or "application/octet-stream",
                message.media_filename,
            )
            do_set_outbound_media_id(message, media_id)
        body = {**message.request, "biz_opaque_callback_data": f"baton:{message.pk}"}
        result = client.send_message(body)
    except RequestNeverSent as exc:
        return _retry_or_fail(message, None, "Could not reach WhatsApp", str(exc))
    except OutcomeUnknown as exc:
        # The request may have been accepted: leave it `sending`; a status webhook or
        # check_uncertain_send settles it. Never resend blindly.
        logger.warning("message %s: outcome unknown (%s); waiting for a status", message.pk, exc)
        return "uncertain"
    except GraphRequestError as exc:
        error = exc.error
        if error.is_retryable:
            return _retry_or_fail(message, error.code, error.title, error.details)
        do_fail_message(message, error.code, error.title or "Refused by WhatsApp", error.reason)
        return f"failed: {error.code}"
    do_record_send_accepted(message, result.wamid)
    return f"sent {result.wamid}"


def _retry_or_fail(message: Message, code: int | None, title: str, details: str) -> str:
    if message.attempts >= settings.BATON_SEND_MAX_ATTEMPTS:
        do_fail_message(
            message,
            code,
            title or "Failed",
            f"Gave up after {message.attempts} attempts. {human_reason(code, title, details)}",
        )
        return "failed: out of attempts"
    delay = retry_delay(message.attempts)
    do_schedule_send_retry(message, delay, f"Attempt {message.attempts} failed: {title} {details}")
    return f"retry in {delay:.0f}s"


@task()
def check_uncertain_send(message_id: int, attempt: int) -> str:
    """Settle a send still `sending` long after it started (see the module docstring)."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None or message.status != DeliveryStatus.SENDING or message.attempts != attempt:
        return "settled"
    if do_fail_message(message, None, UNCONFIRMED_TITLE, UNCONFIRMED_DETAILS, only_if_sending=True):
        return "marked unconfirmed"
    return "settled"


@task()
def sweep_outbound() -> int:
    """Re-enqueue queued messages whose task got lost (e.g. a worker crashed mid-task).

    Sending is a compare-and-set from `queued`, so a duplicate enqueue cannot double-send.
    """
    stale = timezone.now() - timedelta(seconds=60)
    ids = list(
        Message.objects.filter(
            direction=Direction.OUTBOUND, status=DeliveryStatus.QUEUED, created_at__lt=stale
        )
        .exclude(next_attempt_at__gt=stale)
        .values_list("pk", flat=True)[:500]
    )
    for message_id in ids:
        send_outbound_message.enqueue(message_id)
    return len(ids)


@task()
def download_media(message_id: int, attempt: int = 1) -> str:
    message = Message.objects.select_related("conversation__inbox").filter(pk=message_id).first()
    if message is None or message.media_state != MediaState.PENDING or not message.media_id:
        return "nothing to do"
    try:
        content, mime, _sha = client_for(message).download_media(message.media_id)
    except (RequestNeverSent, OutcomeUnknown, GraphRequestError) as exc:
        if attempt < 5:
            delay = retry_delay(attempt)
            download_media.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
                message_id, attempt + 1
            )
            return f"retry in {delay:.0f}s"
        do_fail_media(message, str(exc))
        return "failed"
    extension = _extension_for(mime or message.media_mime_type)
    # The shown name stays media_filename; on disk only a short, byte-bounded form of it.
    filename = storage_filename(message.media_filename) or f"{message.type}-{message.pk}"
    if not os.path.splitext(filename)[1]:
        filename += extension
    do_store_media(message, content, mime, filename)
    return f"stored {len(content)} bytes"


def fail_abandoned_download(args: list[Any], kwargs: dict[str, Any]) -> None:
    """A download that stopped its worker every time it ran: show it failed, not
    "Downloading…" for ever (registered with the task reaper in ``WhatsappConfig``)."""
    message_id = int(kwargs.get("message_id", args[0] if args else 0))
    message = Message.objects.filter(pk=message_id, media_state=MediaState.PENDING).first()
    if message is not None:
        do_fail_media(message, "The download stopped the task worker repeatedly; not retried.")


@task()
def mark_read(message_id: int) -> str:
    """Tell WhatsApp the customer's message was read (blue ticks on their phone)."""
    message = Message.objects.select_related("conversation__inbox").filter(pk=message_id).first()
    if message is None or not message.wamid or message.direction != Direction.INBOUND:
        return "nothing to do"
    try:
        client_for(message).mark_read(message.wamid)
    except (RequestNeverSent, OutcomeUnknown, GraphRequestError) as exc:
        logger.info("mark-as-read for %s failed: %s", message.wamid, exc)
        return "failed"
    return "read"


def _extension_for(mime: str) -> str:
    base = (mime or "").split(";")[0].strip()
    return mimetypes.guess_extension(base) or ".bin"
