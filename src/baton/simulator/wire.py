"""What travels on the wire: Meta-style JSON bytes, signatures, ids, envelopes, error bodies.

Shapes follow shared/whatsapp-samples (PROTOCOL §2, §4, §5); nothing here does I/O.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from baton.simulator.config import SimNumber
from baton.simulator.state import StoredMedia, is_bsuid

SIGNATURE_HEADER = "X-Hub-Signature-256"
ERROR_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


def meta_json_bytes(payload: Any) -> bytes:
    """Serialise as Meta does: compact, non-ASCII as ``\\uXXXX``, ``/`` escaped as ``\\/``.

    A receiver must verify the signature over these exact bytes; re-serialising the parsed
    JSON gives different bytes as soon as a name has an accent or a URL has a slash.
    """
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


def sign(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value: lowercase hex HMAC-SHA256 of the body bytes."""
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def timestamp(at: float) -> str:
    """Webhook timestamps are strings of Unix seconds (PROTOCOL §0.12)."""
    return str(int(at))


def new_wamid(customer: str, *, inbound: bool = False) -> str:
    """A fresh ``wamid.``: base64 of the customer's number and a random key, like Meta's.

    Real ids decode to ``\\x1c\\x18<len><number>\\x15\\x02\\x00`` then a random hex key: 18
    characters for messages the business sent, 20 for messages it received.
    """
    who = customer.encode("ascii", "replace")[:255]
    key_len = 20 if inbound else 18
    key = secrets.token_hex(key_len // 2).upper().encode("ascii")
    raw = (
        b"\x1c\x18"
        + bytes([len(who)])
        + who
        + b"\x15\x02\x00"
        + (b"\x12" if inbound else b"\x11")
        + b"\x18"
        + bytes([key_len])
        + key
        + b"\x00"
    )
    return "wamid." + base64.b64encode(raw).decode("ascii")


def new_fbtrace_id() -> str:
    return "A" + secrets.token_urlsafe(16)[:22]


def sha256_b64(content: bytes) -> str:
    """Webhook media objects carry the file's SHA-256 in base64 (the media GET uses hex)."""
    return base64.b64encode(hashlib.sha256(content).digest()).decode("ascii")


# ---------------------------------------------------------------------------- envelopes


def envelope(changes: list[tuple[SimNumber, dict[str, Any]]]) -> dict[str, Any]:
    """One webhook body carrying ``changes`` (``value`` dicts), grouped per WABA entry.

    Several changes for one WABA share an entry, as in Meta's batched deliveries
    (sample ``inbound_batch_two_changes_one_entry.json``).
    """
    entries: dict[str, dict[str, Any]] = {}
    for number, value in changes:
        entry = entries.setdefault(number.waba_id, {"id": number.waba_id, "changes": []})
        entry["changes"].append(
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
        )
    return {"object": "whatsapp_business_account", "entry": list(entries.values())}


def webhook_error(code: int, title: str, details: str) -> dict[str, Any]:
    """An error object inside ``statuses[].errors`` or ``messages[].errors`` (§4.6)."""
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details},
        "href": ERROR_HREF,
    }


def pricing(category: str, *, free: bool) -> dict[str, Any]:
    """Per-message pricing (PMP, since July 2025); service replies in a window are free."""
    return {
        "billable": not free,
        "pricing_model": "PMP",
        "type": "free_customer_service" if free else "regular",
        "category": category,
    }


