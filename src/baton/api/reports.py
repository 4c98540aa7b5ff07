"""Reports as JSON: the summary figures of ``/reports/`` (definitions: docs/reports.md)."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Query, Schema

from baton.agents.http import AuthenticatedRequest
from baton.api.api import ManagersOnly, api
from baton.api.schemas import ErrorOut
from baton.dashboard.reports import get_report_filter, get_summary

TAGS = ["reports"]


class SummaryQuery(Schema):
    since: date | None = None
    until: date | None = None
    team: int | None = None
    agent: int | None = None
    inbox: int | None = None


class HitRates(Schema):
    """Met ÷ (met + missed) per metric, and over all three; null when nothing was judged."""

    overall: float | None
    first_response: float | None
    next_response: float | None
    resolution: float | None


class MetricOutcomes(Schema):
    metric: str
    met: int
    missed: int
    no_target: int
    breaches: int
    hit_rate: float | None


class SummaryOut(Schema):
    since: datetime
    until: datetime
    time_zone: str
    conversations_created: int
    conversations_resolved: int
    first_responses: int
    first_response_seconds_median: float | None
    first_response_seconds_p90: float | None
    resolutions_timed: int
    resolution_seconds_median: float | None
    resolution_seconds_p90: float | None
    sla_hit_rate: HitRates
    sla: list[MetricOutcomes]


@api.get(
    "/reports/summary",
    tags=TAGS,
    response={200: SummaryOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=ManagersOnly("Only managers and admins can read reports."),
)
def reports_summary(request: AuthenticatedRequest, choice: Query[SummaryQuery]):
    """The headline figures for local days ``since``…``until`` (both included; default the
    last 7 days) in the team's time zone, optionally for one team, agent or inbox.

    Managers see their teams only (another team's id answers 403); admins see every team.
    Times are seconds (business seconds when the SLA policy counts business hours), read
    from SLA's outcome records; every figure is defined in docs/reports.md."""
    report, scope = get_report_filter(
        request.user,
        since=choice.since,
        until=choice.until,
        team_id=choice.team,
        agent_id=choice.agent,
        inbox_id=choice.inbox,
    )
    return get_summary(report, scope)
