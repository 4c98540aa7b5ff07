"""``/webhooks/whatsapp``: Meta's verification handshake and signed event delivery."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from baton.whatsapp.actions import do_ingest_webhook
from baton.whatsapp.parsing import EnvelopeError, parse_webhook
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
    return _receive(request)


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
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "payload larger than 3 MB")
    signature = request.headers.get("X-Hub-Signature-256")
    if not signature:
        logger.warning("webhook refused: no X-Hub-Signature-256 header (from %s)", _peer(request))
        return _error(401, "missing X-Hub-Signature-256 header")
    if not is_valid_signature(body, signature, settings.WHATSAPP_APP_SECRET):
        logger.warning("webhook refused: bad signature (from %s)", _peer(request))
        return _error(403, "X-Hub-Signature-256 does not match the body")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        logger.warning("webhook refused: malformed JSON: %s", exc)
        return _error(400, f"body is not valid JSON: {exc}")
    try:
        batches = parse_webhook(payload)
    except EnvelopeError as exc:
        logger.warning("webhook refused: %s", exc)
        return _error(400, f"not a WhatsApp webhook envelope: {exc}")
    result = do_ingest_webhook(batches)
    # Everything is committed by now; only now may Meta consider it delivered.
    return JsonResponse(
        {
            "stored": result.messages_stored,
            "duplicates": result.duplicates,
            "statuses": result.statuses_applied,
            "dead_letters": result.dead_letters,
        }
    )


def _peer(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "?")
