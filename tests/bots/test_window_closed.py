"""A bot that cannot reach the customer (the 24-hour window is closed) hands off at once,
instead of holding a conversation waiting for an answer to a message nobody received."""

from __future__ import annotations

import json

import pytest

from baton.conversations.models import AuditEvent, Conversation, Message
from baton.demo.seed import DEMO_NUMBERS, seed_demo
from baton.whatsapp.actions import do_ingest_webhook
from baton.whatsapp.parsing import parse_webhook
from tests.races.test_inbound_bursts import text_webhook


@pytest.mark.django_db(transaction=True)
def test_a_bot_that_cannot_send_hands_off_at_once():
    seed_demo()
    support = next(n for n in DEMO_NUMBERS if n.name == "Demo Support")
    # The sample's timestamp is days old: the customer-service window is already closed.
    body = text_webhook("34600999002", "wamid.late", "Hello?")
    body = body.replace(b"1122334455667", support.phone_number_id.encode())
    do_ingest_webhook(parse_webhook(json.loads(body)))
    conversation = Conversation.objects.get()
    assert conversation.status in ("queued", "assigned")
    assert conversation.owner is None or not conversation.owner.is_bot
    assert not Message.objects.filter(conversation=conversation, direction="outbound").exists()
    handoff = AuditEvent.objects.get(conversation=conversation, kind="bot_handoff")
    assert "the 24-hour window is closed" in handoff.reason
