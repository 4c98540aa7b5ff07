"""What travels on the wire: Meta-style JSON bytes, signatures, envelopes, error bodies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from baton.simulator.config import SimNumber


def meta_json_bytes(payload: Any) -> bytes:
    """Compact JSON, non-ASCII as \\uXXXX and '/' as '\\/', as Meta sends webhooks."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


def signature_header(body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def new_wamid() -> str:
    raw = b"\x15\x02\x00\x11\x18\x12" + secrets.token_bytes(18)
    return "wamid." + base64.b64encode(raw).decode()


def now_ts() -> str:
    return str(int(time.time()))


def envelope(number: SimNumber, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": number.waba_id,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": number.display_phone_number,
                                "phone_number_id": number.phone_number_id,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def batched_envelope(number: SimNumber, values: list[dict[str, Any]]) -> dict[str, Any]:
    """One POST carrying several changes, as Meta batches under load."""
    payload = envelope(number, values[0])
    metadata = payload["entry"][0]["changes"][0]["value"]["metadata"]
    payload["entry"][0]["changes"] = [
        {
            "value": {"messaging_product": "whatsapp", "metadata": metadata, **value},
            "field": "messages",
        }
        for value in values
    ]
    return payload


def graph_error(
    code: int,
    title: str,
    details: str = "",
    *,
    error_type: str = "OAuthException",
    subcode: int | None = None,
) -> dict[str, Any]:
    """Meta's Graph API error envelope (PROTOCOL §5.2)."""
    error: dict[str, Any] = {
        "message": f"(#{code}) {title}",
        "type": error_type,
        "code": code,
        "fbtrace_id": "Sim" + secrets.token_urlsafe(15),
    }
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def webhook_error(code: int, title: str, details: str) -> dict[str, Any]:
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }
