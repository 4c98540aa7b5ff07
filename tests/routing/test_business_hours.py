"""Business hours in the inbox's time zone, across daylight saving time changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from baton.routing.conditions import Hours, is_within_business_hours, validate_business_hours

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
