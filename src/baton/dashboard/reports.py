"""The reports' figures: one function per table, each over a ``ReportFilter`` and a scope.

Every number has one definition, written down in ``docs/reports.md``. Response and
resolution times are never recomputed from messages: they are the ``elapsed_seconds`` of
SLA's outcome records (``sla.models.SlaRecord``), the very rows SLA judges, so a report and
the SLA pane cannot disagree. Conversation counts, resolutions, handoffs and bot
containment come from the rows the timeline shows (conversations, ``AuditEvent``,
``Handoff``, messages).

A scope is ``conversations.queries.managed_team_ids(viewer)``: ``None`` for admins (every
team), a manager's team ids otherwise; agents (``[]``) are refused by ``get_report_scope``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate

from baton.agents.models import Role, Team, TeamMembership, User
from baton.conversations.models import (
    AuditEvent,
    Conversation,
    Direction,
    EventKind,
    Handoff,
    HandoffStatus,
    Message,
)
from baton.conversations.queries import managed_team_ids
from baton.core.errors import InvalidInput, NotFound, PermissionDenied
from baton.dashboard.percentiles import MEDIAN, P90, grouped_percentiles, interpolate, percentiles
from baton.dashboard.staffing import get_staffing
from baton.sla.models import METRICS, OUTCOME_KINDS, Metric, RecordKind, SlaRecord
from baton.whatsapp.models import Inbox

Scope = list[int] | None

DEFAULT_DAYS = 7
MAX_DAYS = 366


@dataclass(frozen=True)
class ReportFilter:
    """What a report covers: ``since`` ≤ instant < ``until`` (aware), and optionally one
    team, one agent, one inbox. ``time_zone`` is the zone of its days and hours."""

    since: datetime
    until: datetime
    team_id: int | None = None
    agent_id: int | None = None
    inbox_id: int | None = None
    time_zone: str = "UTC"

    @property
    def first_day(self) -> date:
        return self.since.astimezone(ZoneInfo(self.time_zone)).date()

    @property
    def last_day(self) -> date:
        return (self.until - timedelta(microseconds=1)).astimezone(ZoneInfo(self.time_zone)).date()


# --- who may see what ------------------------------------------------------------------


def get_report_scope(user: Any) -> Scope:
    """The teams ``user`` may report on (None = every team); agents are refused."""
    if not user.is_authenticated:
        raise PermissionDenied("Sign in to see reports.")
    scope = managed_team_ids(user)
    if scope == []:
        raise PermissionDenied("Reports are for managers and admins.")
    return scope


def get_report_teams(scope: Scope) -> QuerySet[Team]:
    teams = Team.objects.order_by("name")
    return teams if scope is None else teams.filter(pk__in=scope)


def get_report_agents(scope: Scope) -> QuerySet[User]:
    """People (not bots) who are members of a team in scope."""
    members = TeamMembership.objects.filter(user=OuterRef("pk"))
    if scope is not None:
        members = members.filter(team_id__in=scope)
    return (
        User.objects.exclude(role=Role.BOT)
        .filter(Exists(members))
        .order_by("display_name", "username")
    )


def get_report_zone(scope: Scope, team_id: int | None) -> str:
    """The chosen team's zone; else the one team a manager manages; else the site's."""
    if team_id is None and scope is not None and len(scope) == 1:
        team_id = scope[0]
    if team_id is not None:
        zone = Team.objects.filter(pk=team_id).values_list("time_zone", flat=True).first()
        if zone:
            return zone
    return settings.TIME_ZONE


def get_report_filter(
    user: Any,
    *,
    since: date | None = None,
    until: date | None = None,
    team_id: int | None = None,
    agent_id: int | None = None,
    inbox_id: int | None = None,
    today: date | None = None,
) -> tuple[ReportFilter, Scope]:
    """Check a request's choices against ``user``'s scope and turn local days into instants.

    ``since`` and ``until`` are local days, both included; by default the last 7 days up to
    today. A team outside the scope, or an agent in none of its teams, is refused (403)."""
    scope = get_report_scope(user)
    if team_id is not None:
        if not Team.objects.filter(pk=team_id).exists():
            raise NotFound("No such team.")
        if scope is not None and team_id not in scope:
            raise PermissionDenied("You can only report on the teams you manage.")
    if agent_id is not None and not get_report_agents(scope).filter(pk=agent_id).exists():
        raise PermissionDenied("That agent is not in a team you manage.")
    if inbox_id is not None and not Inbox.objects.filter(pk=inbox_id).exists():
        raise NotFound("No such inbox.")
    zone = get_report_zone(scope, team_id)
    tz = ZoneInfo(zone)
    if today is None:
        today = datetime.now(tz).date()
    last = until or today
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidInput("The range starts after it ends.")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"A report covers at most {MAX_DAYS} days.")
    report = ReportFilter(
        since=datetime.combine(first, time.min, tz),
        until=datetime.combine(last + timedelta(days=1), time.min, tz),
        team_id=team_id,
        agent_id=agent_id,
        inbox_id=inbox_id,
        time_zone=zone,
    )
    return report, scope


def _teams(f: ReportFilter, scope: Scope, prefix: str = "") -> Q:
    """Rows of the teams in scope (and the chosen team)."""
    q = Q()
    if scope is not None:
        q &= Q(**{f"{prefix}team_id__in": scope})
    if f.team_id is not None:
        q &= Q(**{f"{prefix}team_id": f.team_id})
    return q


def _inbox(f: ReportFilter, prefix: str = "") -> Q:
    return Q(**{f"{prefix}inbox_id": f.inbox_id}) if f.inbox_id is not None else Q()


# --- the records each figure reads -----------------------------------------------------


def created_conversations(f: ReportFilter, scope: Scope) -> QuerySet[Conversation]:
    """Conversations opened in the range (their current team; with an agent, their owner)."""
    qs = Conversation.objects.filter(created_at__gte=f.since, created_at__lt=f.until)
    qs = qs.filter(_teams(f, scope), _inbox(f))
    if f.agent_id is not None:
        qs = qs.filter(owner_id=f.agent_id)
    return qs


def resolve_events(f: ReportFilter, scope: Scope) -> QuerySet[AuditEvent]:
    """Timeline resolve records in the range; with an agent, those they owned when resolved."""
    qs = AuditEvent.objects.filter(
        kind=EventKind.RESOLVED, created_at__gte=f.since, created_at__lt=f.until
    )
    qs = qs.filter(_teams(f, scope, "conversation__"), _inbox(f, "conversation__"))
    if f.agent_id is not None:
        qs = qs.filter(from_owner_id=f.agent_id)
    return qs


def sla_records(f: ReportFilter, scope: Scope) -> QuerySet[SlaRecord]:
    """SLA records stamped in the range (``at``), of the record's team, answered (owner) by
    the chosen agent, in conversations of the chosen inbox."""
    qs = SlaRecord.objects.filter(at__gte=f.since, at__lt=f.until).filter(
        _teams(f, scope), _inbox(f, "conversation__")
    )
    if f.agent_id is not None:
        qs = qs.filter(owner_id=f.agent_id)
    return qs


def outcome_records(f: ReportFilter, scope: Scope) -> QuerySet[SlaRecord]:
    return sla_records(f, scope).filter(kind__in=OUTCOME_KINDS)


def handoffs(f: ReportFilter, scope: Scope) -> QuerySet[Handoff]:
    """Handoffs requested in the range; with an agent, those they sent or received."""
    qs = Handoff.objects.filter(created_at__gte=f.since, created_at__lt=f.until)
    qs = qs.filter(_teams(f, scope, "conversation__"), _inbox(f, "conversation__"))
    if f.agent_id is not None:
        qs = qs.filter(Q(from_user_id=f.agent_id) | Q(to_user_id=f.agent_id))
    return qs


def replies(f: ReportFilter, scope: Scope) -> QuerySet[Message]:
    """Messages a person (not a bot, not the system) sent to customers in the range."""
    qs = Message.objects.filter(
        direction=Direction.OUTBOUND,
        author__isnull=False,
        timestamp__gte=f.since,
        timestamp__lt=f.until,
    ).exclude(author__role=Role.BOT)
    qs = qs.filter(_teams(f, scope, "conversation__"), _inbox(f, "conversation__"))
    if f.agent_id is not None:
        qs = qs.filter(author_id=f.agent_id)
    return qs


def customer_messages(f: ReportFilter, scope: Scope) -> QuerySet[Message]:
    qs = Message.objects.filter(
        direction=Direction.INBOUND, timestamp__gte=f.since, timestamp__lt=f.until
    )
    return qs.filter(_teams(f, scope, "conversation__"), _inbox(f, "conversation__"))


# --- the tables ------------------------------------------------------------------------


def _rate(met: int, missed: int) -> float | None:
    return met / (met + missed) if met + missed else None


def get_summary(f: ReportFilter, scope: Scope) -> dict[str, Any]:
    """The headline figures (also ``GET /api/v1/reports/summary``): 4 queries."""
    created = created_conversations(f, scope).count()
    resolved = resolve_events(f, scope).values("conversation_id").distinct().count()
    counts: dict[str, dict[str, int]] = {m: dict.fromkeys(RecordKind, 0) for m in METRICS}
    for metric, kind, n in (
        sla_records(f, scope)
        .filter(kind__in=RecordKind.values)  # lets the (kind, at) index bound the scan
        .order_by()
        .values("metric", "kind")
        .annotate(n=Count("id"))
        .values_list("metric", "kind", "n")
    ):
        counts[metric][kind] = n
    times = outcome_records(f, scope)
    first = Q(metric=Metric.FIRST_RESPONSE)
    resolution = Q(metric=Metric.RESOLUTION)
    # One query on PostgreSQL for all four; the metric is part of the filter.
    fr_median, fr_p90 = percentiles(times, "elapsed_seconds", (MEDIAN, P90), where=first)
    res_median, res_p90 = percentiles(times, "elapsed_seconds", (MEDIAN, P90), where=resolution)
    met = sum(counts[m][RecordKind.MET] for m in METRICS)
    missed = sum(counts[m][RecordKind.MISSED] for m in METRICS)
    return {
        "since": f.since,
        "until": f.until,
        "time_zone": f.time_zone,
        "conversations_created": created,
        "conversations_resolved": resolved,
        "first_responses": sum(counts[Metric.FIRST_RESPONSE][k] for k in OUTCOME_KINDS),
        "first_response_seconds_median": fr_median,
        "first_response_seconds_p90": fr_p90,
        "resolutions_timed": sum(counts[Metric.RESOLUTION][k] for k in OUTCOME_KINDS),
        "resolution_seconds_median": res_median,
        "resolution_seconds_p90": res_p90,
        "sla_hit_rate": {
            "overall": _rate(met, missed),
            **{
                str(m): _rate(counts[m][RecordKind.MET], counts[m][RecordKind.MISSED])
                for m in METRICS
            },
        },
        "sla": [
            {
                "metric": str(m),
                "label": m.label,
                "met": counts[m][RecordKind.MET],
                "missed": counts[m][RecordKind.MISSED],
                "no_target": counts[m][RecordKind.STOPPED],
                "breaches": counts[m][RecordKind.BREACH],
                "hit_rate": _rate(counts[m][RecordKind.MET], counts[m][RecordKind.MISSED]),
            }
            for m in METRICS
        ],
    }


def get_handoffs(f: ReportFilter, scope: Scope) -> dict[str, Any]:
    """Handoffs by outcome and how long acceptances took (2 queries).

    The time to accept is read and interpolated here: handoffs are a small fraction of
    conversations (``benchmarks/reports.py`` measures it)."""
    qs = handoffs(f, scope)
    by_status: dict[str, int] = dict.fromkeys(HandoffStatus, 0)
    for status, n in (
        qs.order_by().values("status").annotate(n=Count("id")).values_list("status", "n")
    ):
        by_status[status] = n
    waits = sorted(
        (responded - created).total_seconds()
        for created, responded in qs.filter(
            status=HandoffStatus.ACCEPTED, responded_at__isnull=False
        ).values_list("created_at", "responded_at")
        if responded is not None
    )
    return {
        "requested": sum(by_status.values()),
        "accepted": by_status[HandoffStatus.ACCEPTED],
        "declined": by_status[HandoffStatus.DECLINED],
        "expired": by_status[HandoffStatus.EXPIRED],
        "cancelled": by_status[HandoffStatus.CANCELLED],
        "pending": by_status[HandoffStatus.PENDING],
        "accept_seconds_median": interpolate(waits, MEDIAN),
        "accept_seconds_p90": interpolate(waits, P90),
    }


def get_bots_exist() -> bool:
    return User.objects.filter(role=Role.BOT).exists()


def get_bot_containment(f: ReportFilter, scope: Scope) -> dict[str, Any]:
    """Conversations a bot resolved (owner at the resolve was a bot) before any person
    replied to the customer, out of all resolved conversations in the range."""
    bots_exist = get_bots_exist()
    events = resolve_events(f, scope)
    resolved = events.values("conversation_id").distinct().count()
    if not bots_exist or f.agent_id is not None:
        contained = 0
    else:
        human_reply = Message.objects.filter(
            conversation_id=OuterRef("conversation_id"),
            direction=Direction.OUTBOUND,
            author__isnull=False,
            timestamp__lte=OuterRef("created_at"),
        ).exclude(author__role=Role.BOT)
        contained = (
            events.filter(from_owner__role=Role.BOT)
            .filter(~Exists(human_reply))
            .values("conversation_id")
            .distinct()
            .count()
        )
    return {
        "bots_exist": bots_exist,
        "applies": f.agent_id is None,
        "resolved": resolved,
        "contained": contained,
        "rate": contained / resolved if bots_exist and resolved and f.agent_id is None else None,
    }


def get_agent_rows(f: ReportFilter, scope: Scope) -> list[dict[str, Any]]:
    """One row per person: members of the teams in scope and anyone with a figure (6 queries)."""
    sent = {
        author: (conversations, n)
        for author, conversations, n in replies(f, scope)
        .order_by()
        .values("author_id")
        .annotate(conversations=Count("conversation_id", distinct=True), n=Count("id"))
        .values_list("author_id", "conversations", "n")
    }
    first = outcome_records(f, scope).filter(metric=Metric.FIRST_RESPONSE, owner__isnull=False)
    first_counts = dict(
        first.order_by().values("owner_id").annotate(n=Count("id")).values_list("owner_id", "n")
    )
    first_times = grouped_percentiles(first, "owner_id", "elapsed_seconds", (MEDIAN,))
    resolutions = dict(
        resolve_events(f, scope)
        .filter(from_owner__isnull=False)
        .order_by()
        .values("from_owner_id")
        .annotate(n=Count("id"))
        .values_list("from_owner_id", "n")
    )
    moves = handoffs(f, scope)
    handoffs_in = dict(
        moves.order_by().values("to_user_id").annotate(n=Count("id")).values_list("to_user_id", "n")
    )
    handoffs_out = dict(
        moves.order_by()
        .values("from_user_id")
        .annotate(n=Count("id"))
        .values_list("from_user_id", "n")
    )
    with_figures = set(sent) | set(first_counts) | set(resolutions)
    with_figures |= set(handoffs_in) | set(handoffs_out)
    people = get_report_agents(scope)
    if f.team_id is not None:
        people = people.filter(memberships__team_id=f.team_id)
    if f.agent_id is not None:
        people = User.objects.filter(pk=f.agent_id)
        with_figures &= {f.agent_id}
    users = User.objects.filter(Q(pk__in=people.values("pk")) | Q(pk__in=with_figures)).exclude(
        role=Role.BOT
    )
    rows = []
    for user in users.order_by("display_name", "username"):
        conversations, n_replies = sent.get(user.pk, (0, 0))
        rows.append(
            {
                "id": user.pk,
                "username": user.username,
                "name": user.name,
                "conversations_handled": conversations,
                "replies": n_replies,
                "first_responses": first_counts.get(user.pk, 0),
                "first_response_seconds_median": first_times.get(user.pk, [None])[0],
                "resolutions": resolutions.get(user.pk, 0),
                "handoffs_in": handoffs_in.get(user.pk, 0),
                "handoffs_out": handoffs_out.get(user.pk, 0),
            }
        )
    return rows


def get_daily(f: ReportFilter, scope: Scope) -> list[dict[str, Any]]:
    """Conversations created and resolved per local day of the range (2 queries)."""
    tz = ZoneInfo(f.time_zone)
    created = dict(
        created_conversations(f, scope)
        .order_by()
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    resolved = dict(
        resolve_events(f, scope)
        .order_by()
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("conversation_id", distinct=True))
        .values_list("day", "n")
    )
    days = []
    day = f.first_day
    while day <= f.last_day:
        days.append({"day": day, "created": created.get(day, 0), "resolved": resolved.get(day, 0)})
        day += timedelta(days=1)
    return days


def get_heatmap(f: ReportFilter, scope: Scope) -> list[dict[str, Any]]:
    """168 cells (Monday 00:00 … Sunday 23:00, local): customer messages and conversations
    opened in that hour of the week, and the average number of people on shift then."""
    tz = ZoneInfo(f.time_zone)

    def per_hour(qs: QuerySet, field: str) -> dict[tuple[int, int], int]:
        rows = (
            qs.order_by()
            .annotate(wd=ExtractIsoWeekDay(field, tzinfo=tz), hr=ExtractHour(field, tzinfo=tz))
            .values("wd", "hr")
            .annotate(n=Count("id"))
            .values_list("wd", "hr", "n")
        )
        return {(wd - 1, hr): n for wd, hr, n in rows}

    messages = per_hour(customer_messages(f, scope), "timestamp")
    # Volume is the customers' demand: the agent filter narrows only the staffing.
    opened = per_hour(created_conversations(replace(f, agent_id=None), scope), "created_at")
    staffing = get_staffing(f.since, f.until, f.time_zone, _staffed_teams(f, scope), f.agent_id)
    return [
        {
            "weekday": weekday,
            "hour": hour,
            "customer_messages": messages.get((weekday, hour), 0),
            "conversations_created": opened.get((weekday, hour), 0),
            "agents_on_shift": staffing.get((weekday, hour), 0.0),
        }
        for weekday in range(7)
        for hour in range(24)
    ]


def _staffed_teams(f: ReportFilter, scope: Scope) -> list[int]:
    if f.team_id is not None:
        return [f.team_id]
    return list(get_report_teams(scope).values_list("pk", flat=True))
