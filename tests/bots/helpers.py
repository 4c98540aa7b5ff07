"""Customers writing to the bot through the real webhook, and small bot fixtures."""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone

from tests.conftest import load_sample, meta_bytes, post_webhook

_ids = itertools.count(1)


def _message_of(body: dict[str, Any]) -> dict[str, Any]:
    return body["entry"][0]["changes"][0]["value"]["messages"][0]


def _post(client, body: dict[str, Any]) -> None:
    message = _message_of(body)
    message["id"] = f"wamid.bot-test-{next(_ids)}"
    message["timestamp"] = str(int(timezone.now().timestamp()))
    response = post_webhook(client, meta_bytes(body))
    assert response.status_code == 200, response.content


def customer_writes(client, text: str) -> None:
    body = load_sample("inbound_text.json")
    _message_of(body)["text"]["body"] = text
    _post(client, body)


def customer_taps(client, button_id: str, title: str) -> None:
    body = load_sample("inbound_interactive_button_reply.json")
    _message_of(body)["interactive"]["button_reply"] = {"id": button_id, "title": title}
    _post(client, body)


def customer_picks(client, row_id: str, title: str) -> None:
    body = load_sample("inbound_interactive_list_reply.json")
    _message_of(body)["interactive"]["list_reply"] = {"id": row_id, "title": title}
    _post(client, body)
