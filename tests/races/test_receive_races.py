"""do_receive_message under real concurrent database connections (threads + a barrier)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

from baton.conversations.models import Contact, Conversation, Message
from baton.whatsapp.actions import do_ingest_webhook
from baton.whatsapp.models import DeadLetter
from baton.whatsapp.parsing import parse_webhook
from tests.conftest import make_inbox
from tests.races.test_inbound_bursts import PNID, text_webhook


def ingest_concurrently(bodies: list[bytes]) -> None:
    barrier = threading.Barrier(len(bodies))

    def ingest(body: bytes) -> None:
        batches = parse_webhook(json.loads(body))
        try:
            barrier.wait()
            do_ingest_webhook(batches)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        list(pool.map(ingest, bodies))


def test_twenty_messages_of_one_new_customer_at_once(transactional_db):
    make_inbox(PNID)
    ingest_concurrently([text_webhook("34611111111", f"wamid.r{i}", f"m{i}") for i in range(20)])
    assert DeadLetter.objects.count() == 0
    assert Contact.objects.count() == 1
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 20


def test_returning_customer_burst_reopens_one_conversation(transactional_db):
    make_inbox(PNID)
    ingest_concurrently([text_webhook("34622222222", "wamid.first", "hi")])
    Conversation.objects.update(status="resolved")
    ingest_concurrently([text_webhook("34622222222", f"wamid.again{i}", "back") for i in range(12)])
    assert DeadLetter.objects.count() == 0
    assert Conversation.objects.count() == 1
    assert Conversation.objects.get().status == "queued"
    assert Message.objects.count() == 13
