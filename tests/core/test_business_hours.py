"""Business hours in the inbox's time zone, across daylight saving time changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baton.core.business_hours import (
    WEEKDAYS,
    BusinessCalendar,
    Hours,
    Opening,
    calendar_of,
    is_within_business_hours,
    validate_business_hours,
)

WEEKDAYS_9_TO_17 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
BERLIN = Hours("Europe/Berlin", WEEKDAYS_9_TO_17, ["2026-12-25"])


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Friday 27 March 2026, CET (UTC+1): 09:00 local is 08:00 UTC.
        (utc(2026, 3, 27, 7, 59), False),
        (utc(2026, 3, 27, 8, 0), True),
        (utc(2026, 3, 27, 15, 59), True),
        (utc(2026, 3, 27, 16, 0), False),
        # Clocks go forward on Sunday 29 March; Monday 30 March is CEST (UTC+2):
        # 09:00 local is now 07:00 UTC, and 08:00 UTC (open on Friday) is 10:00 local.
        (utc(2026, 3, 30, 6, 59), False),
        (utc(2026, 3, 30, 7, 0), True),
        (utc(2026, 3, 30, 14, 59), True),
        (utc(2026, 3, 30, 15, 0), False),
        # Weekend.
        (utc(2026, 3, 28, 10, 0), False),
        # Back to CET on Sunday 25 October; Monday 26 October opens at 08:00 UTC again.
        (utc(2026, 10, 23, 7, 0), True),
        (utc(2026, 10, 26, 7, 0), False),
        (utc(2026, 10, 26, 8, 0), True),
        # A holiday, in local time: 25 December 00:30 Berlin is 24 December 23:30 UTC.
        (utc(2026, 12, 25, 10, 0), False),
        (utc(2026, 12, 24, 10, 0), True),
    ],
)
def test_berlin_across_dst(now, expected):
    assert is_within_business_hours(BERLIN, now) is expected


def test_holiday_is_a_local_date():
    hours = Hours("America/New_York", {"fri": [["00:00", "24:00"]]}, ["2026-12-25"])
    # 03:00 UTC on 26 December is still 25 December (22:00) in New York: a holiday.
    assert is_within_business_hours(hours, utc(2026, 12, 26, 3, 0)) is False
    # Friday 18 December all day, including 23:59 local (04:59 UTC Saturday).
    assert is_within_business_hours(hours, utc(2026, 12, 19, 4, 59)) is True


def test_several_intervals_and_no_hours():
    hours = Hours("UTC", {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]})
    monday = (2026, 3, 30)
    assert is_within_business_hours(hours, utc(*monday, 11, 59))
    assert not is_within_business_hours(hours, utc(*monday, 12, 30))
    assert is_within_business_hours(hours, utc(*monday, 13, 0))
    assert is_within_business_hours(None, utc(*monday, 3, 0)) is True


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        is_within_business_hours(BERLIN, datetime(2026, 3, 30, 10, 0))  # noqa: DTZ001


def test_broken_stored_hours_do_not_raise():
    hours = Hours("Mars/Olympus", {"mon": [["x", "y"], ["24:00", "01:00"], "bad"]}, [3, None])
    assert is_within_business_hours(hours, utc(2026, 3, 30, 10, 0)) is False
    assert is_within_business_hours(Hours("UTC", {"mon": "bad"}), utc(2026, 3, 30, 1)) is False


def test_validation():
    assert validate_business_hours("Europe/Berlin", WEEKDAYS_9_TO_17, ["2026-12-25"]) == []
    errors = validate_business_hours(
        "Mars/Olympus",
        {"monday": [], "tue": [["17:00", "09:00"]], "wed": [["9:00", "17:00"]], "thu": "x"},
        ["25.12.2026"],
    )
    text = " ".join(errors)
    for fragment in (
        "unknown time zone",
        "unknown day 'monday'",
        "start must be before the end",
        'expected ["HH:MM", "HH:MM"]',
        "weekly.thu",
        "not a date",
    ):
        assert fragment in text
    assert validate_business_hours("", [], {}) == [
        "time_zone: expected a time zone name such as Europe/Berlin.",
        'weekly: expected an object like {"mon": [["09:00", "17:00"]]}.',
        'holidays: expected a list of dates like "2026-12-25".',
    ]


# ------------------------------------------------------------------------------------------
# BusinessCalendar: openings, holidays and business-seconds arithmetic

MADRID = "Europe/Madrid"
NEW_YORK = "America/New_York"
HOUR = 3600


def weekdays(start: int, end: int | None) -> list[Opening]:
    return [Opening(d, time(start), None if end is None else time(end)) for d in range(5)]


def local(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


def test_is_open_and_next_open_outside_hours():
    calendar = BusinessCalendar(MADRID, weekdays(9, 17))
    friday_evening = local(MADRID, 2026, 11, 27, 18, 0)
    assert not calendar.is_open(friday_evening)
    assert calendar.next_open(friday_evening) == local(MADRID, 2026, 11, 30, 9, 0)
    inside = local(MADRID, 2026, 11, 30, 10, 0)
    assert calendar.next_open(inside) == inside
    assert BusinessCalendar(MADRID, []).next_open(inside) is None


def test_result_keeps_the_callers_zone():
    calendar = BusinessCalendar(MADRID, weekdays(9, 17))
    due = calendar.add_business_seconds(datetime(2026, 11, 30, 7, 0, tzinfo=UTC), HOUR)
    assert due == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 10:00 in Madrid
    assert due.tzinfo is UTC


def test_spring_forward_in_madrid_skips_an_hour_of_business_time():
    # Sunday 29 March 2026 02:00 -> 03:00; open around the clock that Sunday.
    calendar = BusinessCalendar(MADRID, [Opening(6, time(0))])
    assert calendar.business_seconds_between(
        local(MADRID, 2026, 3, 29, 0, 0), local(MADRID, 2026, 3, 30, 0, 0)
    ) == (23 * HOUR)
    start = local(MADRID, 2026, 3, 29, 1, 30)
    assert calendar.add_business_seconds(start, HOUR) == local(MADRID, 2026, 3, 29, 3, 30)
    # 02:00-03:00 never happens on that day: an opening inside it has no time at all.
    gap = BusinessCalendar(MADRID, [Opening(6, time(2), time(3))])
    assert gap.open_spans(date(2026, 3, 29)) == []
    assert gap.next_open(start) == local(MADRID, 2026, 4, 5, 2, 0)


def test_fall_back_in_new_york_counts_the_repeated_hour_twice():
    # Sunday 1 November 2026 02:00 EDT -> 01:00 EST: 01:00-02:00 happens twice.
    calendar = BusinessCalendar(NEW_YORK, [Opening(6, time(1), time(2))])
    [(start, end)] = calendar.open_spans(date(2026, 11, 1))
    assert (start, end) == (
        datetime(2026, 11, 1, 5, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 7, 0, tzinfo=UTC),
    )
    assert calendar.business_seconds_between(start - timedelta(hours=3), end) == 2 * HOUR
    assert calendar.is_open(datetime(2026, 11, 1, 6, 30, tzinfo=UTC))  # 01:30 EST
    # An opening half inside the repeated hour: open, closed, then open again.
    half = BusinessCalendar(NEW_YORK, [Opening(6, time(0, 30), time(1, 30))])
    assert half.open_spans(date(2026, 11, 1)) == [
        (datetime(2026, 11, 1, 4, 30, tzinfo=UTC), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        (datetime(2026, 11, 1, 6, 0, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
    ]
    assert not half.is_open(datetime(2026, 11, 1, 5, 45, tzinfo=UTC))  # 01:45 EDT
    assert half.is_open(datetime(2026, 11, 1, 6, 15, tzinfo=UTC))  # 01:15 EST


def test_nine_to_five_keeps_local_hours_across_dst():
    calendar = BusinessCalendar(NEW_YORK, weekdays(9, 17))
    # Friday 6 March 2026 16:00 EST plus 2 business hours: Monday 9 March 10:00 EDT.
    friday = local(NEW_YORK, 2026, 3, 6, 16, 0)
    monday = calendar.add_business_seconds(friday, 2 * HOUR)
    assert monday == local(NEW_YORK, 2026, 3, 9, 10, 0)
    # The weekend lost an hour (subtract in UTC: within one zone Python subtracts wall clocks).
    assert monday.astimezone(UTC) - friday.astimezone(UTC) == timedelta(days=2, hours=17)
    assert calendar.business_seconds_between(friday, monday) == 2 * HOUR


def test_overnight_hours_run_past_midnight():
    night = [Opening(d, time(22), time(6)) for d in range(7)]
    calendar = BusinessCalendar(MADRID, night)
    evening = local(MADRID, 2026, 11, 23, 23, 0)
    assert calendar.is_open(evening)
    assert calendar.is_open(local(MADRID, 2026, 11, 24, 5, 59))
    assert not calendar.is_open(local(MADRID, 2026, 11, 24, 6, 0))
    # 23:00 + 7 h: one hour to midnight, six in the morning, and the next night has begun.
    assert calendar.add_business_seconds(evening, 7 * HOUR) == local(MADRID, 2026, 11, 24, 6, 0)
    assert calendar.add_business_seconds(evening, 8 * HOUR) == local(MADRID, 2026, 11, 24, 23, 0)
    # The stored form splits a night shift over two days; it adds up the same.
    stored = calendar_of(
        Hours(MADRID, {d: [["00:00", "06:00"], ["22:00", "24:00"]] for d in WEEKDAYS})
    )
    assert stored.add_business_seconds(evening, 8 * HOUR) == local(MADRID, 2026, 11, 24, 23, 0)


def test_holidays_close_whole_local_dates():
    calendar = BusinessCalendar(
        MADRID,
        weekdays(9, 17),
        [date(2026, 12, 8), (date(2026, 12, 24), date(2026, 12, 25))],
    )
    assert not calendar.is_open(local(MADRID, 2026, 12, 8, 10, 0))
    assert calendar.next_open(local(MADRID, 2026, 12, 23, 17, 0)) == local(
        MADRID, 2026, 12, 28, 9, 0
    )
    assert calendar.business_seconds_between(
        local(MADRID, 2026, 12, 7, 0, 0), local(MADRID, 2026, 12, 10, 0, 0)
    ) == (2 * 8 * HOUR)
    # A night shift's morning half falls on the holiday; its evening half does not.
    night = BusinessCalendar(MADRID, [Opening(0, time(22), time(6))], [date(2026, 12, 8)])
    assert night.is_open(local(MADRID, 2026, 12, 7, 23, 0))
    assert not night.is_open(local(MADRID, 2026, 12, 8, 1, 0))


def test_public_holidays_of_a_country_and_subdivision():
    calendar = BusinessCalendar(MADRID, weekdays(9, 17), country="ES", subdivision="MD")
    # 8 December (Immaculate Conception) is national; 2 May 2025 (a Friday) is Madrid's.
    assert not calendar.is_open(local(MADRID, 2026, 12, 8, 10, 0))
    assert not calendar.is_open(local(MADRID, 2025, 5, 2, 10, 0))
    assert BusinessCalendar(MADRID, weekdays(9, 17), country="ES").is_open(
        local(MADRID, 2025, 5, 2, 10, 0)
    )
    with pytest.raises(ValueError, match="no public holidays"):
        BusinessCalendar(MADRID, [], country="XX")


def test_a_week_long_addition():
    calendar = BusinessCalendar(NEW_YORK, weekdays(9, 17))
    start = local(NEW_YORK, 2026, 11, 2, 9, 0)  # a Monday
    week = 5 * 8 * HOUR
    assert calendar.add_business_seconds(start, week) == local(NEW_YORK, 2026, 11, 6, 17, 0)
    assert calendar.add_business_seconds(start, week + 1) == local(NEW_YORK, 2026, 11, 9, 9, 0, 1)
    assert calendar.business_seconds_between(start, start + timedelta(days=7)) == week


def test_starting_outside_hours_counts_from_the_next_opening():
    calendar = BusinessCalendar(MADRID, weekdays(9, 17))
    saturday = local(MADRID, 2026, 11, 28, 12, 0)
    assert calendar.add_business_seconds(saturday, 90) == local(MADRID, 2026, 11, 30, 9, 1, 30)
    assert calendar.business_seconds_between(saturday, local(MADRID, 2026, 11, 29, 23, 0)) == 0


def test_zero_and_negative_seconds():
    calendar = BusinessCalendar(MADRID, weekdays(9, 17))
    saturday = local(MADRID, 2026, 11, 28, 12, 0)
    assert calendar.add_business_seconds(saturday, 0) == saturday
    with pytest.raises(ValueError, match="negative"):
        calendar.add_business_seconds(saturday, -1)
    monday = local(MADRID, 2026, 11, 30, 10, 0)
    assert calendar.business_seconds_between(monday, saturday) == -HOUR  # Monday 09:00-10:00
    assert calendar.business_seconds_between(monday, monday) == 0


def test_never_open_and_always_open():
    closed = BusinessCalendar(MADRID, [])
    with pytest.raises(ValueError, match="does not open again"):
        closed.add_business_seconds(local(MADRID, 2026, 11, 30, 10, 0), 1)
    always = BusinessCalendar.always_open(MADRID)
    start = local(MADRID, 2026, 3, 28, 12, 0)
    due = always.add_business_seconds(start, 2 * 86400)
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=2)
    assert due == local(MADRID, 2026, 3, 30, 13, 0)  # the clocks went forward on the way


def test_bad_calendars_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        BusinessCalendar("Mars/Olympus", [])
    with pytest.raises(ValueError, match="weekday"):
        BusinessCalendar("UTC", [Opening(7, time(9), time(17))])
    with pytest.raises(ValueError, match="aware"):
        BusinessCalendar("UTC", weekdays(9, 17)).is_open(datetime(2026, 1, 1))  # noqa: DTZ001


# ------------------------------------------------------------------------------------------
# Properties

ZONES = st.sampled_from(["UTC", MADRID, NEW_YORK, "Australia/Lord_Howe", "Asia/Kolkata"])
# Around the 2026 DST changes of the zones above, and plain weeks in between.
INSTANTS = st.datetimes(
    min_value=datetime(2026, 3, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2026, 11, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)
CLOCKS = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
OPENINGS = st.lists(
    st.builds(Opening, st.integers(0, 6), CLOCKS, st.one_of(st.none(), CLOCKS)),
    min_size=1,
    max_size=6,
)


@st.composite
def calendars(draw):
    return BusinessCalendar(draw(ZONES), draw(OPENINGS), draw(st.lists(st.dates(), max_size=3)))


@settings(max_examples=150, deadline=None)
@given(calendars(), INSTANTS, st.integers(0, 10 * 86400))
def test_adding_then_measuring_gives_back_the_seconds(calendar, instant, seconds):
    start = calendar.next_open(instant)
    assert start is not None
    assert calendar.is_open(start)
    end = calendar.add_business_seconds(start, seconds)
    assert calendar.business_seconds_between(start, end) == seconds
    assert calendar.business_seconds_between(instant, end) == seconds


@settings(max_examples=150, deadline=None)
@given(calendars(), INSTANTS, st.integers(0, 5 * 86400), st.integers(0, 5 * 86400))
def test_arithmetic_is_monotonic(calendar, instant, fewer, more):
    fewer, more = sorted((fewer, more))
    assert calendar.add_business_seconds(instant, fewer) <= calendar.add_business_seconds(
        instant, more
    )
    later = instant + timedelta(seconds=more - fewer)
    assert (
        0
        <= calendar.business_seconds_between(instant, later)
        <= (later - instant).seconds + (later - instant).days * 86400
    )


@settings(max_examples=200, deadline=None)
@given(calendars(), INSTANTS)
def test_is_open_agrees_with_the_open_spans(calendar, instant):
    day = instant.astimezone(calendar.zone).date()
    spans = [
        s
        for d in (day - timedelta(days=1), day, day + timedelta(days=1))
        for s in calendar.open_spans(d)
    ]
    assert calendar.is_open(instant) == any(start <= instant < end for start, end in spans)


@pytest.mark.parametrize("spelling", ["20261225", "2026-W52-5", "2026-12-25T00:00", 20261225])
def test_a_holiday_the_calendar_would_not_read_is_refused_when_saved(spelling):
    from baton.core.business_hours import validate_business_hours

    errors = validate_business_hours("UTC", {}, [spelling])
    assert errors == [f"holidays[0]: {spelling!r} is not a date like 2026-12-25."]
    assert validate_business_hours("UTC", {}, ["2026-12-25"]) == []
