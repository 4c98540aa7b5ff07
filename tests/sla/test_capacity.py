"""The reads feeding the prediction: queue order and deadlines, capacity, hold time, shifts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from baton.agents.models import Team, TimeOff
from baton.conversations.audit import record_event
from baton.conversations.models import Conversation, EventKind
from baton.routing.availability import ShiftWindow, shift_calendar
from baton.sla.capacity import (
    queue_rows,
    recent_hold_times,
    shift_end,
    team_capacity,
    waiting_queue,
)
from baton.sla.models import ConversationSla
from baton.sla.prediction import CapacityChange
from tests.routing.factories import add_shift, make_agent, make_team, queue_conversation

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)  # Monday 10:00 UTC


def minutes(m: float) -> datetime:
    return NOW + timedelta(minutes=m)


def with_sla(conversation: Conversation, **fields) -> ConversationSla:
    row = ConversationSla(conversation=conversation, **fields)
    row.save()
    return row


# ------------------------------------------------------------------------------------------
# The queue


def test_the_queue_is_served_oldest_waiting_first_with_the_nearest_open_deadline(
    db, django_assert_num_queries
):
    team = make_team("Support")
    other = make_team("Sales")
    newer = queue_conversation(team, minutes(-5))
    older = queue_conversation(team, minutes(-20))
    plain = queue_conversation(team, minutes(-10))  # no SLA row at all
    both = queue_conversation(team, minutes(-15))
    queue_conversation(other, minutes(-30))
    taken = queue_conversation(team, minutes(-40))
    Conversation.objects.filter(pk=taken.pk).update(status="assigned")
    with_sla(older, first_response_state="running", first_response_due_at=minutes(3))
    with_sla(newer, first_response_state="met", first_response_due_at=minutes(1))
    with_sla(
        both,
        first_response_state="breached",
        first_response_due_at=minutes(-1),
        next_response_state="warning",
        next_response_due_at=minutes(4),
    )
    with django_assert_num_queries(1):
        items = waiting_queue(team.pk)
    assert [i.conversation_id for i in items] == [older.pk, both.pk, plain.pk, newer.pk]
    assert [i.due_at for i in items] == [minutes(3), minutes(-1), None, None]
    assert items[0].waiting_since == minutes(-20)
    assert [has for _, has in queue_rows(team.pk)] == [True, True, False, True]


# ------------------------------------------------------------------------------------------
# Capacity


def test_capacity_counts_free_places_of_assignable_agents_and_every_working_slot(
    db, django_assert_num_queries
):
    team = make_team("Support", default_capacity=3)
    ana = make_agent("ana", team)
    make_agent("ben", team, capacity=2)
    make_agent("cat", team, presence="away")
    full = make_agent("dan", team, capacity=1)
    for _ in range(2):
        Conversation.objects.filter(pk=queue_conversation(team, minutes(-30)).pk).update(
            status="assigned", owner=ana
        )
    Conversation.objects.filter(pk=queue_conversation(team, minutes(-30)).pk).update(
        status="assigned", owner=full
    )
    # The team, the hold time, get_candidates' 5 reads, the shifts (none: no time off read).
    with django_assert_num_queries(8):
        capacity = team_capacity(team.pk, NOW)
    # ana 3 - 2, ben 2 - 0, dan full; cat is away: not working.
    assert capacity.free_slots == 3
    assert capacity.working_slots == 3 + 2 + 1
    assert capacity.hold_time is None
    assert capacity.changes == ()


def test_the_query_count_does_not_grow_with_agents_or_shifts(db, django_assert_num_queries):
    team = make_team("Support")
    for n in range(12):
        agent = make_agent(f"agent{n}", team)
        add_shift(agent, team, NOW.weekday(), time(8), time(9 + n % 4))
    with django_assert_num_queries(9):
        team_capacity(team.pk, NOW)


def test_hold_time_is_pickup_to_resolution_over_the_last_hour(db, django_assert_num_queries):
    team = make_team("Support")
    other = make_team("Sales")

    def handled(in_team: Team, picked: float, resolved: float, kind=EventKind.AUTO_ASSIGNED):
        conversation = queue_conversation(in_team, minutes(picked - 1))
        record_event(kind, conversation=conversation, created_at=minutes(picked))
        record_event(EventKind.RESOLVED, conversation=conversation, created_at=minutes(resolved))

    handled(team, -20, -16)  # 4 minutes
    handled(team, -12, -4, EventKind.CLAIMED)  # 8 minutes
    handled(team, -90, -61)  # resolved more than an hour ago: not counted
    handled(team, -5, 1)  # resolved after now: not counted
    handled(other, -30, -20)  # 10 minutes, in the other team
    # Picked up twice (reopened): the later pickup counts, 3 minutes.
    twice = queue_conversation(team, minutes(-50))
    record_event(EventKind.ASSIGNED, conversation=twice, created_at=minutes(-50))
    record_event(EventKind.RESOLVED, conversation=twice, created_at=minutes(-45))
    record_event(EventKind.ASSIGNED, conversation=twice, created_at=minutes(-9))
    record_event(EventKind.RESOLVED, conversation=twice, created_at=minutes(-6))
    # Resolved without ever being picked up (a manager closing a queued spam chat).
    spam = queue_conversation(team, minutes(-8))
    record_event(EventKind.RESOLVED, conversation=spam, created_at=minutes(-7))
    quiet = make_team("Quiet")
    with django_assert_num_queries(1):
        holds = recent_hold_times([team.pk, other.pk, quiet.pk], NOW)
    # (4 + 8 + 5 + 3) / 4 minutes in Support.
    assert holds == {team.pk: timedelta(minutes=5), other.pk: timedelta(minutes=10)}
    assert team_capacity(team.pk, NOW).hold_time == timedelta(minutes=5)


# ------------------------------------------------------------------------------------------
# Shift changes


def test_shift_ends_of_working_agents_and_starts_of_the_others_are_known(db):
    team = make_team("Support", default_capacity=2)
    monday = NOW.weekday()
    leaving = make_agent("ana", team)
    add_shift(leaving, team, monday, time(8), time(10, 30))
    coming = make_agent("ben", team, presence="offline")
    add_shift(coming, team, monday, time(11), time(15))
    tomorrow = make_agent("cat", team)
    add_shift(tomorrow, team, monday + 1, time(9), time(17))  # beyond the 8-hour horizon
    make_agent("dan", team)  # no shifts: always on, changes nothing
    Conversation.objects.filter(pk=queue_conversation(team, minutes(-30)).pk).update(
        status="assigned", owner=coming
    )
    changes = team_capacity(team.pk, NOW).changes
    assert sorted(changes, key=lambda c: c.at) == [
        CapacityChange(minutes(30), -2),
        # ben starts with one chat still open: one place free at once.
        CapacityChange(minutes(60), 2, 1),
        CapacityChange(minutes(300), -2),
    ]


def test_no_start_is_predicted_on_a_day_off_or_a_holiday(db):
    team = make_team("Support")
    away = make_agent("ana", team, presence="offline")
    add_shift(away, team, NOW.weekday(), time(12), time(16))
    TimeOff.objects.create(user=away, first_day=NOW.date(), last_day=NOW.date())
    assert team_capacity(team.pk, NOW).changes == ()
    TimeOff.objects.all().delete()
    assert team_capacity(team.pk, NOW).changes != ()
    TimeOff.objects.create(team=team, first_day=NOW.date(), last_day=NOW.date())
    assert team_capacity(team.pk, NOW).changes == ()


def test_a_shift_past_midnight_ends_in_the_morning():
    calendar = shift_calendar(
        "Europe/Madrid", (ShiftWindow(0, time(22), time(6)), ShiftWindow(1, time(22), time(6)))
    )
    late = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)  # Monday 23:30 in Madrid
    assert shift_end(calendar, late, late + timedelta(hours=12)) == datetime(
        2026, 11, 24, 5, tzinfo=UTC
    )
    assert shift_end(calendar, late, late + timedelta(hours=2)) is None
    always = shift_calendar("UTC", tuple(ShiftWindow(d, time(0), time(0)) for d in range(7)))
    assert shift_end(always, late, late + timedelta(hours=30)) is None
