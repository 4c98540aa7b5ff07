"""The pure SLA clock: states, cycles, business time, acknowledgements, the WhatsApp window.

No database: plain data and fixed datetimes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baton.core.business_hours import BusinessCalendar, Opening
from baton.sla.clock import (
    ClockEvent,
    EventKind,
    State,
    Targets,
    evaluate,
    is_acknowledgement,
    window_warning,
)

MADRID = ZoneInfo("Europe/Madrid")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
ALWAYS = BusinessCalendar.always_open()
MIN = 60


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def customer(minutes: float, *, ack: bool = False) -> ClockEvent:
    return ClockEvent(at(minutes), EventKind.CUSTOMER_MESSAGE, acknowledgement=ack)


def event(minutes: float, kind: EventKind) -> ClockEvent:
    return ClockEvent(at(minutes), kind)


def office_hours(*holidays: date) -> BusinessCalendar:
    """Mon-Fri 09:00-17:00 in Madrid."""
    return BusinessCalendar(
        "Europe/Madrid", [Opening(day, time(9), time(17)) for day in range(5)], holidays
    )


FIRST = Targets(first_response_seconds=30 * MIN, warn_before_seconds=10 * MIN)
NEXT = Targets(next_response_seconds=30 * MIN, warn_before_seconds=10 * MIN)
RESOLUTION = Targets(resolution_seconds=60 * MIN, warn_before_seconds=10 * MIN)


# ------------------------------------------------------------------------------------------
# First response


@pytest.mark.parametrize(
    ("events", "now", "state"),
    [
        ([], 5, State.NONE),
        ([customer(0)], 5, State.RUNNING),
        ([customer(0)], 20, State.WARNING),
        ([customer(0)], 30, State.BREACHED),
        ([customer(0), event(25, EventKind.HUMAN_REPLY)], 40, State.MET),
        ([customer(0), event(30, EventKind.HUMAN_REPLY)], 40, State.MET),  # on the dot
        ([customer(0), event(31, EventKind.HUMAN_REPLY)], 40, State.MISSED),
    ],
)
def test_first_response_states(events, now, state):
    metric = evaluate(events, FIRST, ALWAYS, at(now)).first_response
    assert metric.state is state


def test_first_response_fields():
    missed = evaluate(
        [customer(0), event(31, EventKind.HUMAN_REPLY)], FIRST, ALWAYS, at(40)
    ).first_response
    assert (missed.started_at, missed.due_at, missed.warn_at) == (at(0), at(30), at(20))
    assert (missed.stopped_at, missed.breached_at) == (at(31), at(30))
    breached = evaluate([customer(0)], FIRST, ALWAYS, at(35)).first_response
    assert (breached.breached_at, breached.stopped_at) == (at(30), None)


def test_no_target_is_none_even_when_started():
    snapshot = evaluate([customer(0)], Targets(), ALWAYS, at(500))
    assert {m.state for m in (snapshot.first_response, snapshot.next_response)} == {State.NONE}
    assert snapshot.resolution.state is State.NONE


def test_no_warning_lead_means_no_warn_at():
    metric = evaluate([customer(0)], Targets(first_response_seconds=1800), ALWAYS, at(29))
    assert (metric.first_response.state, metric.first_response.warn_at) == (State.RUNNING, None)


def test_bot_time_is_never_charged():
    events = [
        customer(0),
        event(1, EventKind.BOT_MESSAGE),
        customer(5),
        event(50, EventKind.HANDOFF_TO_HUMAN),
    ]
    # Still with the bot: nobody owes an answer yet.
    assert evaluate(events[:3], FIRST, ALWAYS, at(45)).first_response.state is State.NONE
    metric = evaluate(events, FIRST, ALWAYS, at(60)).first_response
    assert (metric.state, metric.started_at, metric.due_at) == (State.RUNNING, at(50), at(80))


def test_an_outbound_template_is_not_a_first_response():
    # A human template before the customer ever wrote is not a response to anything.
    events = [event(-5, EventKind.HUMAN_REPLY), customer(0)]
    metric = evaluate(events, FIRST, ALWAYS, at(45)).first_response
    assert (metric.state, metric.started_at) == (State.BREACHED, at(0))


# ------------------------------------------------------------------------------------------
# Next response


def answered() -> list[ClockEvent]:
    return [customer(0), event(5, EventKind.HUMAN_REPLY)]


@pytest.mark.parametrize(
    ("later", "now", "state"),
    [
        ([], 100, State.NONE),
        ([customer(10)], 15, State.RUNNING),
        ([customer(10)], 32, State.WARNING),
        ([customer(10)], 40, State.BREACHED),
        ([customer(10), event(35, EventKind.HUMAN_REPLY)], 50, State.MET),
        ([customer(10), event(45, EventKind.HUMAN_REPLY)], 50, State.MISSED),
    ],
)
def test_next_response_states(later, now, state):
    metric = evaluate(answered() + later, NEXT, ALWAYS, at(now)).next_response
    assert metric.state is state


def test_next_response_waits_for_the_first_response():
    metric = evaluate([customer(0), customer(10)], NEXT, ALWAYS, at(100)).next_response
    assert metric.state is State.NONE


def test_next_response_starts_at_the_oldest_unanswered_message():
    events = [*answered(), customer(10), customer(20)]
    metric = evaluate(events, NEXT, ALWAYS, at(25)).next_response
    assert (metric.started_at, metric.due_at) == (at(10), at(40))


def test_acknowledgement_does_not_start_next_response():
    # chatwoot#10178: the clock kept running after the customer's final "thanks".
    events = [*answered(), customer(6, ack=True)]
    assert evaluate(events, NEXT, ALWAYS, at(300)).next_response.state is State.NONE
    # A real question after the thanks does start it, from the question.
    metric = evaluate([*events, customer(60)], NEXT, ALWAYS, at(70)).next_response
    assert (metric.state, metric.started_at) == (State.RUNNING, at(60))


def test_resolving_stops_a_waiting_response_clock():
    events = [*answered(), customer(10), event(20, EventKind.RESOLVED)]
    metric = evaluate(events, NEXT, ALWAYS, at(100)).next_response
    assert (metric.state, metric.stopped_at) == (State.MET, at(20))


# ------------------------------------------------------------------------------------------
# Resolution, pauses, cycles


@pytest.mark.parametrize(
    ("later", "now", "state"),
    [
        ([], 30, State.RUNNING),
        ([], 55, State.WARNING),
        ([], 60, State.BREACHED),
        ([event(10, EventKind.PAUSED)], 200, State.PAUSED),
        ([event(59, EventKind.RESOLVED)], 100, State.MET),
        ([event(61, EventKind.RESOLVED)], 100, State.MISSED),
    ],
)
def test_resolution_states(later, now, state):
    metric = evaluate([customer(0), *later], RESOLUTION, ALWAYS, at(now)).resolution
    assert metric.state is state


def test_pause_moves_the_resolution_deadline():
    events = [customer(0), event(10, EventKind.PAUSED), event(40, EventKind.RESUMED)]
    metric = evaluate(events, RESOLUTION, ALWAYS, at(60)).resolution
    # 30 minutes paused: due at 90 rather than 60, warning at 80.
    assert (metric.state, metric.due_at, metric.warn_at) == (State.RUNNING, at(90), at(80))
    resolved = evaluate([*events, event(85, EventKind.RESOLVED)], RESOLUTION, ALWAYS, at(100))
    assert resolved.resolution.state is State.MET


def test_open_pause_pushes_the_deadline_while_it_lasts():
    events = [customer(0), event(10, EventKind.PAUSED)]
    metric = evaluate(events, RESOLUTION, ALWAYS, at(200)).resolution
    assert (metric.state, metric.due_at) == (State.PAUSED, at(250))


def test_pause_after_the_breach_does_not_undo_it():
    events = [customer(0), event(70, EventKind.PAUSED)]
    metric = evaluate(events, RESOLUTION, ALWAYS, at(80)).resolution
    assert (metric.state, metric.breached_at) == (State.BREACHED, at(60))


def test_pauses_are_ignored_when_the_policy_says_so():
    targets = Targets(resolution_seconds=3600, pause_resolution_when_pending=False)
    events = [customer(0), event(10, EventKind.PAUSED)]
    assert evaluate(events, targets, ALWAYS, at(70)).resolution.state is State.BREACHED


def test_a_pause_does_not_stop_the_response_clocks():
    events = [customer(0), event(1, EventKind.PAUSED)]
    assert evaluate(events, FIRST, ALWAYS, at(31)).first_response.state is State.BREACHED


def test_reopen_starts_a_new_cycle():
    first_cycle = [customer(0), event(100, EventKind.HUMAN_REPLY), event(110, EventKind.RESOLVED)]
    targets = Targets(first_response_seconds=1800, resolution_seconds=3600)
    before = evaluate(first_cycle, targets, ALWAYS, at(120))
    assert (before.cycle, before.first_response.state) == (1, State.MISSED)
    assert before.resolution.state is State.MISSED
    reopened = [*first_cycle, event(200, EventKind.REOPENED), customer(200)]
    after = evaluate(reopened, targets, ALWAYS, at(210))
    assert after.cycle == 2
    assert (after.first_response.state, after.first_response.started_at) == (
        State.RUNNING,
        at(200),
    )
    assert (after.resolution.state, after.resolution.due_at) == (State.RUNNING, at(260))


def test_events_in_any_order():
    events = [event(5, EventKind.HUMAN_REPLY), customer(0)]
    assert evaluate(events, FIRST, ALWAYS, at(10)).first_response.state is State.MET


# ------------------------------------------------------------------------------------------
# Business hours


def madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


def test_friday_evening_message_is_due_monday_morning():
    friday = madrid(2026, 3, 6, 16, 50)
    message = [ClockEvent(friday, EventKind.CUSTOMER_MESSAGE)]
    metric = evaluate(message, FIRST, office_hours(), madrid(2026, 3, 7, 12, 0)).first_response
    # Ten minutes on Friday, twenty on Monday; nothing runs over the weekend.
    assert metric.due_at == madrid(2026, 3, 9, 9, 20)
    assert metric.warn_at == madrid(2026, 3, 9, 9, 10)
    assert metric.state is State.RUNNING


def test_dst_week_in_madrid():
    # Clocks go forward on Sunday 29 March 2026: CET (+1) on Friday, CEST (+2) on Monday.
    friday = madrid(2026, 3, 27, 16, 50)
    message = [ClockEvent(friday, EventKind.CUSTOMER_MESSAGE)]
    due = evaluate(message, FIRST, office_hours(), friday).first_response.due_at
    assert due == madrid(2026, 3, 30, 9, 20)
    assert due == datetime(2026, 3, 30, 7, 20, tzinfo=UTC)


def test_holiday_closes_the_day():
    friday = madrid(2026, 3, 6, 16, 50)
    message = [ClockEvent(friday, EventKind.CUSTOMER_MESSAGE)]
    calendar = office_hours(date(2026, 3, 9))
    assert evaluate(message, FIRST, calendar, friday).first_response.due_at == madrid(
        2026, 3, 10, 9, 20
    )


def test_pause_outside_business_hours_moves_nothing():
    # Paused over the weekend only: no business time was paused, so the due stays.
    events = [
        ClockEvent(madrid(2026, 3, 6, 16, 30), EventKind.CUSTOMER_MESSAGE),
        ClockEvent(madrid(2026, 3, 7, 10, 0), EventKind.PAUSED),
        ClockEvent(madrid(2026, 3, 8, 10, 0), EventKind.RESUMED),
    ]
    metric = evaluate(events, RESOLUTION, office_hours(), madrid(2026, 3, 9, 9, 0)).resolution
    assert metric.due_at == madrid(2026, 3, 9, 9, 30)


# ------------------------------------------------------------------------------------------
# Acknowledgements


@pytest.mark.parametrize(
    "text",
    [
        "ok", "OK", "Okay.", "k", "thanks", "Thank you!", "thx", "ty", "gracias",
        "Muchas gracias!!", "vale", "Perfecto", "obrigado", "Obrigada!", "valeu", "merci",
        "Merci beaucoup", "d'accord", "D’accord", "danke", "Danke schön", "danke schoen",
        "grazie", "Grazie mille", "👍", "🙏", "👌", "❤️", "👍🏽", "great, thanks",
        "ok thanks!", "ok, thank you very much", "thanks 😊", "  gracias 🙏 ",
    ],
)  # fmt: skip
def test_acknowledgements(text):
    assert is_acknowledgement(text)


@pytest.mark.parametrize(
    "text",
    [
        None, "", "   ", "thanks, but where is my order?", "ok?", "¿vale?", "thanks?",
        "thanks for nothing", "ok but it still does not work",
        "thank you thank you thank you ok thanks", "hello", "yes", "no", "ok 😡", "😢",
        "order 12345", "ok 2", "gracias pero no llegó",
    ],
)  # fmt: skip
def test_not_acknowledgements(text):
    assert not is_acknowledgement(text)


def test_a_reaction_is_an_acknowledgement():
    assert is_acknowledgement(None, is_reaction=True)
    assert is_acknowledgement("😡", is_reaction=True)


# ------------------------------------------------------------------------------------------
# The WhatsApp window


def test_window_closing_before_the_deadline_warns():
    closes, due = madrid(2026, 3, 2, 14, 5), madrid(2026, 3, 2, 14, 30)
    assert window_warning(due.astimezone(UTC), closes.astimezone(UTC), "Europe/Madrid") == (
        "window closes 14:05, before the 14:30 deadline"
        " — after that only a template reaches the customer"
    )


@pytest.mark.parametrize(
    ("due", "closes"),
    [(at(30), at(40)), (at(30), at(30)), (None, at(10)), (at(30), None)],
)
def test_no_window_warning(due, closes):
    assert window_warning(due, closes) is None


# ------------------------------------------------------------------------------------------
# Properties


@settings(max_examples=150, deadline=None)
@given(
    start=st.integers(0, 14 * 24 * 60),
    target=st.integers(0, 3 * 24 * 60),
    reply_after=st.integers(0, 10 * 24 * 60),
    business=st.booleans(),
)
def test_deadline_never_before_start_and_met_iff_stopped_on_time(
    start, target, reply_after, business
):
    calendar = office_hours(date(2026, 3, 9)) if business else ALWAYS
    events = [customer(start), event(start + reply_after, EventKind.HUMAN_REPLY)]
    targets = Targets(first_response_seconds=target * MIN)
    metric = evaluate(events, targets, calendar, at(start + reply_after)).first_response
    assert metric.due_at is not None
    assert metric.due_at >= at(start)
    assert metric.state in (State.MET, State.MISSED)
    assert (metric.state is State.MET) == (at(start + reply_after) <= metric.due_at)
