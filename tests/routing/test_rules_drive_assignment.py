"""Rules and the assignment engine together, through the real webhook and the worker: the
rule chooses the team, the agent or the strategy; the timeline says which rule and strategy."""

from __future__ import annotations

import pytest

from baton.conversations.models import AuditEvent, Conversation, EventKind
from tests.conftest import post_webhook, run_tasks
from tests.routing.factories import inbound, make_agent, make_rule, make_team

REFUND = {"field": "message.text", "op": "contains_any", "value": ["refund", "money back"]}


@pytest.fixture
def billing(transactional_db):
    return make_team("Billing", default_capacity=3)


def arrive(client, text: str, wa_id: str = "34600000001") -> Conversation:
    assert (
        post_webhook(client, inbound(text=text, wa_id=wa_id, wamid=f"wamid.{wa_id}")).status_code
        == 200
    )
    run_tasks()
    return Conversation.objects.get(contact__wa_id=wa_id)


def assignment(conversation: Conversation) -> AuditEvent:
    return AuditEvent.objects.get(conversation=conversation, kind=EventKind.AUTO_ASSIGNED)


def test_rule_team_then_team_strategy_and_the_timeline_names_both(client, inbox, billing):
    make_rule("Refunds to billing", REFUND, {"team": "Billing"})
    bea = make_agent("bea", billing)
    conversation = arrive(client, "I want a refund please")
    assert (conversation.team, conversation.owner) == (billing, bea)
    event = assignment(conversation)
    assert event.data["rule"] == "Refunds to billing"
    assert event.data["strategy"] == "least_loaded"
    assert event.reason.startswith("rule “Refunds to billing” → least loaded")


def test_rule_named_agent_wins_over_the_strategy_when_available(client, inbox, billing):
    make_agent("bea", billing)
    carl = make_agent("carl", billing)
    make_rule("VIP to carl", REFUND, {"team": "Billing", "agent": "carl"})
    conversation = arrive(client, "money back now")
    assert conversation.owner == carl
    assert assignment(conversation).data["strategy"] == "preferred_agent"


def test_rule_named_agent_away_falls_back_to_the_strategy(client, inbox, billing):
    bea = make_agent("bea", billing)
    make_agent("carl", billing, presence="away")
    make_rule("VIP to carl", REFUND, {"team": "Billing", "agent": "carl"})
    assert arrive(client, "refund").owner == bea


def test_rule_asking_for_the_manual_queue_is_never_auto_assigned(client, inbox, billing):
    make_agent("bea", billing)
    make_rule("Refunds wait", REFUND, {"team": "Billing", "strategy": "manual"})
    conversation = arrive(client, "refund")
    assert (conversation.status, conversation.owner) == ("queued", None)
    # ...and it does not hold up the conversations behind it.
    other = arrive(client, "hello there", wa_id="34600000002")
    assert other.team.name == "Support"


def test_manual_team_still_honours_a_rule_that_names_an_agent(client, inbox, transactional_db):
    vip = make_team("VIP", assignment_strategy="manual")
    vera = make_agent("vera", vip)
    make_rule("VIP", REFUND, {"team": "VIP", "agent": "vera"})
    make_rule(
        "Other VIP", {"field": "message.text", "op": "contains", "value": "hi"}, {"team": "VIP"}
    )
    assert arrive(client, "refund").owner == vera
    assert arrive(client, "hi", wa_id="34600000003").owner is None


def test_a_long_manual_queue_never_makes_the_engine_spin(transactional_db):
    """More than a batch of conversations a rule kept for the manual queue, ahead of one
    that can be assigned: the engine assigns that one and returns."""
    from datetime import timedelta

    from django.utils import timezone

    from baton.routing.actions import BATCH, do_assign_waiting
    from tests.routing.factories import queue_conversation

    support = make_team("Support", default_capacity=5)
    alice = make_agent("alice", support)
    start = timezone.now() - timedelta(hours=1)
    for i in range(BATCH + 5):
        queue_conversation(support, start + timedelta(seconds=i), assignment_strategy="manual")
    newest = queue_conversation(support, start + timedelta(minutes=30))
    assert do_assign_waiting(support.pk) == 1
    newest.refresh_from_db()
    assert newest.owner == alice
    assert Conversation.objects.filter(status="queued").count() == BATCH + 5
