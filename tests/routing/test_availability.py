"""Shifts, days off, holidays and capacity (pure functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.routing.availability import (
    Candidate,
    DateRange,
    ShiftWindow,
    effective_capacity,
    is_assignable,
    is_on_shift,
)

# 2026-11-23 is a Monday.
MONDAY = date(2026, 11, 23)


def at(day: date, hour: int, minute: int = 0, tz=UTC) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


NINE_TO_FIVE = [ShiftWindow(d, time(9), time(17)) for d in range(5)]


def test_no_shifts_means_always_on_shift():
    assert is_on_shift([], [], [], "UTC", at(MONDAY, 3))


@pytest.mark.parametrize(
    ("day_offset", "hour", "expected"),
    [(0, 9, True), (0, 16, True), (0, 17, False), (0, 8, False), (4, 12, True), (5, 12, False)],
)
def test_weekly_schedule(day_offset, hour, expected):
    now = at(MONDAY + timedelta(days=day_offset), hour, 30 if hour == 16 else 0)
    assert is_on_shift(NINE_TO_FIVE, [], [], "UTC", now) is expected


def test_shift_is_read_in_the_teams_time_zone():
    # 09:00 in Madrid (UTC+1 in November) is 08:00 UTC.
    assert is_on_shift(NINE_TO_FIVE, [], [], "Europe/Madrid", at(MONDAY, 8))
    assert not is_on_shift(NINE_TO_FIVE, [], [], "Europe/Madrid", at(MONDAY, 16, 30))
    assert not is_on_shift(NINE_TO_FIVE, [], [], "UTC", at(MONDAY, 8))


def test_overnight_shift_spans_midnight_into_the_next_weekday():
    night = [ShiftWindow(6, time(22), time(6))]  # Sunday 22:00 -> Monday 06:00
    sunday = MONDAY - timedelta(days=1)
    assert is_on_shift(night, [], [], "UTC", at(sunday, 23))
    assert is_on_shift(night, [], [], "UTC", at(MONDAY, 5, 59))
    assert not is_on_shift(night, [], [], "UTC", at(MONDAY, 6))
    assert not is_on_shift(night, [], [], "UTC", at(sunday, 21))
    assert not is_on_shift(night, [], [], "UTC", at(MONDAY, 23))


def test_day_off_and_team_holiday_win_over_the_schedule():
    off = [DateRange(MONDAY, MONDAY)]
    assert not is_on_shift(NINE_TO_FIVE, off, [], "UTC", at(MONDAY, 10))
    assert not is_on_shift(NINE_TO_FIVE, [], off, "UTC", at(MONDAY, 10))
    assert is_on_shift(NINE_TO_FIVE, off, [], "UTC", at(MONDAY + timedelta(days=1), 10))
    # Even without a schedule, a holiday is a day off.
    assert not is_on_shift([], [], off, "UTC", at(MONDAY, 10))


def test_holiday_uses_the_local_date():
    # 23:30 UTC on Sunday is already Monday in Madrid.
    off = [DateRange(MONDAY, MONDAY)]
    sunday_late = at(MONDAY - timedelta(days=1), 23, 30)
    assert not is_on_shift([], [], off, "Europe/Madrid", sunday_late)
    assert is_on_shift([], [], off, "UTC", sunday_late)


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="aware"):
        is_on_shift([], [], [], "UTC", datetime(2026, 1, 1))  # noqa: DTZ001


def test_capacity_precedence():
    assert effective_capacity(5, None, None) == 5
    assert effective_capacity(5, 3, None) == 3
    assert effective_capacity(5, 3, 8) == 8
    assert effective_capacity(5, None, 0) == 0


def candidate(**kw) -> Candidate:
    base = {"id": 1, "presence": "available", "on_shift": True, "open_count": 0, "capacity": 2}
    return Candidate(**{**base, **kw})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, True),
        ({"presence": "away"}, False),
        ({"presence": "offline"}, False),
        ({"on_shift": False}, False),
        ({"open_count": 2}, False),
        ({"open_count": 1}, True),
        ({"capacity": 0}, False),
        ({"is_active": False}, False),
    ],
)
def test_assignable_only_when_present_on_shift_and_under_capacity(changes, expected):
    assert is_assignable(candidate(**changes)) is expected


@given(
    st.lists(
        st.builds(
            ShiftWindow,
            st.integers(0, 6),
            st.times(),
            st.times(),
        ),
        max_size=5,
    ),
    st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001
        max_value=datetime(2030, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.sampled_from(["UTC", "Europe/Madrid", "America/New_York", "Asia/Kolkata"]),
)
def test_a_day_off_always_wins(shifts, now, tz):
    from zoneinfo import ZoneInfo

    local_day = now.astimezone(ZoneInfo(tz)).date()
    assert not is_on_shift(shifts, [DateRange(local_day, local_day)], [], tz, now)


@given(
    st.integers(0, 6),
    st.times(),
    st.times(),
    st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001
        max_value=datetime(2030, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
)
def test_on_shift_matches_a_brute_force_reading_of_the_week(weekday, start, end, now):
    window = ShiftWindow(weekday, start, end)
    clock, day = now.time().replace(tzinfo=None), now.weekday()
    if start < end:
        expected = day == weekday and start <= clock < end
    else:
        expected = (day == weekday and clock >= start) or (day == (weekday + 1) % 7 and clock < end)
    assert is_on_shift([window], [], [], "UTC", now) is expected
