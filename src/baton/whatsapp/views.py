"""``/webhooks/whatsapp``: Meta's verification handshake and signed event delivery."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from baton.whatsapp.actions import (
    IngestResult,
    StorageUnavailable,
    do_ingest_payload,
    do_ingest_unreadable_body,
)
from baton.whatsapp.counters import count_webhook
from baton.whatsapp.parsing import EnvelopeError
from baton.whatsapp.signature import is_valid_signature

logger = logging.getLogger("baton.whatsapp.webhook")

MAX_BODY_BYTES = 3 * 1024 * 1024 + 1024  # Meta: payloads up to 3 MB


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _verify(request)
    response = _receive(request)
    count_webhook(response.status_code)
    return response


def _verify(request: HttpRequest) -> HttpResponse:
    mode = request.GET.get("hub.mode")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    expected = settings.WHATSAPP_VERIFY_TOKEN
    if mode == "subscribe" and expected and constant_time_compare(token, expected):
        return HttpResponse(challenge, content_type="text/plain")
    logger.warning("webhook verification refused (mode=%r)", mode)
    return _error(403, "verification failed: wrong hub.mode or hub.verify_token")


def _receive(request: HttpRequest) -> HttpResponse:
    body = _read_body(request)
    if body is None:
        return _error(413, "payload larger than 3 MB")
    signature = request.headers.get("X-Hub-Signature-256")
    if not signature:
        logger.warning("webhook refused: no X-Hub-Signature-256 header (from %s)", _peer(request))
        return _error(401, "missing X-Hub-Signature-256 header")
    if not is_valid_signature(body, signature, settings.WHATSAPP_APP_SECRET):
        logger.warning("webhook refused: bad signature (from %s)", _peer(request))
        return _error(403, "X-Hub-Signature-256 does not match the body")
    try:
        try:
            payload = json.loads(body)
        except RecursionError:
            # Signed, so Meta's: kept whole rather than refused (a 4xx loses it for good).
            text = body.decode("utf-8", errors="replace")
            result = do_ingest_unreadable_body(text, "body nested too deeply to decode")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            logger.warning("webhook refused: malformed JSON: %s", exc)
            return _error(400, f"body is not valid JSON: {exc}")
        else:
            result = do_ingest_payload(payload)
    except EnvelopeError as exc:
        logger.warning("webhook refused: %s", exc)
        return _error(400, f"not a WhatsApp webhook envelope: {exc}")
    except StorageUnavailable as exc:
        # Never a 200 for what was not stored: Meta redelivers the whole body later, and
        # what this attempt already committed comes back as duplicates.
        logger.exception("webhook answered 503: %s", exc)
        return JsonResponse(
            {"error": "storage temporarily unavailable; redeliver later", **_counts(exc.result)},
            status=503,
            headers={"Retry-After": "5"},
        )
    # Everything is committed by now; only now may Meta consider it delivered.
    return JsonResponse(_counts(result))


def _read_body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is over Meta's 3 MB.

    Read from the stream, not ``request.body``: that refuses anything over Django's global
    DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB), which is right for forms but below what Meta
    sends, and raising it would raise it for every form and API endpoint too.
    """
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    while chunk := request.read(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _counts(result: IngestResult) -> dict[str, int]:
    return {
        "stored": result.messages_stored,
        "duplicates": result.duplicates,
        "statuses": result.statuses_applied,
        "dead_letters": result.dead_letters,
    }


def _peer(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "?")
