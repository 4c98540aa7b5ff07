"""A take-over racing the send of the previous owner's message (issue 9, item 15).

Exactly one of two things happens, never a third: the send was decided before the take-over
(it reaches WhatsApp, and it started before the take-over was recorded), or the take-over
committed first and the message is refused with the reason. Real threads and connections,
the simulator's Graph API over HTTP; meant for PostgreSQL (row locks), correct on SQLite.
"""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
from django.utils import timezone

from baton.conversations.models import AuditEvent, Conversation, EventKind
from baton.conversations.ownership import do_claim_conversation, do_take_over_conversation
from baton.whatsapp.graph import close_thread_client
from baton.whatsapp.outbound import do_queue_outbound_message
from baton.whatsapp.tasks import send_outbound_message
from tests.conftest import make_user
from tests.races.test_ownership_races import open_conversations, race

ROUNDS = 12
# (send, take-over) head starts in seconds, so both orders and the dead heat all happen.
HEAD_STARTS = [(0, 0), (0, 0.05), (0.05, 0), (0, 0.2), (0.2, 0), (0.5, 0)]


def send(message_id: int, delay: float) -> str:
    """What the worker does with the message's send task, on this thread."""
    time.sleep(delay)
    try:
        return send_outbound_message.call(message_id)
    finally:
        close_thread_client()  # as the worker does when its thread ends


def take_over(conversation_id: int, manager, delay: float) -> object:
    time.sleep(delay)
    return do_take_over_conversation(conversation_id, manager, "escalated")


def test_take_over_racing_the_send_exactly_one_outcome(transactional_db, simulator):
    conversations = open_conversations(ROUNDS)
    Conversation.objects.update(
        last_inbound_at=timezone.now(), window_ends_at=timezone.now() + timedelta(hours=24)
    )
    rita, maria = make_user("rita"), make_user("maria", role="manager")
    messages = []
    for conversation in conversations:
        conversation = do_claim_conversation(conversation.pk, rita)
        messages.append(do_queue_outbound_message(conversation, rita, text="On my way"))

    outcomes = []
    for index, (conversation, message) in enumerate(zip(conversations, messages, strict=True)):
        send_delay, take_over_delay = HEAD_STARTS[index % len(HEAD_STARTS)]
        race(
            [
                lambda m=message, d=send_delay: send(m.pk, d),
                lambda c=conversation, d=take_over_delay: take_over(c.pk, maria, d),
            ]
        )
        message.refresh_from_db()
        taken = AuditEvent.objects.get(conversation=conversation, kind=EventKind.TAKEN_OVER)
        delivered = message.wamid is not None
        if delivered:
            assert message.status == "sent"
            assert message.send_started_at < taken.created_at, "sent after the take-over"
            outcomes.append("sent before")
        else:
            assert message.status == "failed"
            assert message.error_title == "Conversation taken over by @maria"
            assert message.attempts == 0
            outcomes.append("refused")
    items = httpx.get(f"{simulator.base_url}/_sim/outbox", timeout=5).json()["items"]
    assert len(items) == outcomes.count("sent before")  # nothing else reached WhatsApp
    assert {i["body"]["biz_opaque_callback_data"] for i in items} == {
        f"baton:{m.pk}" for m in messages if m.wamid
    }
