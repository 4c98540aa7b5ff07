"""Business hours as a calendar: when something is open, and business-time arithmetic.

Pure: no database, no clock, no settings. Routing asks "is the inbox open now?"
(``is_within_business_hours``); SLA asks "when is a reply due, N business seconds after the
customer wrote?" and "how much business time has passed?" (``BusinessCalendar``).

Opening hours are local wall-clock times in an IANA time zone, so 09:00-17:00 follows the
zone's daylight saving changes. A holiday closes a whole local date. A night shift is an
opening whose end is at or before its start: it runs past midnight, and each half belongs
to its own local date (so a holiday on the second day closes the morning half only).

Arithmetic works on the exact set of instants whose local wall clock is inside an opening:
an hour skipped when the clocks go forward is no business time, an hour repeated when they
go back counts twice. It assumes a zone changes its offset at most once within a day, as
every zone in the tz database has for decades.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)
# ``next_open`` and ``add_business_seconds`` give up after this many closed days in a row,
# so a calendar closed for good (every day a holiday) cannot loop forever.
MAX_CLOSED_DAYS = 3 * 366


@dataclass(frozen=True)
class Opening:
    """One weekly open window in local wall-clock time; ``weekday`` 0 = Monday.

    ``end`` at or before ``start`` runs past midnight into the next day; ``end=None`` closes
    at midnight (the stored form's ``24:00``).
    """

    weekday: int
    start: time
    end: time | None = None


class BusinessCalendar:
    """Weekly openings in a time zone, minus holidays: ``is_open``, ``next_open`` and
    business-seconds arithmetic between aware datetimes.

    ``holidays`` are local dates, or ``(first, last)`` inclusive ranges (a team's
    ``TimeOff`` rows). ``country`` (ISO 3166 code such as ``"ES"``) and ``subdivision``
    (``"MD"``) add that region's public holidays from the ``holidays`` library.
    """

    def __init__(
        self,
        time_zone: str,
        openings: Iterable[Opening],
        holidays: Iterable[date | tuple[date, date]] = (),
        *,
        country: str | None = None,
        subdivision: str | None = None,
    ) -> None:
        try:
            self.zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {time_zone!r}") from exc
        self.time_zone = time_zone
        spans: list[list[tuple[timedelta, timedelta]]] = [[] for _ in WEEKDAYS]
        for opening in openings:
            if not 0 <= opening.weekday <= 6:
                raise ValueError(f"weekday must be 0 (Monday) to 6, not {opening.weekday}")
            start = _since_midnight(opening.start)
            end = _DAY if opening.end is None else _since_midnight(opening.end)
            if end > start:
                spans[opening.weekday].append((start, end))
            else:  # past midnight: the evening on its day, the morning on the next
                spans[opening.weekday].append((start, _DAY))
                if end:
                    spans[(opening.weekday + 1) % 7].append((timedelta(0), end))
        self._weekly = tuple(tuple(_merged(day)) for day in spans)
        # The same openings in seconds: ``is_open`` runs for every candidate agent on every
        # assignment round, and comparing numbers is several times cheaper than timedeltas.
        self._weekly_seconds = tuple(
            tuple((start.total_seconds(), end.total_seconds()) for start, end in day)
            for day in self._weekly
        )
        self._holiday_dates: set[date] = set()
        self._holiday_ranges: list[tuple[date, date]] = []
        for holiday in holidays:
            if isinstance(holiday, tuple):
                first, last = holiday
                self._holiday_ranges.append((first, last))
            else:
                self._holiday_dates.add(holiday)
        self.country = country
        self.subdivision = subdivision
        self._public_holidays: Collection[date] | None = None
        if country:
            # local import: the library loads in ~0.2 s, which every process would pay at
            # start for a feature few calendars use (only those naming a country).
            import holidays as public_holidays

            try:
                self._public_holidays = public_holidays.country_holidays(
                    country, subdiv=subdivision
                )
            except NotImplementedError as exc:
                raise ValueError(
                    f"no public holidays known for {country!r} {subdivision or ''}".strip()
                ) from exc

    @classmethod
    def always_open(cls, time_zone: str = "UTC") -> BusinessCalendar:
        return cls(time_zone, [Opening(day, time(0)) for day in range(7)])

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self.time_zone} {self._weekly}>"

    # --------------------------------------------------------------------------------------
    # Questions about one instant

    def is_holiday(self, day: date) -> bool:
        return bool(
            day in self._holiday_dates
            or (self._holiday_ranges and any(a <= day <= b for a, b in self._holiday_ranges))
            # Not a truth test: the library's mapping is empty until a year is looked up.
            or (self._public_holidays is not None and day in self._public_holidays)
        )

    def is_open(self, instant: datetime) -> bool:
        """Is ``instant`` (aware) inside an opening, read on the zone's wall clock?"""
        local = _aware(instant).astimezone(self.zone)
        day = local.date()
        if self.is_holiday(day):
            return False
        clock = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1_000_000
        return any(start <= clock < end for start, end in self._weekly_seconds[day.weekday()])

    def next_open(self, instant: datetime) -> datetime | None:
        """``instant`` if open, else the first instant after it that is; None if never."""
        if self.is_open(instant):
            return instant
        span = next(self._spans_after(instant, give_up=True), None)
        return None if span is None else _like(max(span[0], instant), instant)

    # --------------------------------------------------------------------------------------
    # Arithmetic

    def add_business_seconds(self, instant: datetime, seconds: float) -> datetime:
        """The instant at which ``seconds`` of open time have passed since ``instant``.

        Starting outside hours, the count begins at the next opening. Zero returns
        ``instant`` unchanged; a negative amount is refused (ValueError), as is a calendar
        that never opens again.
        """
        if seconds < 0:
            raise ValueError("business seconds to add must not be negative")
        remaining = timedelta(seconds=seconds)
        if not remaining:
            return instant
        # In UTC: adding to a datetime in a ZoneInfo zone would add wall-clock time.
        moment = _aware(instant).astimezone(UTC)
        for start, end in self._spans_after(moment, give_up=True):
            start = max(start, moment)
            if remaining <= end - start:
                return _like(start + remaining, instant)
            remaining -= end - start
        raise ValueError(f"{self!r} does not open again after {instant.isoformat()}")

    def business_seconds_between(self, earlier: datetime, later: datetime) -> float:
        """Open seconds in ``[earlier, later)``; negative when ``later`` comes first."""
        if later < earlier:
            return -self.business_seconds_between(later, earlier)
        # In UTC: subtracting two datetimes of one ZoneInfo zone gives wall-clock time.
        earlier, later = _aware(earlier).astimezone(UTC), _aware(later).astimezone(UTC)
        total = timedelta(0)
        for start, end in self._spans_after(earlier, until=later):
            total += min(end, later) - max(start, earlier)
        return total.total_seconds()

    def open_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The ``[start, end)`` UTC instants at which ``day`` (a local date) is open."""
        if self.is_holiday(day):
            return []
        midnight = datetime.combine(day, time(0))
        spans: list[tuple[datetime, datetime]] = []
        for start, end in self._weekly[day.weekday()]:
            spans.extend(self._instants_with_wall_clock_in(midnight + start, midnight + end))
        return _merged(spans)

    def _spans_after(
        self, instant: datetime, *, until: datetime | None = None, give_up: bool = False
    ) -> Iterator[tuple[datetime, datetime]]:
        """Open spans ending after ``instant``, in order (starting before ``until``)."""
        instant = _aware(instant)
        if not any(self._weekly):
            return
        # A day early: where the clocks go back at midnight, the hour after the change still
        # reads as the previous date.
        day = instant.astimezone(self.zone).date() - _DAY
        closed_days = 0
        while True:
            spans = self.open_spans(day)
            for start, end in spans:
                if until is not None and start >= until:
                    return
                if end > instant:
                    yield start, end
            if until is not None and spans and spans[-1][1] >= until:
                return
            closed_days = 0 if spans else closed_days + 1
            if give_up and closed_days > MAX_CLOSED_DAYS:
                return
            if until is not None and day > until.astimezone(self.zone).date() + _DAY:
                return
            day += _DAY

    def _instants_with_wall_clock_in(
        self, first: datetime, last: datetime
    ) -> list[tuple[datetime, datetime]]:
        """UTC spans of the instants whose naive local wall clock is in ``[first, last)``."""
        offsets = {
            _offset(wall.replace(tzinfo=self.zone, fold=fold))
            for wall in (first, last)
            for fold in (0, 1)
        }
        spans = []
        for offset in offsets:
            start = (first - offset).replace(tzinfo=UTC)
            end = (last - offset).replace(tzinfo=UTC)
            spans.extend(self._where_offset_is(offset, start, end))
        return _merged(spans)

    def _where_offset_is(
        self, offset: timedelta, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]]:
        """The part of ``[start, end)`` in which the zone's UTC offset is ``offset``."""
        if start >= end:
            return []
        at_start = self._offset_at(start) == offset
        at_end = self._offset_at(end - _MICROSECOND) == offset
        if at_start and at_end:
            return [(start, end)]
        if not at_start and not at_end:
            return []
        # One change inside: find its instant, to the microsecond.
        low, high = start, end - _MICROSECOND  # the offset differs between the two
        while high - low > _MICROSECOND:
            middle = low + (high - low) / 2
            if (self._offset_at(middle) == offset) == at_start:
                low = middle
            else:
                high = middle
        return [(start, high)] if at_start else [(high, end)]

    def _offset_at(self, instant: datetime) -> timedelta:
        return _offset(instant.astimezone(self.zone))


# ------------------------------------------------------------------------------------------
# The stored form: an inbox's ``routing.models.BusinessHours`` row as plain data


@dataclass(frozen=True)
class Hours:
    """An inbox's opening hours (``routing.models.BusinessHours`` as plain data)."""

    time_zone: str
    weekly: Mapping[str, Any]
    holidays: Collection[str] = ()


def validate_business_hours(time_zone: Any, weekly: Any, holidays: Any) -> list[str]:
    errors: list[str] = []
    if not isinstance(time_zone, str) or not time_zone:
        errors.append("time_zone: expected a time zone name such as Europe/Berlin.")
    else:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors.append(f"time_zone: unknown time zone {time_zone!r}.")
    if not isinstance(weekly, dict):
        errors.append('weekly: expected an object like {"mon": [["09:00", "17:00"]]}.')
    else:
        for day, intervals in weekly.items():
            if day not in WEEKDAYS:
                errors.append(f"weekly: unknown day {day!r}; use {', '.join(WEEKDAYS)}.")
                continue
            if not isinstance(intervals, list):
                errors.append(f"weekly.{day}: expected a list of [start, end] pairs.")
                continue
            for i, interval in enumerate(intervals):
                if (
                    not isinstance(interval, list)
                    or len(interval) != 2
                    or not all(isinstance(t, str) and _CLOCK.match(t) for t in interval)
                ):
                    errors.append(f'weekly.{day}[{i}]: expected ["HH:MM", "HH:MM"].')
                elif interval[0] >= interval[1]:
                    errors.append(
                        f"weekly.{day}[{i}]: the start must be before the end "
                        "(split a night shift over two days)."
                    )
    if not isinstance(holidays, list):
        errors.append('holidays: expected a list of dates like "2026-12-25".')
    else:
        for i, day in enumerate(holidays):
            # The canonical spelling only, as the evaluator reads it (``_iso_dates``):
            # "20261225" would be saved and then never close the day.
            if not isinstance(day, str) or not _iso_dates([day]):
                errors.append(f"holidays[{i}]: {day!r} is not a date like 2026-12-25.")
    return errors


def calendar_of(hours: Hours) -> BusinessCalendar:
    """The calendar of stored hours, leniently: never raises on a row saved long ago.

    An unknown zone reads as UTC; malformed intervals, intervals that end before they start
    and holidays that are not ``YYYY-MM-DD`` strings are skipped (a stored interval never
    runs past midnight: night shifts are split over two days when saved).
    """
    try:
        ZoneInfo(hours.time_zone)
        time_zone = hours.time_zone
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        time_zone = "UTC"
    openings = []
    weekly = hours.weekly if isinstance(hours.weekly, Mapping) else {}
    for weekday, name in enumerate(WEEKDAYS):
        intervals = weekly.get(name) or []
        if not isinstance(intervals, list | tuple):
            continue
        for interval in intervals:
            if not isinstance(interval, list | tuple) or len(interval) != 2:
                continue
            start, end = (_parse_clock(t) for t in interval)
            if start is None or end is None or start == _DAY or start >= end:
                continue
            closes = None if end == _DAY else _clock_time(end)
            openings.append(Opening(weekday, _clock_time(start), closes))
    return BusinessCalendar(time_zone, openings, _iso_dates(hours.holidays or ()))


def is_within_business_hours(hours: Hours | None, now: datetime) -> bool:
    """Is ``now`` (an aware datetime) inside the opening hours, in the hours' time zone?

    No hours configured means always open. Local wall-clock times are compared, so an
    interval of 09:00-17:00 follows daylight saving time changes of the zone.
    """
    if hours is None:
        return True
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return calendar_of(hours).is_open(now)


def _iso_dates(values: Iterable[Any]) -> list[date]:
    # Only the canonical spelling: the evaluator has always compared holidays as strings,
    # so "20261225" (which fromisoformat also reads) never closed a day and must not now.
    days = []
    for value in values:
        if isinstance(value, str):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                continue
            if day.isoformat() == value:
                days.append(day)
    return days


def _parse_clock(text: Any) -> timedelta | None:
    if not isinstance(text, str) or not _CLOCK.match(text):
        return None
    hour, minute = text.split(":")
    return timedelta(hours=int(hour), minutes=int(minute))


def _clock_time(since_midnight: timedelta) -> time:
    minutes = since_midnight // timedelta(minutes=1)
    return time(minutes // 60, minutes % 60)


# ------------------------------------------------------------------------------------------
# Helpers


@functools.lru_cache(maxsize=4096)
def _since_midnight(clock: time) -> timedelta:
    # Cached: building a timedelta was most of the cost of a calendar (a few distinct
    # clock times serve every shift and opening).
    return timedelta(
        hours=clock.hour, minutes=clock.minute, seconds=clock.second, microseconds=clock.microsecond
    )


def _merged(spans: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    if len(spans) < 2:
        return spans
    merged: list[tuple[Any, Any]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _offset(aware: datetime) -> timedelta:
    offset = aware.utcoffset()
    assert offset is not None  # a ZoneInfo always gives one
    return offset


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instants must be timezone-aware")
    return instant


def _like(result: datetime, reference: datetime) -> datetime:
    """``result`` in the time zone the caller gave its instant in."""
    zone: tzinfo | None = reference.tzinfo
    return result.astimezone(zone)
