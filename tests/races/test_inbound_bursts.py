"""Concurrent webhook deliveries over real HTTP: one conversation per customer, no duplicates.

Chatwoot opened duplicate conversations when an album or a quick burst arrived in parallel
POSTs (chatwoot#10798, #14058). These run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from baton.conversations.models import Contact, Conversation, Message
from baton.whatsapp.signature import sign
from tests.conftest import APP_SECRET, make_inbox, meta_bytes
from tests.live import running_baton

PNID = "1122334455667"


def text_webhook(
    wa_id: str, wamid: str, body: str, name: str = "Zoë Ñúñez", timestamp: str = "1760000000"
) -> bytes:
    return meta_bytes(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "900",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "1555",
                                    "phone_number_id": PNID,
                                },
                                "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                                "messages": [
                                    {
                                        "from": wa_id,
                                        "id": wamid,
                                        "timestamp": timestamp,
                                        "type": "text",
                                        "text": {"body": body},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    )


def post_all_at_once(url: str, bodies: list[bytes]) -> list[int]:
    barrier = threading.Barrier(len(bodies))

    def post(body: bytes) -> int:
        with httpx.Client(timeout=30) as client:
            barrier.wait()
            response = client.post(
                f"{url}/webhooks/whatsapp",
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": sign(body, APP_SECRET),
                },
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


@pytest.fixture
def server(transactional_db):
    make_inbox(PNID)
    with running_baton(with_worker=False) as url:
        yield url


def test_burst_from_one_new_customer_opens_one_conversation(server):
    bodies = [text_webhook("34600000001", f"wamid.album{i}", f"photo {i}") for i in range(20)]
    assert post_all_at_once(server, bodies) == [200] * 20
    assert Contact.objects.count() == 1
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 20


def test_same_delivery_concurrently_is_stored_once(server):
    body = text_webhook("34600000002", "wamid.same", "hello")
    assert post_all_at_once(server, [body] * 10) == [200] * 10
    assert Message.objects.filter(wamid="wamid.same").count() == 1
    assert Conversation.objects.count() == 1


def test_many_customers_many_messages(server):
    bodies = [
        text_webhook(f"3460000010{c}", f"wamid.c{c}m{m}", f"message {m}")
        for c in range(10)
        for m in range(5)
    ]
    assert post_all_at_once(server, bodies) == [200] * 50
    assert Conversation.objects.count() == 10
    assert Message.objects.count() == 50
    for conversation in Conversation.objects.all():
        assert conversation.messages.count() == 5
