"""Meta sends webhook bodies up to 3 MB; Django's form limit is 2.5 MiB (issue #9, item 6)."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings

from baton.conversations.models import Message
from baton.whatsapp.signature import sign
from tests.conftest import APP_SECRET, load_sample, make_inbox, meta_bytes, post_webhook
from tests.live import running_baton

# 4,000 characters, WhatsApp's longest text; Meta escapes each as \uXXXX (6 bytes on the wire).
LONG_RUSSIAN_TEXT = ("Здравствуйте, где мой заказ? " * 200)[:4000]


def batch_of(count: int) -> bytes:
    """One POST with ``count`` long texts from different customers, as Meta batches them."""
    payload = load_sample("inbound_text.json")
    value: dict[str, Any] = payload["entry"][0]["changes"][0]["value"]
    template = value["messages"][0]
    value["contacts"] = []
    value["messages"] = []
    for index in range(count):
        wa_id = f"3460{index:07d}"
        value["contacts"].append({"profile": {"name": f"Cliente {index}"}, "wa_id": wa_id})
        value["messages"].append(
            {
                **template,
                "from": wa_id,
                "id": f"wamid.big{index}",
                "text": {"body": LONG_RUSSIAN_TEXT},
            }
        )
    return meta_bytes(payload)


def test_a_batch_of_2_9_mb_is_stored(client, inbox):
    body = batch_of(144)
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 2_800_000 < len(body) < 3_000_000
    response = post_webhook(client, body)
    assert response.status_code == 200, response.content
    assert response.json()["stored"] == 144
    assert Message.objects.filter(text=LONG_RUSSIAN_TEXT).count() == 144


def test_a_batch_of_2_9_mb_is_stored_through_the_real_server(transactional_db):
    """The same through uvicorn and the WSGI adapter ``baton serve`` runs."""
    make_inbox()
    body = batch_of(144)
    with running_baton(with_worker=False) as url:
        response = httpx.post(
            f"{url}/webhooks/whatsapp",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sign(body, APP_SECRET),
            },
            timeout=60,
        )
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 144


def test_a_body_over_3_mb_is_refused_with_413(client, inbox):
    body = batch_of(165)
    assert len(body) > 3_200_000
    response = post_webhook(client, body)
    assert response.status_code == 413
    assert not Message.objects.exists()


def test_other_endpoints_keep_djangos_limit(client, db):
    # Only the webhook reads past DATA_UPLOAD_MAX_MEMORY_SIZE; a form this big is refused.
    response = client.post(
        "/login/",
        data=b"username=a&password=" + b"x" * 2_900_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
