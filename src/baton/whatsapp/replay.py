"""Turning a dead letter's stored payload back into a webhook body. Pure.

A replay re-runs the body through the same intake as a live webhook (``do_ingest_payload``),
so whatever is fixed since (an inbox created for the number, a bug corrected) applies to it
exactly as it would to a redelivery from Meta.
"""

from __future__ import annotations

import json
from typing import Any

OBJECT = "whatsapp_business_account"

# Keys of an item dead letter, and where the item goes back in a change's ``value``.
_ITEM_KEYS = {"message": "messages", "status": "statuses"}
_LIST_KEYS = ("messages", "statuses", "contacts", "errors")


class NotReplayable(ValueError):
    """The stored payload does not describe anything a webhook could carry."""


def webhook_body_for(payload: Any, phone_number_id: str) -> Any:
    """The webhook body that carries what ``payload`` (a ``DeadLetter.payload``) kept.

    Raises NotReplayable for a payload of no known shape, and the JSON decoder's own
    errors (ValueError, RecursionError) for a kept body that still cannot be read.
    """
    if not isinstance(payload, dict):
        raise NotReplayable("the payload is not a JSON object")
    if isinstance(payload.get("body"), str):
        # The whole POST was kept as text because it could not even be decoded.
        return json.loads(payload["body"])
    kept_waba_id = payload.get("waba_id")
    waba_id = kept_waba_id if isinstance(kept_waba_id, str) else ""
    if "entry" in payload:
        return {"object": OBJECT, "entry": [payload["entry"]]}
    if "change" in payload:
        return _envelope(waba_id, payload["change"])
    if isinstance(payload.get("value"), dict):
        kept_field = payload.get("field")
        field = kept_field if isinstance(kept_field, str) else "messages"
        return _envelope(waba_id, {"field": field, "value": payload["value"]})
    metadata = payload.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {"phone_number_id": phone_number_id}
    value: dict[str, Any] = {"messaging_product": "whatsapp", "metadata": metadata}
    for key, list_key in _ITEM_KEYS.items():
        if key in payload:
            value[list_key] = [payload[key]]
    for list_key in _LIST_KEYS:
        if list_key in payload:
            value[list_key] = payload[list_key]
    if not any(key in value for key in ("messages", "statuses", "errors")):
        raise NotReplayable("the payload holds no message, status or error")
    return _envelope(waba_id, {"field": "messages", "value": value})


def _envelope(waba_id: str, change: Any) -> dict[str, Any]:
    return {"object": OBJECT, "entry": [{"id": waba_id, "changes": [change]}]}
