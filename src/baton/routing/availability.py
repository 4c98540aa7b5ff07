"""Who can take work right now: shifts, days off and capacity (pure: no database, no clock).

The assignment engine loads plain data into these dataclasses and asks two questions:
is this agent on shift at ``now`` (in the team's time zone), and is this candidate
assignable (present, on shift, under capacity)?
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from baton.core.business_hours import BusinessCalendar, Opening

AVAILABLE = "available"


@dataclass(frozen=True)
class ShiftWindow:
    """One weekly window: ``weekday`` 0 = Monday. ``end <= start`` runs past midnight."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class DateRange:
    """Inclusive range of local dates (a day off, a holiday, a vacation)."""

    first_day: date
    last_day: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class Candidate:
    """An agent as the strategies see them, in one team at one instant."""

    id: int
    presence: str
    on_shift: bool
    open_count: int
    capacity: int
    is_active: bool = True
    # None sorts first: someone never assigned is the longest-waiting of all.
    last_assigned_at: datetime | None = None

    @property
    def free(self) -> int:
        return self.capacity - self.open_count


def is_on_shift(
    shifts: Iterable[ShiftWindow],
    days_off: Iterable[DateRange],
    holidays: Iterable[DateRange],
    tz: str,
    now: datetime,
) -> bool:
    """Is an agent working at ``now`` (aware)? Days off and holidays win over shifts.

    No shifts at all means "always on shift": schedules are optional, so an installation
    without configuration still routes. A day off is a local calendar date of the team.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(ZoneInfo(tz)).date()
    if any(today in r for r in days_off) or any(today in r for r in holidays):
        return False
    windows = tuple(shifts)
    if not windows:
        return True
    return shift_calendar(tz, windows).is_open(now)


@functools.lru_cache(maxsize=4096)
def shift_calendar(tz: str, windows: tuple[ShiftWindow, ...]) -> BusinessCalendar:
    """An agent's weekly shifts as a calendar (cached: the assignment engine asks for every
    candidate on every round, and teams share a few shift patterns)."""
    return BusinessCalendar(tz, [Opening(w.weekday, w.start, w.end) for w in windows])


def effective_capacity(
    team_default: int, user_capacity: int | None, membership_override: int | None
) -> int:
    """Capacity in a team: the membership's override, else the agent's, else the team's."""
    if membership_override is not None:
        return membership_override
    if user_capacity is not None:
        return user_capacity
    return team_default


def is_assignable(candidate: Candidate) -> bool:
    """Present, on shift and under capacity: the only agents routing may hand work to."""
    return (
        candidate.is_active
        and candidate.presence == AVAILABLE
        and candidate.on_shift
        and candidate.open_count < candidate.capacity
    )