def status_item(
    *,
    wamid: str,
    status: str,
    at: float,
    recipient: str,
    recipient_user_id: str | None = None,
    callback_data: str | None = None,
    pricing_info: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One ``statuses[]`` element. No ``conversation`` object: omitted since Graph v24."""
    item: dict[str, Any] = {"id": wamid, "status": status, "timestamp": timestamp(at)}
    # A message sent to a BSUID is reported without any phone number (§8.2).
    if is_bsuid(recipient):
        item["recipient_user_id"] = recipient
    else:
        item["recipient_id"] = recipient
        if recipient_user_id:
            item["recipient_user_id"] = recipient_user_id
    if callback_data is not None:
        item["biz_opaque_callback_data"] = callback_data
    if pricing_info is not None:
        item["pricing"] = pricing_info
    if errors:
        item["errors"] = errors
    return item


# ---------------------------------------------------------------------------- inbound


def _float(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def inbound_message(
    *,
    spec: dict[str, Any],
    kind: str,
    wamid: str,
    at: float,
    wa_id: str | None,
    user_id: str | None,
    business_display_number: str,
    media: StoredMedia | None = None,
) -> dict[str, Any]:
    """One ``messages[]`` element from a control-API or script spec (§4.2-4.4).

    ``kind`` is already normalised (text, image, document, location, reaction, interactive,
    button) or anything else, which arrives as ``unsupported`` with error 131051 the way
    Meta reports polls and other types it does not forward.
    """
    message: dict[str, Any] = {}
    context: dict[str, Any] = {}
    if spec.get("context_id"):
        context = {"from": business_display_number, "id": str(spec["context_id"])}
    elif spec.get("forwarded"):
        context = {"forwarded": True}
    if context:
        message["context"] = context
    # BSUID-only customers (username adopters) come without any phone number at all.
    if wa_id:
        message["from"] = wa_id
    if user_id:
        message["from_user_id"] = user_id
    message["id"] = wamid
    message["timestamp"] = timestamp(at)

    if kind == "text":
        text = spec.get("text")
        body = text.get("body") if isinstance(text, dict) else text
        message["type"] = "text"
        message["text"] = {"body": str(body or "")}
    elif kind in ("image", "document") and media is not None:
        obj: dict[str, Any] = {}
        if spec.get("caption"):
            obj["caption"] = str(spec["caption"])
        if kind == "document":
            obj["filename"] = media.filename
        obj["mime_type"] = media.mime_type
        obj["sha256"] = sha256_b64(media.content)
        obj["id"] = media.media_id
        message["type"] = kind
        message[kind] = obj
    elif kind == "location":
        nested = spec.get("location")
        # At the top level "name" is the customer's name, so a place name comes as "place";
        # inside a nested "location" object the keys are Meta's own.
        source = nested if isinstance(nested, dict) else spec
        place = source.get("name") if isinstance(nested, dict) else spec.get("place")
        location: dict[str, Any] = {
            "latitude": _float(source.get("latitude"), 38.7223),
            "longitude": _float(source.get("longitude"), -9.1393),
        }
        if place:
            location["name"] = str(place)
        for key in ("address", "url"):
            if source.get(key):
                location[key] = str(source[key])
        message["type"] = "location"
        message["location"] = location
    elif kind == "reaction":
        reaction: dict[str, Any] = {"message_id": str(spec.get("message_id") or "")}
        # Removal is an empty emoji; Meta has also sent it with the key missing.
        if "emoji" in spec:
            reaction["emoji"] = str(spec["emoji"] or "")
        message["type"] = "reaction"
        message["reaction"] = reaction
    elif kind == "interactive":
        is_list = bool(spec.get("list_reply")) or spec.get("type") == "list_reply"
        reply_type = "list_reply" if is_list else "button_reply"
        given = spec.get(reply_type) if isinstance(spec.get(reply_type), dict) else {}
        reply = {
            "id": str(given.get("id") or spec.get("id") or "yes"),
            "title": str(given.get("title") or spec.get("title") or "Yes"),
        }
        if reply_type == "list_reply" and (given.get("description") or spec.get("description")):
            reply["description"] = str(given.get("description") or spec.get("description"))
        message["type"] = "interactive"
        message["interactive"] = {"type": reply_type, reply_type: reply}
    elif kind == "button":
        message["type"] = "button"
        message["button"] = {
            "payload": str(spec.get("payload") or spec.get("text") or ""),
            "text": str(spec.get("text") or spec.get("payload") or ""),
        }
    else:
        message["type"] = "unsupported"
        message["unsupported"] = {"type": kind}
        message["errors"] = [
            webhook_error(
                131051, "Message type unknown", "Message type is currently not supported."
            )
        ]
    return message


# ---------------------------------------------------------------------------- Graph errors

# code: (title, HTTP status, default details), per PROTOCOL §5.3.
KNOWN_ERRORS: dict[int, tuple[str, int, str]] = {
    0: ("AuthException", 401, "We were unable to authenticate the app user."),
    4: ("Application request limit reached", 400, "Too many API calls."),
    10: ("Permission denied", 403, "Permission is either not granted or has been removed."),
    100: ("Invalid parameter", 400, "Invalid parameter"),
    190: ("Invalid OAuth access token - Cannot parse access token", 401, ""),
    368: ("Temporarily blocked for policies violations", 403, "Blocked for policy violations."),
    80007: ("Rate limit issues", 400, "The WhatsApp Business Account reached its rate limit."),
    130429: ("Rate limit hit", 400, "Cloud API message throughput has been reached."),
    130472: (
        "User's number is part of an experiment",
        400,
        "Failed to send message because this user's phone number is part of an experiment",
    ),
    131000: ("Something went wrong", 500, "Something went wrong"),
    131005: ("Access denied", 403, "Permission is either not granted or has been removed."),
    131008: ("Required parameter is missing", 400, "A required parameter is missing."),
    131009: ("Parameter value is not valid", 400, "One or more parameter values are invalid."),
    131016: ("Service unavailable", 500, "A service is temporarily unavailable."),
    131021: ("Recipient cannot be sender", 400, "Sender and recipient phone number is the same."),
    131026: ("Message undeliverable", 400, "Message Undeliverable."),
    131031: ("Business Account locked", 403, "The WhatsApp Business Account is locked."),
    131042: ("Business eligibility payment issue", 400, "There was a payment issue."),
    131047: (
        "Re-engagement message",
        400,
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    131048: ("Spam rate limit hit", 400, "Message failed to send because of spam limits."),
    131049: (
        "This message was not delivered to maintain healthy ecosystem engagement.",
        400,
        "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
    ),
    131050: (
        "Unable to deliver the message. This recipient has chosen to stop receiving marketing "
        "messages on WhatsApp from your business",
        400,
        "The recipient stopped marketing messages.",
    ),
    131051: ("Unsupported message type", 400, "Message type is not currently supported."),
    131053: ("Media upload error", 400, "Unable to upload the media used in the message."),
    131056: (
        "(Business Account, Consumer Account) pair rate limit hit",
        400,
        "Message failed to send because there were too many messages sent from this phone "
        "number to the same phone number in a short period of time.",
    ),
    131057: ("Account in maintenance mode", 500, "Business Account is in maintenance mode."),
    132000: (
        "Number of parameters does not match the expected number of params",
        400,
        "The number of parameters does not match the template.",
    ),
    132001: (
        "Template name does not exist in the translation",
        404,
        "The template does not exist in this language.",
    ),
    132015: ("Template is Paused", 400, "The template is paused due to low quality."),
    132016: ("Template is Disabled", 400, "The template is disabled."),
}


@dataclass(frozen=True)
class GraphFailure:
    """A refusal by the Graph API: the HTTP status and the ``{"error": …}`` body (§5.2)."""

    code: int
    title: str
    details: str
    http_status: int
    subcode: int | None = None
    error_type: str = "OAuthException"
    # Some Graph errors (190, 100/33) carry a plain message without "(#code) title".
    message: str = ""

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message or f"(#{self.code}) {self.title}",
            "type": self.error_type,
            "code": self.code,
        }
        if self.details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = new_fbtrace_id()
        return {"error": error}


def graph_failure(
    code: int,
    details: str | None = None,
    *,
    title: str | None = None,
    http_status: int | None = None,
    subcode: int | None = None,
) -> GraphFailure:
    """A failure for ``code`` with Meta's title and HTTP status unless overridden."""
    known_title, known_status, known_details = KNOWN_ERRORS.get(code, ("Unknown error", 400, ""))
    return GraphFailure(
        code=code,
        title=title or known_title,
        details=known_details if details is None else details,
        http_status=http_status or known_status,
        subcode=subcode,
    )


def token_failure(http_status: int = 401) -> GraphFailure:
    """Missing or wrong Bearer token (sample ``send_error_190_invalid_oauth_token.json``)."""
    return GraphFailure(
        code=190,
        title="Invalid OAuth access token",
        details="",
        http_status=http_status,
        message="Invalid OAuth access token - Cannot parse access token",
    )


def unknown_object_failure(object_id: str, method: str) -> GraphFailure:
    """An id the token cannot see (sample ``graph_error_100_33_unsupported_get.json``)."""
    return GraphFailure(
        code=100,
        title="Unsupported request",
        details="",
        http_status=400,
        subcode=33,
        error_type="GraphMethodException",
        message=(
            f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot "
            "be loaded due to missing permissions, or does not support this operation. Please "
            "read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
        ),
    )


def throughput_failure() -> GraphFailure:
    """Meta's documented 130429 example, with its subcode (§5.2)."""
    return graph_failure(130429, subcode=2494055)
