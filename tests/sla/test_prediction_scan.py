"""Storing predictions: what is written, what is cleared, what is left alone, at what cost;
and a simulated shift through the real assignment engine, checked against what happened."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from baton.conversations import ownership
from baton.conversations.audit import record_event
from baton.conversations.models import Conversation, EventKind
from baton.routing.actions import do_assign_waiting, do_scan_shift_boundaries
from baton.sla.models import ConversationSla
from baton.sla.prediction_scan import do_predict_breaches
from tests.routing.factories import add_shift, make_agent, make_team, queue_conversation

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)  # Monday 10:00 UTC


def minutes(m: float) -> datetime:
    return NOW + timedelta(minutes=m)


def queued_with_sla(team, waiting: float, due: float | None) -> Conversation:
    conversation = queue_conversation(team, minutes(waiting))
    ConversationSla(
        conversation=conversation,
        first_response_state="running" if due is not None else "none",
        first_response_due_at=None if due is None else minutes(due),
    ).save()
    return conversation


def stored(conversation: Conversation) -> tuple[datetime | None, bool]:
    row = ConversationSla.objects.get(pk=conversation.pk)
    return row.predicted_answer_at, row.predicted_to_breach


def handled(team, picked: float, resolved: float) -> None:
    """A conversation the team picked up and resolved (its audit records, at those times)."""
    conversation = queue_conversation(team, minutes(picked - 1))
    record_event(EventKind.AUTO_ASSIGNED, conversation=conversation, created_at=minutes(picked))
    record_event(EventKind.RESOLVED, conversation=conversation, created_at=minutes(resolved))
    Conversation.objects.filter(pk=conversation.pk).update(status="resolved")


@pytest.fixture
def busy_team(db):
    """One agent (capacity 2) holding a chat, holds of 6 minutes lately: one place free now,
    then one slot every 3 minutes."""
    team = make_team("Support", default_capacity=2)
    ana = make_agent("ana", team)
    Conversation.objects.filter(pk=queue_conversation(team, minutes(-40)).pk).update(
        status="assigned", owner=ana
    )
    handled(team, -30, -24)
    handled(team, -20, -14)
    return team


def test_predictions_are_stored_and_a_second_scan_changes_nothing(busy_team):
    first = queued_with_sla(busy_team, -10, due=5)
    second = queued_with_sla(busy_team, -8, due=2)
    third = queued_with_sla(busy_team, -6, due=None)
    plain = queue_conversation(busy_team, minutes(-7))  # no SLA row: keeps its place
    assert do_predict_breaches(NOW) == 3
    assert stored(first) == (NOW, False)
    assert stored(second) == (minutes(3), True)
    assert stored(third) == (minutes(9), False)  # behind plain: the third slot to free
    assert not ConversationSla.objects.filter(pk=plain.pk).exists()
    assert do_predict_breaches(NOW) == 0


def test_a_prediction_that_moved_less_than_the_tolerance_is_left_alone(busy_team):
    conversation = queued_with_sla(busy_team, -10, due=30)
    queued_with_sla(busy_team, -9, due=30)
    assert do_predict_breaches(NOW) == 2
    behind = ConversationSla.objects.exclude(pk=conversation.pk).get()
    assert behind.predicted_answer_at == minutes(3)
    assert do_predict_breaches(NOW + timedelta(seconds=30)) == 0  # 3:30 now: within a minute
    # 90 s later both moved a minute and a half: the head (picked up "now") and this one.
    assert do_predict_breaches(NOW + timedelta(seconds=90)) == 2
    behind.refresh_from_db()
    assert behind.predicted_answer_at == minutes(4.5)


def test_a_conversation_leaving_the_queue_loses_its_prediction(busy_team):
    conversation = queued_with_sla(busy_team, -10, due=5)
    late = queued_with_sla(busy_team, -9, due=1)
    assert do_predict_breaches(NOW) == 2
    assert stored(late) == (minutes(3), True)
    Conversation.objects.filter(pk=late.pk).update(status="assigned", owner=None)
    Conversation.objects.filter(pk=conversation.pk).update(team=None)
    assert do_predict_breaches(NOW) == 2
    assert stored(late) == (None, False)
    assert stored(conversation) == (None, False)
    assert do_predict_breaches(NOW) == 0


def test_a_flipped_breach_flag_is_announced_live(db, django_capture_on_commit_callbacks):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from baton.realtime.events import ADMINS_GROUP

    team = make_team("Sales", default_capacity=1)
    make_agent("ben", team)
    queued_with_sla(team, -10, due=5)
    behind = queued_with_sla(team, -9, due=5)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(ADMINS_GROUP, channel)
    with django_capture_on_commit_callbacks(execute=True):
        do_predict_breaches(NOW)
    sent = async_to_sync(layer.receive)(channel)["event"]
    assert sent["type"] == "sla.changed"
    assert sent["conversation_id"] == behind.pk
    assert sent["sla"]["predicted_to_breach"] is True


def test_without_a_pace_the_waiting_are_predicted_to_breach(db):
    team = make_team("Support", default_capacity=1)
    make_agent("ana", team)  # one free place, nothing resolved lately
    head = queued_with_sla(team, -10, due=5)
    behind = queued_with_sla(team, -9, due=5)
    past = queued_with_sla(team, -8, due=-1)
    assert do_predict_breaches(NOW) == 2
    assert stored(head) == (NOW, False)
    assert stored(behind) == (None, True)
    assert stored(past) == (None, False)  # already breached: not a prediction


def test_the_scan_costs_a_constant_number_of_queries_per_team(db, django_assert_num_queries):
    teams = [make_team(name, default_capacity=2) for name in ("Support", "Sales", "Billing")]
    for n, team in enumerate(teams):
        make_agent(f"agent{n}", team)
        handled(team, -30, -20)
    for team in teams[:2]:
        queued_with_sla(team, -10, due=5)
    # Teams, hold times, team rows; per team 5 candidate reads, shifts, queue; stored rows;
    # the bulk update in its transaction (savepoint in the test's transaction, and release).
    with django_assert_num_queries(3 + 2 * 7 + 1 + 3):
        assert do_predict_breaches(NOW) == 2
    for team in teams:
        for i in range(5):
            queued_with_sla(team, -9 + i, due=5)
    # ... and one read of the rows whose breach flag flipped, to tell their audience live.
    with django_assert_num_queries(3 + 3 * 7 + 1 + 3 + 1):
        assert do_predict_breaches(NOW) == 15
    with django_assert_num_queries(3 + 3 * 7 + 1):
        assert do_predict_breaches(NOW) == 0


# ------------------------------------------------------------------------------------------
# A simulated shift through the real assignment engine


@pytest.fixture
def sim_clock(monkeypatch):
    """The simulation's clock as Django's: audit records, resolutions and auto_now fields
    carry simulated instants (the hold time is read from them)."""
    clock = {"now": NOW}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    return clock


def test_a_simulated_shift_breaches_mostly_where_predicted(db, sim_clock):
    """The routing tests' shift simulation (tests/routing/test_shift_simulation.py: arrivals,
    agents resolving, shift boundaries scanned, the queue served every 10 s), overloaded: 2
    agents (capacity 2) from 09:00, bo leaving at 09:40, cy arriving at 10:00, 2-4 minute
    chats, customers arriving faster than that between 09:20 and 10:00, a 4-minute first
    response target. The prediction scan runs every 30 s; a conversation counts as flagged
    when some scan predicted its breach before its deadline."""
    rng = random.Random(5)
    start = datetime(2026, 11, 23, 9, tzinfo=UTC)
    target = timedelta(minutes=4)
    team = make_team("Support", default_capacity=2, end_of_shift="keep")
    agents = {name: make_agent(name, team) for name in ("al", "bo", "cy")}
    add_shift(agents["al"], team, start.weekday(), time(9), time(12))
    add_shift(agents["bo"], team, start.weekday(), time(9), time(9, 40))
    add_shift(agents["cy"], team, start.weekday(), time(10), time(12))
    arrivals = []
    clock = start
    while clock < start + timedelta(minutes=100):
        busy = start + timedelta(minutes=20) <= clock < start + timedelta(minutes=60)
        clock += timedelta(seconds=rng.expovariate((1.3 if busy else 0.5) / 60))
        arrivals.append((clock, timedelta(seconds=rng.uniform(120, 240))))

    due: dict[int, datetime] = {}
    hold: dict[int, timedelta] = {}
    assigned_at: dict[int, datetime] = {}
    flagged: dict[int, datetime] = {}  # first scan that predicted the breach
    tick = timedelta(seconds=10)
    now = start
    next_arrival = 0
    while now < start + timedelta(hours=3):
        sim_clock["now"] = now
        while next_arrival < len(arrivals) and arrivals[next_arrival][0] <= now:
            arrived, handling = arrivals[next_arrival]
            conversation = queue_conversation(team, arrived)
            ConversationSla(
                conversation=conversation,
                first_response_state="running",
                first_response_due_at=arrived + target,
            ).save()
            due[conversation.pk], hold[conversation.pk] = arrived + target, handling
            next_arrival += 1
        for pk, owner_id in Conversation.objects.filter(status="assigned").values_list(
            "pk", "owner_id"
        ):
            if assigned_at[pk] + hold[pk] <= now:
                owner = next(a for a in agents.values() if a.pk == owner_id)
                ownership.do_resolve_conversation(pk, owner)
        do_scan_shift_boundaries(now)
        do_assign_waiting(team.pk, now=now)
        for pk in Conversation.objects.filter(owner__isnull=False).values_list("pk", flat=True):
            assigned_at.setdefault(pk, now)
        if (now - start) % timedelta(seconds=30) == timedelta(0):
            do_predict_breaches(now)
            for pk in ConversationSla.objects.filter(
                predicted_to_breach=True, first_response_due_at__gt=now
            ).values_list("pk", flat=True):
                flagged.setdefault(pk, now)
        if (
            next_arrival == len(arrivals)
            and not Conversation.objects.exclude(status="resolved").exists()
        ):
            break
        now += tick

    assert len(assigned_at) == len(arrivals), "every conversation was served"
    breached = {pk for pk, at in assigned_at.items() if at > due[pk]}
    caught = breached & flagged.keys()
    precision = len(caught) / len(flagged)
    recall = len(caught) / len(breached)
    leads = sorted((due[pk] - at).total_seconds() for pk, at in flagged.items())
    print(
        f"\nsimulated shift (DB): {len(arrivals)} conversations, {len(breached)} picked up after"
        f" the deadline, {len(flagged)} flagged; precision {precision:.2f}, recall {recall:.2f};"
        f" median warning {leads[len(leads) // 2] / 60:.1f} min before the deadline"
    )
    assert len(breached) >= 10, "the simulation must actually overload the team"
    assert precision >= 0.75
    assert recall >= 0.75
    assert leads[len(leads) // 2] >= 90  # flagged well ahead of a 4-minute target
    # Nothing is left predicted once the queue is empty.
    do_predict_breaches(now)
    assert not ConversationSla.objects.filter(predicted_answer_at__isnull=False).exists()
    assert not ConversationSla.objects.filter(predicted_to_breach=True).exists()
