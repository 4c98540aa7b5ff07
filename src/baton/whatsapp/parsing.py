"""Pure parsing of WhatsApp Cloud API webhook bodies into plain data.

No database, no I/O: every function here takes decoded JSON and returns dataclasses, so the
parser can be tested against every recorded payload. Meta's rules this module encodes
(see shared/whatsapp-samples/PROTOCOL.md):

* iterate every ``entry[]`` / ``changes[]`` / ``messages[]`` / ``statuses[]``, never ``[0]``;
* ids, phone numbers and timestamps are strings and stay strings;
* a sender is identified by ``from_user_id`` (BSUID) when present, else ``from`` (wa_id);
  either may be absent or empty;
* unknown message types are kept as ``unsupported`` with the raw payload;
* a value of the wrong JSON type anywhere is data, not a crash: the item it spoils is set
  aside for the dead-letter table, and its neighbours are parsed as usual.

The caller passes JSON already made storable (``whatsapp.sanitise.storable_json``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from baton.whatsapp.sanitise import fit, safe_filename, storable_json

logger = logging.getLogger("baton.whatsapp.parsing")

KNOWN_MESSAGE_TYPES = {
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "button",
    "reaction",
    "order",
    "system",
    "edit",
    "revoke",
    "unsupported",
}
MEDIA_MESSAGE_TYPES = {"image", "video", "audio", "document", "sticker"}
DELIVERY_STATUSES = {"sent", "delivered", "read", "played", "failed"}
# The error code is stored in a 32-bit column; Meta's codes are six digits at most.
MAX_ERROR_CODE = 2**31 - 1
# Column sizes of what a media object carries besides its id (conversations.Message).
MAX_MIME_TYPE_LENGTH = 128
MAX_SHA256_LENGTH = 128
MAX_FILENAME_LENGTH = 255


class EnvelopeError(ValueError):
    """The body is JSON but not a WhatsApp Business Account webhook envelope."""


@dataclass(frozen=True)
class ContactProfile:
    """What ``value.contacts[]`` tells about a user."""

    wa_id: str | None
    user_id: str | None
    parent_user_id: str
    profile_name: str
    username: str


@dataclass(frozen=True)
class Media:
    media_id: str
    mime_type: str
    sha256: str
    filename: str
    url: str


@dataclass(frozen=True)
class WebhookError:
    """An error object from ``value.errors``, ``messages[].errors`` or ``statuses[].errors``."""

    code: int | None
    title: str
    details: str

    @classmethod
    def from_json(cls, obj: Any) -> WebhookError:
        if not isinstance(obj, dict):
            return cls(code=None, title=_text(obj), details="")
        code: int | None
        try:
            code = int(obj["code"]) if isinstance(obj.get("code"), int | str) else None
        except ValueError:
            code = None
        if code is not None and abs(code) > MAX_ERROR_CODE:
            code = None
        error_data = _obj(obj, "error_data")
        details = _text(error_data.get("details")) or _text(obj.get("details"))
        details = details or _text(obj.get("message"))
        return cls(
            code=code, title=_text(obj.get("title")) or _text(obj.get("message")), details=details
        )

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title, "details": self.details}


@dataclass(frozen=True)
class InboundMessage:
    wamid: str
    type: str
    original_type: str
    from_wa_id: str | None
    from_user_id: str | None
    timestamp: datetime
    text: str
    content: dict[str, Any]
    context: dict[str, Any]
    reply_to_wamid: str | None
    media: Media | None
    contact: ContactProfile | None
    raw: dict[str, Any]

    @property
    def sender_key(self) -> str:
        """Stable key for the sender, used to order work per customer."""
        return self.from_user_id or self.from_wa_id or ""


@dataclass(frozen=True)
class StatusUpdate:
    wamid: str
    status: str
    timestamp: datetime
    recipient_id: str | None
    recipient_user_id: str | None
    callback_data: str
    errors: list[WebhookError]
    pricing: dict[str, Any]
    raw: dict[str, Any]


@dataclass
class ChangeBatch:
    """One ``entry[].changes[]`` item: everything that happened on one of our numbers."""

    waba_id: str
    webhook_field: str
    phone_number_id: str
    display_phone_number: str
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    errors: list[WebhookError] = field(default_factory=list)
    raw_value: dict[str, Any] = field(default_factory=dict)
    unparsable: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    # Set when the entry or change itself is not readable; ``raw_value`` then holds it whole.
    malformed: str = ""


def _obj(container: Any, key: str) -> dict[str, Any]:
    """``container[key]`` when it is a JSON object, else an empty dict (wrong shapes are data)."""
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, dict) else {}


def _list(container: Any, key: str) -> list[Any]:
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, list) else []


def _str_or_none(value: Any) -> str | None:
    """An id: a non-empty string, or a number written as one; anything else is no id."""
    text = _text(value).strip()
    return text or None


def _text(value: Any) -> str:
    """A string field: strings as they are, numbers as written, other shapes as nothing."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def parse_timestamp(value: Any) -> datetime:
    """WhatsApp timestamps are Unix seconds as strings (some webhooks use ints)."""
    try:
        return datetime.fromtimestamp(int(str(value)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"invalid timestamp {value!r}") from exc


def parse_contact(obj: dict[str, Any]) -> ContactProfile:
    profile = _obj(obj, "profile")
    return ContactProfile(
        wa_id=_str_or_none(obj.get("wa_id")),
        user_id=_str_or_none(obj.get("user_id")),
        parent_user_id=_text(obj.get("parent_user_id")),
        profile_name=_text(profile.get("name")),
        username=_text(profile.get("username")),
    )


def _match_contact(
    contacts: list[ContactProfile], wa_id: str | None, user_id: str | None
) -> ContactProfile | None:
    for contact in contacts:
        if user_id and contact.user_id == user_id:
            return contact
    for contact in contacts:
        if wa_id and contact.wa_id == wa_id:
            return contact
    return None


def _media(obj: dict[str, Any]) -> Media:
    # An over-long hint is cut to its column; the id is kept whole (a cut id names nothing).
    return Media(
        media_id=_text(obj.get("id")).strip(),
        mime_type=fit(_text(obj.get("mime_type")), MAX_MIME_TYPE_LENGTH),
        sha256=fit(_text(obj.get("sha256")), MAX_SHA256_LENGTH),
        filename=safe_filename(_text(obj.get("filename")), MAX_FILENAME_LENGTH),
        url=_text(obj.get("url")),
    )


def _interactive_text(interactive: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = _text(interactive.get("type"))
    body = _obj(interactive, kind)
    content: dict[str, Any] = {"interactive_type": kind, **body}
    if kind == "nfm_reply":
        raw_response = body.get("response_json")
        try:
            response = json.loads(raw_response) if raw_response else {}
        except (TypeError, ValueError):
            content["response"] = {}
            content["response_error"] = "response_json is not valid JSON"
        except RecursionError:
            content["response"] = {}
            content["response_error"] = "response_json is nested too deeply to read"
        else:
            content["response"] = storable_json(response)
        return _text(body.get("body")) or "Form submitted", content
    return _text(body.get("title")), content


def _contacts_summary(cards: list[Any]) -> str:
    names = []
    for card in cards:
        if isinstance(card, dict):
            name = _obj(card, "name")
            names.append(_text(name.get("formatted_name")) or "contact")
    return ", ".join(names)


def _body_of(msg_type: str, msg: dict[str, Any]) -> tuple[str, dict[str, Any], Media | None]:
    """Text, type-specific content and media of one message object of a known type."""
    obj = _obj(msg, msg_type)
    if msg_type == "text":
        return _text(obj.get("body")), {}, None
    if msg_type in MEDIA_MESSAGE_TYPES:
        extras: dict[str, Any] = {k: obj[k] for k in ("voice", "animated") if k in obj}
        return _text(obj.get("caption")), extras, _media(obj)
    if msg_type == "location":
        return _text(obj.get("name")) or _text(obj.get("address")), dict(obj), None
    if msg_type == "contacts":
        cards = _list(msg, "contacts")
        return _contacts_summary(cards), {"contacts": cards}, None
    if msg_type == "interactive":
        if not obj:
            return "", {"interactive_type": "", "missing": True}, None
        text, content = _interactive_text(obj)
        return text, content, None
    if msg_type == "button":
        return _text(obj.get("text")), dict(obj), None
    if msg_type == "reaction":
        emoji = _text(obj.get("emoji"))
        return emoji, {"message_id": _text(obj.get("message_id")), "emoji": emoji}, None
    if msg_type == "order":
        return _text(obj.get("text")), dict(obj), None
    if msg_type == "system":
        content = dict(obj)
        if isinstance(msg.get("identity"), dict):
            content["identity"] = msg["identity"]
        return _text(obj.get("body")), content, None
    if msg_type == "edit":
        inner = _obj(obj, "message")
        inner_type = _text(inner.get("type"))
        inner_obj = _obj(inner, inner_type)
        text = _text(inner_obj.get("body")) or _text(inner_obj.get("caption"))
        content = {"original_message_id": _text(obj.get("original_message_id")), "message": inner}
        media = _media(inner_obj) if inner_type in MEDIA_MESSAGE_TYPES else None
        return text, content, media
    if msg_type == "revoke":
        return "", {"original_message_id": _text(obj.get("original_message_id"))}, None
    # unsupported
    content = {"errors": [WebhookError.from_json(e).as_dict() for e in _list(msg, "errors")]}
    if _text(obj.get("type")):
        content["unsupported_type"] = _text(obj.get("type"))
    return "", content, None


def parse_message(
    msg: dict[str, Any], contacts: list[ContactProfile], value_errors: list[WebhookError]
) -> InboundMessage:
    """Parse one ``value.messages[]`` item. Raises ValueError when it has no usable id."""
    wamid = _str_or_none(msg.get("id"))
    if not wamid:
        raise ValueError("message without an id")
    original_type = _text(msg.get("type"))
    msg_type = original_type if original_type in KNOWN_MESSAGE_TYPES else "unsupported"
    text, content, media = _body_of(msg_type, msg)
    if msg_type == "unsupported" and original_type != "unsupported":
        content["original_type"] = original_type
    if value_errors and msg_type == "interactive" and content.get("missing"):
        content["errors"] = [e.as_dict() for e in value_errors]
    from_wa_id = _str_or_none(msg.get("from"))
    from_user_id = _str_or_none(msg.get("from_user_id"))
    contact = _match_contact(contacts, from_wa_id, from_user_id)
    if contact is not None:
        from_user_id = from_user_id or contact.user_id
    if not from_wa_id and not from_user_id:
        raise ValueError("message without a sender (neither from nor from_user_id)")
    context = _obj(msg, "context")
    if isinstance(msg.get("referral"), dict):
        context = {**context, "referral": msg["referral"]}
    reply_to = _str_or_none(context.get("id")) if context else None
    return InboundMessage(
        wamid=wamid,
        type=msg_type,
        original_type=original_type,
        from_wa_id=from_wa_id,
        from_user_id=from_user_id,
        timestamp=parse_timestamp(msg.get("timestamp")),
        text=text,
        content=content,
        context=context,
        reply_to_wamid=reply_to,
        media=media if media and media.media_id else None,
        contact=contact,
        raw=msg,
    )


def parse_status(obj: dict[str, Any]) -> StatusUpdate:
    wamid = _str_or_none(obj.get("id"))
    status = _text(obj.get("status"))
    if not wamid:
        raise ValueError("status without an id")
    if status not in DELIVERY_STATUSES:
        raise ValueError(f"unknown status {status!r}")
    return StatusUpdate(
        wamid=wamid,
        status=status,
        timestamp=parse_timestamp(obj.get("timestamp")),
        recipient_id=_str_or_none(obj.get("recipient_id")),
        recipient_user_id=_str_or_none(obj.get("recipient_user_id")),
        callback_data=_text(obj.get("biz_opaque_callback_data")),
        errors=[WebhookError.from_json(e) for e in _list(obj, "errors")],
        pricing=_obj(obj, "pricing"),
        raw=obj,
    )


def parse_webhook(body: Any) -> list[ChangeBatch]:
    """Validate the envelope and parse every change. Raises EnvelopeError on a wrong shape.

    Only a body that is not a WhatsApp Business Account webhook at all is refused. An entry
    or change that cannot be read comes back as a ``ChangeBatch`` with ``malformed`` set, and
    individually broken items (a message without an id, a status with an unknown value, a
    ``messages`` that is not a list) in ``ChangeBatch.unparsable``: the caller keeps them in
    the dead-letter table while the rest of the body is applied.
    """
    if not isinstance(body, dict):
        raise EnvelopeError("body must be a JSON object")
    if body.get("object") != "whatsapp_business_account":
        raise EnvelopeError('"object" must be "whatsapp_business_account"')
    entries = body.get("entry")
    if not isinstance(entries, list):
        raise EnvelopeError('"entry" must be a list')
    batches: list[ChangeBatch] = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            batches.append(_malformed("", {"entry": entry}, 'an "entry" without a "changes" list'))
            continue
        waba_id = _text(entry.get("id"))
        for change in entry["changes"]:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                batches.append(
                    _malformed(waba_id, {"change": change}, 'a change without a "value" object')
                )
                continue
            try:
                batches.append(_parse_change(waba_id, change))
            except Exception as exc:
                # Every shape above is handled; reaching this is a bug, and keeps the change.
                logger.exception("could not parse a webhook change")
                batches.append(
                    _malformed(waba_id, {"change": change}, f"{exc.__class__.__name__}: {exc}")
                )
    return batches


def _malformed(waba_id: str, raw: dict[str, Any], why: str) -> ChangeBatch:
    return ChangeBatch(
        waba_id=waba_id,
        webhook_field="",
        phone_number_id="",
        display_phone_number="",
        raw_value=raw,
        malformed=why,
    )


def _items(value: dict[str, Any], key: str, batch: ChangeBatch) -> list[Any]:
    """``value[key]`` as a list; a value of another type is set aside whole."""
    items = value.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        batch.unparsable.append(({key: items}, f'"{key}" is not a list'))
        return []
    return items


def _parse_change(waba_id: str, change: dict[str, Any]) -> ChangeBatch:
    value = change["value"]
    metadata = _obj(value, "metadata")
    batch = ChangeBatch(
        waba_id=waba_id,
        webhook_field=_text(change.get("field")),
        phone_number_id=_text(metadata.get("phone_number_id")),
        display_phone_number=_text(metadata.get("display_phone_number")),
        raw_value=value,
    )
    if batch.webhook_field != "messages":
        return batch
    contacts = [parse_contact(c) for c in _items(value, "contacts", batch) if isinstance(c, dict)]
    batch.errors = [WebhookError.from_json(e) for e in _items(value, "errors", batch)]
    for msg in _items(value, "messages", batch):
        try:
            if not isinstance(msg, dict):
                raise ValueError("message is not an object")
            batch.messages.append(parse_message(msg, contacts, batch.errors))
        except ValueError as exc:
            batch.unparsable.append(({"message": msg}, str(exc)))
        except Exception as exc:
            logger.exception("could not parse a message")
            batch.unparsable.append(({"message": msg}, f"{exc.__class__.__name__}: {exc}"))
    for status in _items(value, "statuses", batch):
        try:
            if not isinstance(status, dict):
                raise ValueError("status is not an object")
            batch.statuses.append(parse_status(status))
        except ValueError as exc:
            batch.unparsable.append(({"status": status}, str(exc)))
        except Exception as exc:
            logger.exception("could not parse a status")
            batch.unparsable.append(({"status": status}, f"{exc.__class__.__name__}: {exc}"))
    # Meta does not promise order; apply a customer's messages in the order they were sent.
    batch.messages.sort(key=lambda m: m.timestamp)
    return batch
