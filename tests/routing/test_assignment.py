"""The assignment engine against the real schema: strategies, capacity, queue order,
timeline records, and the triggers that run it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from baton.agents.actions import do_set_presence
from baton.agents.models import User
from baton.conversations import ownership
from baton.conversations.models import AuditEvent, Conversation
from baton.routing.actions import do_assign_waiting, do_route_conversation
from tests.conftest import run_tasks
from tests.routing.factories import (
    add_shift,
    make_agent,
    make_team,
    open_load,
    queue_conversation,
)

T0 = datetime(2026, 11, 23, 10, tzinfo=UTC)  # a Monday, 10:00 UTC


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture
def team(db):
    return make_team("Support", default_capacity=2)


def test_least_loaded_fills_capacity_oldest_first_and_records_why(team):
    alice, bob = make_agent("alice", team), make_agent("bob", team)
    # Created newest first, so id order differs from waiting order.
    convs = [queue_conversation(team, T0 - minutes(i)) for i in range(6)]
    assert do_assign_waiting(team.pk, now=T0) == 4
    assert open_load(alice) == open_load(bob) == 2
    # The four that waited longest were served; the two newest still wait.
    still_queued = set(Conversation.objects.filter(status="queued").values_list("pk", flat=True))
    assert still_queued == {convs[0].pk, convs[1].pk}
    event = AuditEvent.objects.filter(kind="auto_assigned").order_by("id").first()
    assert event.conversation_id == convs[5].pk
    assert event.actor is None
    assert event.reason.startswith("least loaded: most free capacity")
    assert event.data["strategy"] == "least_loaded"
    assert event.data["capacity"] == 2
    assert event.data["waited_seconds"] == 300


def test_nobody_away_offline_off_shift_or_full_gets_work(team):
    make_agent("away", team, presence="away")
    make_agent("offline", team, presence="offline")
    off_shift = make_agent("night", team)
    add_shift(off_shift, team, 0, time(22), time(6))
    full = make_agent("full", team, capacity=0)
    queue_conversation(team, T0)
    assert do_assign_waiting(team.pk, now=T0) == 0
    assert not Conversation.objects.filter(owner__isnull=False).exists()
    # At 23:00 the night agent is on shift and takes it.
    assert do_assign_waiting(team.pk, now=T0.replace(hour=23)) == 1
    assert Conversation.objects.get().owner == off_shift
    assert open_load(full) == 0


def test_capacity_override_per_team_wins(team):
    alice = make_agent("alice", team, capacity=1, override=3)
    for i in range(5):
        queue_conversation(team, T0 - minutes(i))
    assert do_assign_waiting(team.pk, now=T0) == 3
    assert open_load(alice) == 3


def test_capacity_counts_open_work_in_every_team(team):
    sales = make_team("Sales", default_capacity=2)
    alice = make_agent("alice", team)
    from baton.agents.models import TeamMembership

    TeamMembership.objects.create(team=sales, user=alice)
    queue_conversation(sales, T0 - minutes(5))
    queue_conversation(team, T0 - minutes(4))
    queue_conversation(team, T0 - minutes(3))
    assert do_assign_waiting(sales.pk, now=T0) == 1
    assert do_assign_waiting(team.pk, now=T0) == 1  # one slot left of two
    assert open_load(alice) == 2


def test_round_robin_takes_turns_across_runs(team):
    make_team("Support", assignment_strategy="round_robin", default_capacity=10)
    agents = [make_agent(name, team) for name in ("a1", "a2", "a3")]
    owners = []
    for i in range(5):
        conv = queue_conversation(team, T0 + minutes(i))
        do_assign_waiting(team.pk, now=T0 + minutes(i))
        owners.append(Conversation.objects.get(pk=conv.pk).owner)
    assert owners == [*agents, agents[0], agents[1]]
    assert AuditEvent.objects.filter(kind="auto_assigned").first().reason == (
        "round robin: next in turn"
    )


def test_manual_team_only_queues(team):
    make_team("Support", assignment_strategy="manual")
    make_agent("alice", team)
    queue_conversation(team, T0)
    assert do_assign_waiting(team.pk, now=T0) == 0


def test_sticky_returns_to_the_last_agent_within_the_window(team):
    make_team("Support", assignment_strategy="sticky", sticky_days=7, default_capacity=5)
    alice, bob = make_agent("alice", team), make_agent("bob", team)
    for i in range(3):  # bob is the least loaded by far
        conv = queue_conversation(team, T0 - minutes(30 + i))
        Conversation.objects.filter(pk=conv.pk).update(owner=alice, status="assigned")
    returning = queue_conversation(team, T0, last_owner=bob)
    AuditEvent.objects.create(conversation=returning, kind="resolved", from_owner=bob)
    returning2 = queue_conversation(team, T0, last_owner=alice)
    AuditEvent.objects.create(conversation=returning2, kind="resolved", from_owner=alice)
    do_assign_waiting(team.pk, now=timezone.now())
    assert Conversation.objects.get(pk=returning.pk).owner == bob
    assert Conversation.objects.get(pk=returning2.pk).owner == alice
    event = AuditEvent.objects.get(conversation=returning2, kind="auto_assigned")
    assert event.data["strategy"] == "sticky"


def test_sticky_falls_back_when_the_last_agent_is_away(team):
    make_team("Support", assignment_strategy="sticky")
    make_agent("alice", team, presence="away")
    bob = make_agent("bob", team)
    alice = User.objects.get(username="alice")
    conv = queue_conversation(team, T0, last_owner=alice)
    do_assign_waiting(team.pk, now=T0)
    conv.refresh_from_db()
    assert conv.owner == bob
    assert "sticky fallback" in AuditEvent.objects.get(kind="auto_assigned").reason


def test_route_conversation_serves_older_ones_first(team):
    make_team("Support", default_capacity=1)
    alice = make_agent("alice", team)
    older = queue_conversation(team, T0 - minutes(10))
    newer = queue_conversation(team, T0)
    # A rule names alice for the newer one, but the older one was waiting for her slot.
    assert do_route_conversation(newer.pk, preferred_agent="alice", rule="VIP", now=T0) is None
    assert Conversation.objects.get(pk=older.pk).owner == alice
    assert Conversation.objects.get(pk=newer.pk).status == "queued"


def test_route_conversation_honours_an_assignable_preferred_agent(team):
    make_agent("alice", team)
    bob = make_agent("bob", team)
    Conversation.objects.filter(pk=queue_conversation(team, T0 - minutes(9)).pk).update(
        owner=bob, status="assigned"
    )
    conv = queue_conversation(team, T0)
    assert do_route_conversation(conv.pk, preferred_agent="bob", rule="VIP", now=T0) == bob
    event = AuditEvent.objects.get(conversation=conv, kind="auto_assigned")
    assert event.reason == "rule “VIP” → preferred agent: named by the routing rule"
    assert event.data["rule"] == "VIP"


def test_route_conversation_with_unavailable_preferred_agent_uses_the_strategy(team):
    alice = make_agent("alice", team)
    make_agent("bob", team, presence="away")
    conv = queue_conversation(team, T0)
    assert do_route_conversation(conv.pk, preferred_agent="bob", rule="VIP", now=T0) == alice
    event = AuditEvent.objects.get(kind="auto_assigned")
    assert event.reason.startswith("rule “VIP” → least loaded")


def test_route_conversation_refuses_unknown_strategy_and_ignores_owned(team):
    alice = make_agent("alice", team)
    conv = queue_conversation(team, T0)
    with pytest.raises(ValueError, match="unknown strategy"):
        do_route_conversation(conv.pk, strategy="random")
    ownership.do_claim_conversation(conv.pk, alice)
    assert do_route_conversation(conv.pk) is None


# -- triggers -------------------------------------------------------------------------------


# The worker closes its connections after a run: these tests need a real transaction.


@pytest.fixture
def default_team(transactional_db):
    return make_team("Support", is_default=True)


def test_a_new_inbound_conversation_is_assigned_by_the_worker(client, inbox, default_team):
    from tests.conftest import load_sample, meta_bytes, post_webhook

    alice = make_agent("alice", default_team)
    post_webhook(client, meta_bytes(load_sample("inbound_text.json")))
    conv = Conversation.objects.get()
    assert conv.owner is None  # routing runs in the worker, after the webhook's commit
    run_tasks()
    conv.refresh_from_db()
    assert (conv.owner, conv.status) == (alice, "assigned")


def test_freed_capacity_goes_to_the_oldest_waiting(transactional_db, team):
    make_team("Support", default_capacity=1)
    alice = make_agent("alice", team)
    first = queue_conversation(team, T0 - minutes(30))
    do_assign_waiting(team.pk)
    older = queue_conversation(team, T0 - minutes(20))
    newer = queue_conversation(team, T0 - minutes(10))
    ownership.do_resolve_conversation(first.pk, alice)
    run_tasks()
    assert Conversation.objects.get(pk=older.pk).owner == alice
    assert Conversation.objects.get(pk=newer.pk).owner is None


def test_becoming_available_pulls_waiting_work(transactional_db, team):
    alice = make_agent("alice", team, presence="away")
    conv = queue_conversation(team, T0)
    run_tasks()
    assert Conversation.objects.get(pk=conv.pk).owner is None
    do_set_presence(alice, "available")
    run_tasks()
    assert Conversation.objects.get(pk=conv.pk).owner == alice


def test_handing_to_a_team_routes_it_there(transactional_db, team):
    sales = make_team("Sales")
    alice = make_agent("alice", team)
    carlos = make_agent("carlos", sales)
    conv = queue_conversation(team, T0)
    ownership.do_claim_conversation(conv.pk, alice)
    ownership.do_handoff_conversation(conv.pk, alice, to_team_name="Sales", reason="pricing")
    run_tasks()
    assert Conversation.objects.get(pk=conv.pk).owner == carlos


def test_reopen_goes_to_queue_when_last_owner_is_off_shift(client, inbox, default_team):
    from tests.conftest import load_sample, meta_bytes, post_webhook

    alice = make_agent("alice", default_team)
    body = load_sample("inbound_text.json")
    post_webhook(client, meta_bytes(body))
    run_tasks()
    conv = Conversation.objects.get()
    assert conv.owner == alice
    ownership.do_resolve_conversation(conv.pk, alice)
    # Alice is present but her only shift is at another hour than now.
    now_hour = timezone.now().hour
    add_shift(
        alice,
        default_team,
        timezone.now().weekday(),
        time((now_hour + 2) % 24),
        time((now_hour + 3) % 24),
    )
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message["id"] = "wamid.again"
    post_webhook(client, meta_bytes(body))
    conv.refresh_from_db()
    assert (conv.status, conv.owner) == ("queued", None)
    assert "alice is not available" in AuditEvent.objects.filter(kind="reopened").last().reason


def test_the_timeline_api_says_which_rule_and_strategy_chose_the_agent(client, team):
    alice = make_agent("alice", team)
    conv = queue_conversation(team, T0)
    do_route_conversation(conv.pk, rule="Spanish speakers", now=T0)
    client.force_login(alice)
    items = client.get(f"/api/v1/conversations/{conv.pk}/timeline").json()["items"]
    [event] = [item for item in items if item["kind"] == "auto_assigned"]
    assert event["to_owner"] == "alice"
    assert event["actor"] is None
    assert event["reason"] == (
        "rule “Spanish speakers” → least loaded: most free capacity (0/2 open)"
    )
    assert event["data"]["strategy"] == "least_loaded"
    assert event["data"]["rule"] == "Spanish speakers"
