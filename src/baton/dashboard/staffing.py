"""How many people were on shift in each hour of the week, over a report's range.

Read from ``agents.Shift`` and ``agents.TimeOff`` with routing's own rule
(``routing.availability.is_on_shift``: days off and team holidays win; a member with no
shifts in a team is always on shift there), so the heat map shows the staffing routing
assigned against.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from baton.agents.models import Role, Shift, Team, TeamMembership, TimeOff
from baton.routing.availability import DateRange, ShiftWindow, is_on_shift


def get_staffing(
    since: datetime,
    until: datetime,
    time_zone: str,
    team_ids: list[int],
    agent_id: int | None = None,
) -> dict[tuple[int, int], float]:
    """(weekday, hour) in ``time_zone`` → agents (role agent) on shift at the start of that
    hour, averaged over the range's hours that fall there. Someone in two teams counts once."""
    members = TeamMembership.objects.filter(
        team_id__in=team_ids, user__role=Role.AGENT, user__is_active=True
    )
    if agent_id is not None:
        members = members.filter(user_id=agent_id)
    pairs = list(members.values_list("team_id", "user_id"))
    if not pairs:
        return {}
    zones = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "time_zone"))
    windows: dict[tuple[int, int], list[ShiftWindow]] = defaultdict(list)
    for team_id, user_id, weekday, start, end in Shift.objects.filter(
        team_id__in=team_ids, user_id__in={u for _, u in pairs}
    ).values_list("team_id", "user_id", "weekday", "start", "end"):
        windows[team_id, user_id].append(ShiftWindow(weekday, start, end))
    days_off: dict[int, list[DateRange]] = defaultdict(list)
    holidays: dict[int, list[DateRange]] = defaultdict(list)
    margin = timedelta(days=1)  # local dates of zones far from UTC
    for user_id, team_id, first, last in TimeOff.objects.filter(
        first_day__lte=(until + margin).date(), last_day__gte=(since - margin).date()
    ).values_list("user_id", "team_id", "first_day", "last_day"):
        if user_id is not None:
            days_off[user_id].append(DateRange(first, last))
        elif team_id is not None:
            holidays[team_id].append(DateRange(first, last))
    tz = ZoneInfo(time_zone)
    totals: dict[tuple[int, int], int] = defaultdict(int)
    hours: dict[tuple[int, int], int] = defaultdict(int)
    instant = since.astimezone(UTC)  # whole hours of real time, across DST changes
    while instant < until:
        local = instant.astimezone(tz)
        cell = (local.weekday(), local.hour)
        hours[cell] += 1
        totals[cell] += len(
            {
                user_id
                for team_id, user_id in pairs
                if is_on_shift(
                    windows[team_id, user_id],
                    days_off[user_id],
                    holidays[team_id],
                    zones[team_id],
                    instant,
                )
            }
        )
        instant += timedelta(hours=1)
    return {cell: totals[cell] / hours[cell] for cell in hours}
