"""The agent-bot webhook: what Baton POSTs to an external bot, and how it is signed.

``event_payload`` and ``signature`` are pure; ``post_event`` is the one HTTP call (run by
``bots.tasks.deliver_agent_bot_event``, never inside a transaction). See docs/agent-bot.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

SIGNATURE_HEADER = "X-Baton-Signature-256"
EVENT_HEADER = "X-Baton-Event"
DELIVERY_HEADER = "X-Baton-Delivery"
TIMEOUT_SECONDS = 10.0
MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 2.0


def signature(body: bytes, secret: str) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of the exact body bytes, keyed with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_valid_signature(body: bytes, secret: str, header: str) -> bool:
    """What a receiver checks (constant-time)."""
    return hmac.compare_digest(signature(body, secret), header or "")


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def event_payload(
    event: str,
    delivery: str,
    *,
    conversation: dict[str, Any],
    message: dict[str, Any] | None,
) -> dict[str, Any]:
    cid = conversation["id"]
    return {
        "event": event,
        "delivery": delivery,
        "conversation": conversation,
        "message": message,
        # Where to answer and where to hand off (relative to Baton's base URL).
        "links": {
            "messages": f"/api/v1/conversations/{cid}/messages",
            "handoff": f"/api/v1/conversations/{cid}/handoff",
        },
    }


def retry_delay(attempt: int) -> float:
    """Seconds before attempt ``attempt + 1``: 2, 8, 32, 128 s."""
    return RETRY_BASE_SECONDS * (4 ** max(attempt - 1, 0))


def post_event(url: str, secret: str, payload: dict[str, Any]) -> int:
    """POST the signed event; returns the HTTP status (0 when the bot was unreachable)."""
    body = encode(payload)
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(body, secret),
        EVENT_HEADER: str(payload["event"]),
        DELIVERY_HEADER: str(payload["delivery"]),
        "User-Agent": "Baton-AgentBot/1",
    }
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError:
        return 0
    return response.status_code
