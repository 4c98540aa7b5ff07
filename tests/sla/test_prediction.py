"""The pure breach prediction: free slots, the observed pace, shift changes, the badge's words.

No database: plain data and fixed datetimes. The last test runs a simulated shift (agents
arriving, leaving, answering) and checks the predictions against what then happened; the
same check through the real assignment engine is in ``test_prediction_scan.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baton.sla.prediction import (
    CapacityChange,
    Prediction,
    QueueItem,
    TeamCapacity,
    describe,
    format_minutes,
    is_predicted_breach,
    predict_answers,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def queue(*dues: float | None) -> list[QueueItem]:
    """Items waiting since before T0, in queue order, due at those minutes (None: no due)."""
    return [
        QueueItem(i + 1, at(-30 + i), None if due is None else at(due))
        for i, due in enumerate(dues)
    ]


def answers(predictions: list[Prediction]) -> list[float | None]:
    return [
        None if p.answer_at is None else (p.answer_at - T0).total_seconds() / 60
        for p in predictions
    ]


def capacity(free=0, working=0, hold_minutes: float | None = None, changes=()) -> TeamCapacity:
    hold = None if hold_minutes is None else timedelta(minutes=hold_minutes)
    return TeamCapacity(free, working, hold, tuple(changes))


# ------------------------------------------------------------------------------------------
# Free slots and the pace


def test_an_empty_queue_predicts_nothing():
    assert predict_answers([], capacity(free=3, working=3, hold_minutes=5), T0) == []


def test_now_must_be_aware():
    with pytest.raises(ValueError, match="aware"):
        predict_answers(queue(5), capacity(free=1), T0.replace(tzinfo=None))


def test_free_slots_are_taken_at_once_by_the_head_of_the_queue():
    predictions = predict_answers(queue(5, 5, 5), capacity(free=2, working=2), T0)
    assert answers(predictions)[:2] == [0, 0]
    assert [p.position for p in predictions] == [1, 2, 3]
    assert [p.conversation_id for p in predictions] == [1, 2, 3]


def test_after_the_free_slots_each_slot_frees_at_the_observed_pace():
    # 4 working slots each held 8 minutes: one frees every 2 minutes.
    predictions = predict_answers(queue(*[60] * 5), capacity(free=1, working=4, hold_minutes=8), T0)
    assert answers(predictions) == [0, 2, 4, 6, 8]
    assert capacity(working=4, hold_minutes=8).pace_per_hour == 30


def test_no_pace_observed_means_no_predicted_answer_beyond_the_free_slots():
    predictions = predict_answers(queue(10, 10, None, -5), capacity(free=1, working=3), T0)
    assert answers(predictions) == [0, None, None, None]
    # Due ahead and nobody to answer: predicted to breach. No due, or already past due: not.
    assert [p.predicted_to_breach for p in predictions] == [False, True, False, False]
    assert capacity(working=3).pace_per_hour is None


def test_a_pace_without_anyone_working_answers_nothing():
    predictions = predict_answers(queue(10, 10), capacity(working=0, hold_minutes=5), T0)
    assert answers(predictions) == [None, None]
    assert all(p.predicted_to_breach for p in predictions)


def test_a_zero_hold_time_is_no_pace():
    predictions = predict_answers(queue(10), capacity(working=2, hold_minutes=0), T0)
    assert answers(predictions) == [None]
    assert capacity(working=2, hold_minutes=0).pace_per_hour is None


def test_negative_free_slots_count_as_none():
    # An agent above capacity (a capacity lowered under their load) frees nothing for others.
    predictions = predict_answers(queue(60), capacity(free=-2, working=2, hold_minutes=4), T0)
    assert answers(predictions) == [2]


# ------------------------------------------------------------------------------------------
# Shift changes


def test_an_agent_starting_a_shift_brings_free_slots_then_adds_to_the_pace():
    start = CapacityChange(at(10), capacity=2, free=2)
    predictions = predict_answers(
        queue(*[60] * 4), capacity(working=0, hold_minutes=6, changes=[start]), T0
    )
    # Nobody now; at 10 two free places; then 2 slots held 6 minutes: one every 3 minutes.
    assert answers(predictions) == [10, 10, 13, 16]


def test_an_agent_ending_a_shift_slows_the_pace_and_keeps_what_had_accumulated():
    leave = CapacityChange(at(7), capacity=-1)
    predictions = predict_answers(
        queue(*[60] * 3), capacity(working=2, hold_minutes=10, changes=[leave]), T0
    )
    # One slot every 5 minutes until 7 (0.4 of the next one by then), then one every 10:
    # the remaining 0.6 takes 6 more minutes.
    assert answers(predictions) == pytest.approx([5, 13, 23])


def test_everyone_leaving_stops_pickups_until_someone_starts():
    changes = [CapacityChange(at(30), capacity=1, free=1), CapacityChange(at(3), capacity=-2)]
    predictions = predict_answers(
        queue(*[60] * 4), capacity(working=2, hold_minutes=4, changes=changes), T0
    )
    # Every 2 minutes until 3 (one at 2, half of the next), nothing from 3 to 30, then the
    # newcomer's free place at 30, then the half-accumulated slot at one slot per 4 minutes.
    assert answers(predictions) == pytest.approx([2, 30, 32, 36])


def test_changes_already_past_are_in_the_current_figures():
    changes = [CapacityChange(T0, capacity=5, free=5), CapacityChange(at(-5), capacity=-2)]
    predictions = predict_answers(
        queue(60, 60), capacity(free=1, working=1, hold_minutes=3, changes=changes), T0
    )
    assert answers(predictions) == [0, 3]


def test_a_departure_cannot_take_the_pace_below_zero():
    leave = CapacityChange(at(1), capacity=-5)
    start = CapacityChange(at(10), capacity=1, free=0)
    predictions = predict_answers(
        queue(60), capacity(working=1, hold_minutes=4, changes=[leave, start]), T0
    )
    # 0.25 of a slot by 1, nothing until 10, then 1 slot per 4 minutes: 0.75 takes 3.
    assert answers(predictions) == pytest.approx([13])


# ------------------------------------------------------------------------------------------
# Breach or not


def test_predicted_to_breach_when_the_pickup_falls_after_the_deadline():
    predictions = predict_answers(
        queue(5, 5, 5.5, None), capacity(free=1, working=1, hold_minutes=5), T0
    )
    # Picked up at 0, 5, 10, 15: on time at exactly the deadline, late after it.
    assert answers(predictions) == [0, 5, 10, 15]
    assert [p.predicted_to_breach for p in predictions] == [False, False, True, False]


def test_is_predicted_breach_cases():
    assert is_predicted_breach(at(5), at(6), T0)
    assert is_predicted_breach(at(5), None, T0)
    assert not is_predicted_breach(at(5), at(5), T0)
    assert not is_predicted_breach(None, None, T0)
    assert not is_predicted_breach(T0, None, T0)  # due now: breached, not predicted
    assert not is_predicted_breach(at(-1), at(3), T0)


def test_describe_says_how_long_until_the_breach():
    [late] = predict_answers(queue(8), capacity(working=1), T0)
    assert describe(late, T0) == "predicted to breach in 8 min"
    assert describe(late, T0 + timedelta(seconds=7 * 60 + 59)) == "predicted to breach in 1 min"
    [fine] = predict_answers(queue(8), capacity(free=1, working=1), T0)
    assert describe(fine, T0) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "1 min"),
        (1, "1 min"),
        (60, "1 min"),
        (61, "2 min"),
        (8 * 60, "8 min"),
        (59 * 60 + 1, "1 h"),
        (60 * 60, "1 h"),
        (125 * 60, "2 h 05 min"),
        (-30, "1 min"),
    ],
)
def test_format_minutes_rounds_up(seconds, text):
    assert format_minutes(timedelta(seconds=seconds)) == text


@settings(max_examples=200, deadline=None)
@given(
    free=st.integers(-3, 6),
    working=st.integers(0, 8),
    hold=st.one_of(st.none(), st.floats(0.5, 30)),
    changes=st.lists(
        st.tuples(st.floats(-10, 120), st.integers(-4, 4), st.integers(0, 4)), max_size=4
    ),
    length=st.integers(0, 25),
)
def test_pickups_keep_the_queue_order_and_never_precede_now(free, working, hold, changes, length):
    shifts = [CapacityChange(at(m), capacity=c, free=f if c > 0 else 0) for m, c, f in changes]
    predictions = predict_answers(queue(*[20] * length), capacity(free, working, hold, shifts), T0)
    times = answers(predictions)
    known = [t for t in times if t is not None]
    assert known == sorted(known)
    assert all(t >= 0 for t in known)
    # Once nobody is predicted to pick one up, nobody picks up the ones behind it either.
    if None in times:
        assert all(t is None for t in times[times.index(None) :])
    assert sum(1 for t in times if t == 0) >= min(max(free, 0), length)


# ------------------------------------------------------------------------------------------
# A simulated shift: predictions against what then happens


@dataclass
class Chat:
    id: int
    arrived: datetime
    hold: timedelta
    due: datetime
    picked: datetime | None = None
    agent: str | None = None
    flagged_at: datetime | None = None  # first time it was predicted to breach


@dataclass
class Agent:
    name: str
    capacity: int
    start: datetime
    end: datetime
    chats: list[Chat] = field(default_factory=list)

    def working(self, now: datetime) -> bool:
        return self.start <= now < self.end


def test_a_simulated_shift_breaches_mostly_where_predicted():
    """Three agents (capacity 3) from 09:00, ben leaving at 09:40 and eve arriving at 10:00;
    customers arrive faster than the team can answer between 09:20 and 10:00 (2.4 a minute
    against 2.25, then 1.5 without ben), a 5-minute first response target. Every 10 s:
    finish chats, hand the queue head to free places, predict with what a live system would
    know (the schedule, the hold time of the last hour's finished chats), and remember which
    chats were flagged before their deadline."""
    rng = random.Random(11)
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    target = timedelta(minutes=5)
    agents = [
        Agent("ana", 3, start, start + timedelta(hours=3)),
        Agent("ben", 3, start, start + timedelta(minutes=40)),
        Agent("eve", 3, start + timedelta(hours=1), start + timedelta(hours=3)),
        Agent("joe", 3, start, start + timedelta(hours=3)),
    ]
    chats: list[Chat] = []
    clock = start
    while clock < start + timedelta(hours=2):
        busy = start + timedelta(minutes=20) <= clock < start + timedelta(hours=1)
        clock += timedelta(seconds=rng.expovariate((2.4 if busy else 1.2) / 60))
        hold = timedelta(seconds=rng.uniform(120, 360))
        chats.append(Chat(len(chats) + 1, clock, hold, clock + target))

    finished: list[tuple[datetime, timedelta]] = []
    now = start
    tick = timedelta(seconds=10)
    while now < start + timedelta(hours=3):
        for agent in agents:
            for chat in list(agent.chats):
                assert chat.picked is not None
                if chat.picked + chat.hold <= now:
                    agent.chats.remove(chat)
                    finished.append((now, now - chat.picked))
        waiting = [c for c in chats if c.arrived <= now and c.picked is None]
        for agent in agents:
            while agent.working(now) and len(agent.chats) < agent.capacity and waiting:
                chat = waiting.pop(0)
                chat.picked, chat.agent = now, agent.name
                agent.chats.append(chat)
        recent = [hold for done, hold in finished if done > now - timedelta(hours=1)]
        working = [a for a in agents if a.working(now)]
        team = TeamCapacity(
            free_slots=sum(a.capacity - len(a.chats) for a in working),
            working_slots=sum(a.capacity for a in working),
            hold_time=sum(recent, timedelta()) / len(recent) if recent else None,
            changes=tuple(
                [CapacityChange(a.start, a.capacity, a.capacity) for a in agents]
                + [CapacityChange(a.end, -a.capacity) for a in agents]
            ),
        )
        items = [QueueItem(c.id, c.arrived, c.due) for c in waiting]
        for prediction in predict_answers(items, team, now):
            chat = chats[prediction.conversation_id - 1]
            if prediction.predicted_to_breach and chat.flagged_at is None:
                chat.flagged_at = now
        now += tick

    assert all(c.picked is not None for c in chats), "every chat was answered"
    breached = {c.id for c in chats if c.picked > c.due}  # type: ignore[operator]
    flagged = {c.id for c in chats if c.flagged_at is not None}
    true_positives = breached & flagged
    precision = len(true_positives) / len(flagged)
    recall = len(true_positives) / len(breached)
    lead = sorted((chats[i - 1].due - chats[i - 1].flagged_at).total_seconds() for i in flagged)  # type: ignore[operator]
    print(
        f"\nsimulated shift: {len(chats)} chats, {len(breached)} breached, {len(flagged)} "
        f"flagged; precision {precision:.2f}, recall {recall:.2f}, "
        f"median warning {lead[len(lead) // 2] / 60:.1f} min before the deadline"
    )
    assert len(breached) >= 20, "the simulation must actually overload the team"
    assert precision >= 0.8
    assert recall >= 0.8
    # A prediction is only useful ahead of time: most flags come minutes before the deadline.
    assert lead[len(lead) // 2] >= 120
