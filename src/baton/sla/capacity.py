"""Reads feeding the breach prediction (``sla.prediction``): a team's queue and live capacity.

A constant number of queries per team, none per agent or per conversation.

The pace is measured as a **hold time**, not as a count of pickups: the mean time between an
agent taking a conversation from the queue (claimed, assigned, auto-assigned) and resolving
it, over the conversations of the team resolved in the last hour. A count of pickups per hour
only measures the team's speed when it was overloaded all hour (in a quiet hour it measures
the customers' arrival rate, and the first minutes of a rush would look hopeless); the hold
time of a slot is the same in a quiet hour and in a rush, and the pace at full load follows:
``working slots / hold time``. Conversations handed on or released are not counted (they
are few, and the hold time of a handed-on one is split between agents).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Avg, DurationField, ExpressionWrapper, F, OuterRef, Subquery

from baton.agents.models import Presence, Shift, Team, TimeOff
from baton.conversations.models import AuditEvent, EventKind
from baton.core.business_hours import BusinessCalendar
from baton.routing.availability import (
    Candidate,
    DateRange,
    ShiftWindow,
    is_assignable,
    is_on_shift,
    shift_calendar,
)
from baton.routing.candidates import get_candidates, queued_in_team, waiting_order
from baton.sla.models import OPEN_STATES
from baton.sla.prediction import CapacityChange, QueueItem, TeamCapacity

# How far back the hold time is measured, and how far ahead shift changes are looked for.
HOLD_WINDOW = timedelta(hours=1)
SHIFT_HORIZON = timedelta(hours=8)
# Audit kinds by which a queued conversation reaches an agent.
PICKUPS = (EventKind.CLAIMED, EventKind.ASSIGNED, EventKind.AUTO_ASSIGNED)


def team_capacity(team_id: int, now: datetime) -> TeamCapacity:
    """The team's capacity at ``now``: free places of the assignable agents, the capacity of
    everyone working (available and on shift), the last hour's hold time and the shift starts
    and ends of the next hours."""
    team = Team.objects.get(pk=team_id)
    return capacity_of(team, now, recent_hold_times([team_id], now).get(team_id))


def capacity_of(team: Team, now: datetime, hold_time: timedelta | None) -> TeamCapacity:
    """``team_capacity`` with the hold time already measured (``recent_hold_times`` answers
    for many teams in one query)."""
    candidates = get_candidates(team, now)
    working = [c for c in candidates.values() if _working(c)]
    return TeamCapacity(
        free_slots=sum(c.free for c in working if is_assignable(c)),
        working_slots=sum(c.capacity for c in working),
        hold_time=hold_time,
        changes=tuple(shift_changes(team, list(candidates.values()), now)),
    )


def recent_hold_times(team_ids: Iterable[int], now: datetime) -> dict[int, timedelta]:
    """Per team, the mean time from pickup to resolution of the conversations resolved in the
    hour before ``now``; teams that resolved nothing are missing. One query."""
    picked_up = (
        AuditEvent.objects.filter(
            conversation_id=OuterRef("conversation_id"),
            kind__in=PICKUPS,
            created_at__lte=OuterRef("created_at"),
        )
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    rows = (
        AuditEvent.objects.filter(
            kind=EventKind.RESOLVED,
            created_at__gt=now - HOLD_WINDOW,
            created_at__lte=now,
            conversation__team_id__in=list(team_ids),
        )
        .annotate(picked_up_at=Subquery(picked_up))
        .filter(picked_up_at__isnull=False)
        .values("conversation__team_id")
        .annotate(
            held=Avg(
                ExpressionWrapper(F("created_at") - F("picked_up_at"), output_field=DurationField())
            )
        )
        .values_list("conversation__team_id", "held")
    )
    return {team_id: held for team_id, held in rows if held is not None}


def shift_changes(team: Team, candidates: list[Candidate], now: datetime) -> list[CapacityChange]:
    """The shift ends of the agents working now and the next shift start (and its end) of the
    members off shift, within ``SHIFT_HORIZON``. Two queries.

    Agents without shifts are always on shift: they change nothing. Someone off shift is
    assumed to be available when their shift starts (with the places their open
    conversations leave free); a start that falls on a day off or a team holiday is skipped.
    """
    active = [c for c in candidates if c.is_active]
    if not active:
        return []
    windows: dict[int, list[ShiftWindow]] = defaultdict(list)
    for user_id, weekday, opens, closes in Shift.objects.filter(
        team=team, user_id__in=[c.id for c in active]
    ).values_list("user_id", "weekday", "start", "end"):
        windows[user_id].append(ShiftWindow(weekday, opens, closes))
    if not windows:
        return []
    limit = now + SHIFT_HORIZON
    days_off, holidays = _time_off(team, set(windows), now, limit)
    changes = []
    for candidate in active:
        if candidate.id not in windows:
            continue
        shifts = tuple(windows[candidate.id])
        calendar = shift_calendar(team.time_zone, shifts)
        if candidate.on_shift:
            if candidate.presence == Presence.AVAILABLE:
                end = shift_end(calendar, now, limit)
                if end is not None:
                    changes.append(CapacityChange(end, -candidate.capacity))
            continue
        start = calendar.next_open(now)
        if start is None or start > limit:
            continue
        if not is_on_shift(shifts, days_off[candidate.id], holidays, team.time_zone, start):
            continue  # a day off: not looked past (the horizon is a few hours)
        free = max(0, candidate.capacity - candidate.open_count)
        changes.append(CapacityChange(start, candidate.capacity, free))
        end = shift_end(calendar, start, limit)
        if end is not None:
            changes.append(CapacityChange(end, -candidate.capacity))
    return changes


def shift_end(calendar: BusinessCalendar, instant: datetime, limit: datetime) -> datetime | None:
    """The first instant from ``instant`` on at which ``calendar`` is closed, None if it stays
    open until ``limit``. A shift past midnight is one span (its two days' parts touch)."""
    t = instant
    day = t.astimezone(calendar.zone).date() - timedelta(days=1)
    while t <= limit:
        for start, end in calendar.open_spans(day):
            if start <= t < end:
                t = end
        if not calendar.is_open(t):
            return t if t <= limit else None
        day += timedelta(days=1)
    return None


def waiting_queue(team_id: int) -> list[QueueItem]:
    """The team's queued conversations in the order the assignment engine serves them, each
    with its nearest open response deadline (first or next response; none without an SLA
    row or a running clock). One query."""
    return [item for item, _ in queue_rows(team_id)]


def queue_rows(team_id: int) -> list[tuple[QueueItem, bool]]:
    """``waiting_queue``, each item with whether the conversation has an SLA row (where a
    prediction can be stored). One query."""
    rows = waiting_order(queued_in_team(team_id)).values_list(  # type: ignore[misc]
        "pk",
        "waiting_key",
        "sla__conversation_id",
        "sla__first_response_state",
        "sla__first_response_due_at",
        "sla__next_response_state",
        "sla__next_response_due_at",
    )
    items = []
    for pk, waiting_key, sla_id, first_state, first_due, next_state, next_due in rows:
        dues = [
            due
            for state, due in ((first_state, first_due), (next_state, next_due))
            if state in OPEN_STATES and due is not None
        ]
        items.append((QueueItem(pk, waiting_key, min(dues, default=None)), sla_id is not None))
    return items


def _working(candidate: Candidate) -> bool:
    return candidate.is_active and candidate.presence == Presence.AVAILABLE and candidate.on_shift


def _time_off(
    team: Team, user_ids: set[int], now: datetime, limit: datetime
) -> tuple[dict[int, list[DateRange]], list[DateRange]]:
    # A day of slack each side for zones far from UTC, as routing.candidates does.
    first = now.date() - timedelta(days=1)
    last = limit.date() + timedelta(days=1)
    days_off: dict[int, list[DateRange]] = defaultdict(list)
    holidays: list[DateRange] = []
    for user_id, team_id, first_day, last_day in TimeOff.objects.filter(
        first_day__lte=last, last_day__gte=first
    ).values_list("user_id", "team_id", "first_day", "last_day"):
        if user_id is not None and user_id in user_ids:
            days_off[user_id].append(DateRange(first_day, last_day))
        elif user_id is None and team_id == team.pk:
            holidays.append(DateRange(first_day, last_day))
    return days_off, holidays
