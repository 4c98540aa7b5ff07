"""SLA with bots: the time a bot holds a conversation is never charged to people; the
first-response clock starts at the bot's handoff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from baton.agents.models import Team
from baton.bots.actions import do_create_flow
from baton.bots.models import BotSession
from baton.conversations.models import AuditEvent, Conversation, EventKind
from baton.sla.actions import do_create_policy
from baton.sla.models import ConversationSla
from tests.bots.flows import front_desk
from tests.bots.helpers import customer_taps, customer_writes
from tests.sla.test_flow import backdate


@pytest.fixture
def policy(db):
    return do_create_policy(
        None,
        {
            "name": "Standard",
            "first_response_seconds": 600,
            "next_response_seconds": 900,
            "resolution_seconds": 7200,
            "warn_before_seconds": 300,
        },
    )


@pytest.fixture
def desk(inbox):
    for name in ("Support", "Sales"):
        Team.objects.get_or_create(name=name)
    return do_create_flow(front_desk(), None)


def test_bot_time_is_not_charged_first_response_starts_at_the_handoff(client, desk, policy):
    customer_writes(client, "Hi")
    conversation = Conversation.objects.get()
    # While the bot holds it, no first-response clock runs for people.
    assert ConversationSla.objects.get(pk=conversation.pk).first_response_state == "none"
    # The customer took 40 minutes with the bot (far past the 10-minute target).
    backdate(conversation, 40)
    BotSession.objects.update(waiting_until=timezone.now() + timedelta(minutes=5))
    customer_taps(client, "track", "Track my order")
    customer_writes(client, "1234")
    handoff = AuditEvent.objects.get(kind=EventKind.BOT_HANDOFF)
    sla = ConversationSla.objects.get(pk=conversation.pk)
    assert sla.first_response_state == "running"
    assert sla.first_response_started_at == handoff.created_at
    assert sla.first_response_due_at == handoff.created_at + timedelta(seconds=600)


def test_without_a_bot_the_same_wait_is_a_breach(client, inbox, policy):
    customer_writes(client, "Hi")
    conversation = Conversation.objects.get()
    backdate(conversation, 40)
    assert ConversationSla.objects.get(pk=conversation.pk).first_response_state == "breached"
