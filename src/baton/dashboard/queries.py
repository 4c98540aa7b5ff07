"""The manager's live board: per team, per agent and today's shift activity, in a fixed
number of queries whatever the number of teams, agents or conversations.

Who sees what: managers their teams (``conversations.queries.managed_team_ids``), admins
every team, agents nothing (``check_board_access``). Every number is defined once
(``dashboard.definitions`` for conversations; ``sla.models.SlaRecord`` outcomes for first
responses, exactly as SLA records them) and links to the inbox list behind it
(``web.queries`` applies the same definitions).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Aggregate, Case, Count, F, FloatField, Min, Q, When
from django.db.models.functions import Coalesce, TruncHour
from django.utils import timezone

from baton.agents.models import PresenceChange, Shift, Team, TeamMembership, TimeOff
from baton.conversations.models import (
    OPEN_STATUSES,
    AuditEvent,
    Conversation,
    Direction,
    EventKind,
    Message,
)
from baton.conversations.queries import managed_team_ids
from baton.core.errors import PermissionDenied
from baton.dashboard import definitions as d
from baton.routing.availability import (
    AVAILABLE,
    DateRange,
    ShiftWindow,
    effective_capacity,
    is_on_shift,
    shift_calendar,
)
from baton.routing.candidates import ROUTABLE_ROLES
from baton.sla.models import OUTCOME_KINDS, Metric, SlaRecord


def check_board_access(user: Any) -> list[int] | None:
    """The teams ``user`` may see on the board (None: every team); agents are refused."""
    managed = managed_team_ids(user)
    if managed == []:
        raise PermissionDenied("Only managers and admins see the manager's board.")
    return managed


# ------------------------------------------------------------------------------------------
# What the board shows


@dataclass
class TeamRow:
    id: int
    name: str
    queue_depth: int = 0
    oldest_waiting_seconds: float | None = None
    handoffs_waiting: int = 0
    with_bot: int = 0
    sla_running: int = 0
    sla_warning: int = 0
    sla_breached: int = 0
    predicted_breaches: int = 0
    agents_available: int = 0
    agents_on_shift: int = 0
    open: int = 0
    capacity: int = 0

    @property
    def load_percent(self) -> int:
        return _percent(self.open, self.capacity)


@dataclass(frozen=True)
class Activity:
    """One item of an agent's day: a presence change or an ownership move."""

    at: datetime
    kind: str  # presence | assigned | handoff_in | handoff_out | released | resolved
    label: str
    conversation_id: int | None = None


@dataclass(frozen=True)
class PresenceSpan:
    """A stretch of today in one presence, as fractions of the day (for the strip)."""

    presence: str
    start: float
    width: float


@dataclass
class AgentRow:
    id: int
    username: str
    name: str
    presence: str
    presence_changed_at: datetime | None
    # The agent's day: midnight in the zone of their first team (the default team first).
    time_zone: str
    day_start: datetime
    teams: list[str] = field(default_factory=list)
    on_shift: bool = False
    shift_ends_at: datetime | None = None
    open: int = 0
    capacity: int = 0
    oldest_unanswered_seconds: float | None = None
    replies_today: int = 0
    first_responses_today: int = 0
    median_first_response_seconds: float | None = None
    activity: list[Activity] = field(default_factory=list)
    presence_spans: list[PresenceSpan] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)

    @property
    def moves_today(self) -> dict[str, int]:
        counts = dict.fromkeys(MOVE_KINDS, 0)
        for bucket in self.buckets:
            for kind, n in bucket.counts:
                counts[kind] += n
        return counts

    @property
    def load_percent(self) -> int:
        return _percent(self.open, self.capacity)


@dataclass
class Board:
    teams: list[TeamRow]
    agents: list[AgentRow]
    generated_at: datetime

    @property
    def anyone_on_shift(self) -> bool:
        return any(a.on_shift for a in self.agents)


def _percent(part: int, whole: int) -> int:
    if whole <= 0:
        return 100 if part else 0
    return min(100, round(100 * part / whole))


# Ownership moves on the timeline, by audit kind; "in"/"out" are read from the owner fields.
ASSIGN_KINDS = (EventKind.CLAIMED, EventKind.ASSIGNED, EventKind.AUTO_ASSIGNED)
HANDOFF_KINDS = (EventKind.HANDOFF_ACCEPTED, EventKind.TAKEN_OVER, EventKind.HANDED_TO_TEAM)
# Moves that take a conversation from the agent, and how the day names them.
OUTGOING_KINDS = {
    EventKind.HANDOFF_ACCEPTED: "handoff_out",
    EventKind.TAKEN_OVER: "handoff_out",
    EventKind.HANDED_TO_TEAM: "handoff_out",
    EventKind.RELEASED: "released",
    EventKind.RESOLVED: "resolved",
}
TIMELINE_KINDS = (
    *ASSIGN_KINDS,
    *HANDOFF_KINDS,
    EventKind.HANDOFF_REQUESTED,
    EventKind.RELEASED,
    EventKind.RESOLVED,
)


def get_board(user: Any, now: datetime | None = None, *, agent: str = "") -> Board:
    """Everything on the board for ``user`` (refused for agents), at ``now``; with
    ``agent`` (a username), only that agent's row, and no team numbers (the day's list the
    page loads when a manager opens it)."""
    now = now or timezone.now()
    managed = check_board_access(user)
    teams_qs = Team.objects.order_by("name")
    if managed is not None:
        teams_qs = teams_qs.filter(pk__in=managed)
    teams = list(teams_qs)
    if not teams:
        return Board([], [], now)
    team_ids = [t.pk for t in teams]
    rows = {t.pk: TeamRow(t.pk, t.name) for t in teams}
    only_agent = agent
    if not only_agent:
        _add_conversation_numbers(rows, team_ids, now)

    in_teams = TeamMembership.objects.filter(
        team_id__in=team_ids, user__is_active=True, user__role__in=ROUTABLE_ROLES
    ).select_related("user")
    if only_agent:
        in_teams = in_teams.filter(user__username=only_agent)
    memberships = list(in_teams)
    by_team = {t.pk: t for t in teams}
    shifts = _shift_states(teams, memberships, now)
    agents: dict[int, AgentRow] = {}
    # The default team first, then by name: an agent's day is read in their first team's zone.
    ordered = sorted(memberships, key=lambda m: (not by_team[m.team_id].is_default, m.team_id))
    for m in ordered:
        team = by_team[m.team_id]
        on_shift, ends = shifts[(m.team_id, m.user_id)]
        capacity = effective_capacity(
            team.default_capacity, m.user.max_open_conversations, m.capacity_override
        )
        row = rows[m.team_id]
        row.capacity += capacity
        row.agents_on_shift += on_shift
        row.agents_available += on_shift and m.user.presence == AVAILABLE
        person = agents.get(m.user_id)
        if person is None:
            person = agents[m.user_id] = AgentRow(
                id=m.user_id,
                username=m.user.username,
                name=m.user.name,
                presence=m.user.presence,
                presence_changed_at=m.user.presence_changed_at,
                time_zone=team.time_zone,
                day_start=day_start(now, team.time_zone),
            )
        person.teams.append(team.name)
        person.capacity = max(person.capacity, capacity)
        if on_shift:
            person.on_shift = True
            if ends is not None and (person.shift_ends_at is None or ends > person.shift_ends_at):
                person.shift_ends_at = ends
    if agents:
        _add_agent_numbers(agents, now)
        if only_agent:
            _add_activity(agents, now, {t.pk: t.name for t in teams})
        else:
            _add_activity_summary(agents, now)
    ordered_agents = sorted(agents.values(), key=lambda a: (a.name.lower(), a.username))
    return Board([] if only_agent else list(rows.values()), ordered_agents, now)


def day_start(now: datetime, time_zone: str) -> datetime:
    """Midnight of ``now``'s local date in ``time_zone`` (aware)."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone).date()
    return datetime.combine(local, time(0), tzinfo=zone)


def _add_conversation_numbers(rows: dict[int, TeamRow], team_ids: list[int], now: datetime):
    """Every conversation number of every team: one aggregate over the open conversations."""
    counts = (
        Conversation.objects.filter(team_id__in=team_ids, status__in=OPEN_STATUSES)
        .values("team_id")
        .annotate(
            queue_depth=Count("pk", filter=d.QUEUED),
            oldest_waiting=Min(Coalesce(F("waiting_since"), F("created_at")), filter=d.QUEUED),
            handoffs_waiting=Count("pk", filter=d.handoff_waiting()),
            with_bot=Count("pk", filter=d.WITH_BOT),
            sla_running=Count("pk", filter=d.sla_now("running")),
            sla_warning=Count("pk", filter=d.sla_now("warning")),
            sla_breached=Count("pk", filter=d.sla_now("breached")),
            predicted_breaches=Count("pk", filter=d.PREDICTED_BREACH),
            open=Count("pk", filter=d.OWNED_OPEN),
        )
        .order_by()
    )
    for c in counts:
        row = rows[c["team_id"]]
        row.queue_depth = c["queue_depth"]
        row.handoffs_waiting = c["handoffs_waiting"]
        row.with_bot = c["with_bot"]
        row.sla_running = c["sla_running"]
        row.sla_warning = c["sla_warning"]
        row.sla_breached = c["sla_breached"]
        row.predicted_breaches = c["predicted_breaches"]
        row.open = c["open"]
        if c["oldest_waiting"] is not None:
            row.oldest_waiting_seconds = max((now - c["oldest_waiting"]).total_seconds(), 0.0)


def _shift_states(
    teams: list[Team], memberships: list[TeamMembership], now: datetime
) -> dict[tuple[int, int], tuple[bool, datetime | None]]:
    """(team, user) → (on shift now, when that shift ends; None = no schedule), read with
    two queries for every team at once (routing's ``is_on_shift`` decides)."""
    team_ids = [t.pk for t in teams]
    windows: dict[tuple[int, int], list[ShiftWindow]] = defaultdict(list)
    for team_id, user_id, weekday, start, end in Shift.objects.filter(
        team_id__in=team_ids
    ).values_list("team_id", "user_id", "weekday", "start", "end"):
        windows[(team_id, user_id)].append(ShiftWindow(weekday, start, end))
    days_off: dict[int, list[DateRange]] = defaultdict(list)
    holidays: dict[int, list[DateRange]] = defaultdict(list)
    # Ranges that can contain today anywhere on Earth (a day of slack either side).
    today = now.date()
    for user_id, team_id, first, last in TimeOff.objects.filter(
        first_day__lte=today + timedelta(days=1), last_day__gte=today - timedelta(days=1)
    ).values_list("user_id", "team_id", "first_day", "last_day"):
        if user_id is not None:
            days_off[user_id].append(DateRange(first, last))
        elif team_id is not None:
            holidays[team_id].append(DateRange(first, last))
    zones = {t.pk: t.time_zone for t in teams}
    states = {}
    for m in memberships:
        own = tuple(windows[(m.team_id, m.user_id)])
        tz = zones[m.team_id]
        on = is_on_shift(own, days_off[m.user_id], holidays[m.team_id], tz, now)
        states[(m.team_id, m.user_id)] = (on, shift_end(tz, own, now) if on and own else None)
    return states


def shift_end(tz: str, windows: tuple[ShiftWindow, ...], now: datetime) -> datetime | None:
    """When the shift running at ``now`` ends (shifts that touch, or run past midnight,
    are one shift); None if no shift is running."""
    calendar = shift_calendar(tz, windows)
    local_day = now.astimezone(ZoneInfo(tz)).date()
    spans: list[tuple[datetime, datetime]] = []
    for offset in range(-1, 8):
        spans.extend(calendar.open_spans(local_day + timedelta(days=offset)))
    spans.sort()
    end: datetime | None = None
    for start, stop in spans:
        if end is None:
            if start <= now < stop:
                end = stop
        elif start <= end:
            end = max(end, stop)
        else:
            break
    return end


def _add_agent_numbers(agents: dict[int, AgentRow], now: datetime) -> None:
    """Load, oldest unanswered customer, replies and first responses today: three queries."""
    ids = list(agents)
    for owner_id, n, oldest in (
        Conversation.objects.filter(d.OWNED_OPEN, owner_id__in=ids)
        .values("owner_id")
        .annotate(n=Count("pk"), oldest=Min("waiting_since", filter=d.UNANSWERED))
        .values_list("owner_id", "n", "oldest")
        .order_by()
    ):
        agent = agents[owner_id]
        agent.open = n
        if oldest is not None:
            agent.oldest_unanswered_seconds = max((now - oldest).total_seconds(), 0.0)

    # "Today" is each agent's own day: one condition per distinct midnight (a few zones).
    replies = (
        Message.objects.filter(
            _today(agents, "author_id", "timestamp"), direction=Direction.OUTBOUND
        )
        .values("author_id")
        # COUNT(*): the partial index (author, timestamp) alone answers it.
        .annotate(n=Count("*"))
        .values_list("author_id", "n")
        .order_by()
    )
    for author_id, n in replies:
        agents[author_id].replies_today = n

    answers = SlaRecord.objects.filter(
        _today(agents, "owner_id", "at"),
        metric=Metric.FIRST_RESPONSE,
        kind__in=OUTCOME_KINDS,
        elapsed_seconds__isnull=False,
    )
    if connection.vendor == "postgresql":
        grouped = (
            answers.values("owner_id")
            .annotate(n=Count("pk"), median=Median("elapsed_seconds"))
            .values_list("owner_id", "n", "median")
            .order_by()
        )
        for owner_id, n, median in grouped:
            agents[owner_id].first_responses_today = n
            agents[owner_id].median_first_response_seconds = median
        return
    # SQLite has no ordered-set aggregate: the same median, in Python.
    answered: dict[int, list[float]] = defaultdict(list)
    for owner_id, elapsed in answers.values_list("owner_id", "elapsed_seconds"):
        if owner_id is not None and elapsed is not None:
            answered[owner_id].append(elapsed)
    for owner_id, times in answered.items():
        agents[owner_id].first_responses_today = len(times)
        agents[owner_id].median_first_response_seconds = statistics.median(times)


def _today(agents: dict[int, AgentRow], who: str, when: str) -> Q:
    """Rows of each agent (``who``) since their own midnight (``when``)."""
    by_start: dict[datetime, list[int]] = defaultdict(list)
    for agent in agents.values():
        by_start[agent.day_start].append(agent.id)
    q = Q(pk__in=[])
    for start, ids in by_start.items():
        q |= Q(**{f"{who}__in": ids, f"{when}__gte": start})
    return q


class Median(Aggregate):
    """PostgreSQL's continuous median (the middle value, or the mean of the two middle ones:
    what ``statistics.median`` gives)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _add_presence(agents: dict[int, AgentRow], now: datetime, *, items: bool) -> None:
    """Today's presence changes of every agent (one query): the strip's stretches, and with
    ``items`` each change on the agent's list."""
    since = min(a.day_start for a in agents.values())
    changes: dict[int, list[PresenceChange]] = defaultdict(list)
    for change in PresenceChange.objects.filter(user_id__in=list(agents), at__gte=since).order_by(
        "at", "id"
    ):
        agent = agents[change.user_id]
        if change.at >= agent.day_start:
            changes[change.user_id].append(change)
            if items:
                agent.activity.append(
                    Activity(change.at, "presence", f"{change.previous} → {change.presence}")
                )
    for agent in agents.values():
        agent.presence_spans = presence_spans(
            agent.presence, changes[agent.id], agent.day_start, now
        )


def _add_activity_summary(agents: dict[int, AgentRow], now: datetime) -> None:
    """The board's strip: presence, and ownership moves counted per agent, kind and hour in
    the database (two grouped queries), however busy the day was."""
    _add_presence(agents, now, items=False)
    ids = list(agents)
    since = min(a.day_start for a in agents.values())
    today = AuditEvent.objects.filter(created_at__gte=since).annotate(
        hour=TruncHour("created_at", tzinfo=UTC)
    )
    incoming = (
        today.filter(kind__in=(*ASSIGN_KINDS, *HANDOFF_KINDS), to_owner_id__in=ids)
        .values_list("to_owner_id", "kind", "hour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # Who the move took a conversation from (a resolve of a queued one: whoever resolved it).
    giver = Case(
        When(kind=EventKind.RESOLVED, then=Coalesce(F("from_owner_id"), F("actor_id"))),
        default=F("from_owner_id"),
    )
    outgoing = (
        today.filter(kind__in=OUTGOING_KINDS)
        .annotate(who=giver)
        .filter(who__in=ids)
        .values_list("who", "kind", "hour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counted: dict[int, dict[datetime, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: dict.fromkeys(MOVE_KINDS, 0))
    )
    for user_id, kind, hour, n in incoming:
        counted[user_id][hour]["assigned" if kind in ASSIGN_KINDS else "handoff_in"] += n
    for user_id, kind, hour, n in outgoing:
        counted[user_id][hour][OUTGOING_KINDS[kind]] += n
    for user_id, hours in counted.items():
        agent = agents[user_id]
        agent.buckets = [
            Bucket(
                max((hour - agent.day_start).total_seconds(), 0.0) / 86400,
                tuple((kind, n) for kind, n in counts.items() if n),
            )
            for hour, counts in sorted(hours.items())
            # An hour that ends before the agent's midnight (zones east of the earliest).
            if hour + timedelta(hours=1) > agent.day_start
        ]


def _add_activity(agents: dict[int, AgentRow], now: datetime, team_names: dict[int, str]):
    """Today's presence changes and ownership moves, item by item (one agent's day)."""
    _add_presence(agents, now, items=True)
    ids = list(agents)
    since = min(a.day_start for a in agents.values())
    names = {a.id: a.name for a in agents.values()}
    events = (
        AuditEvent.objects.filter(kind__in=TIMELINE_KINDS, created_at__gte=since)
        .filter(Q(actor_id__in=ids) | Q(from_owner_id__in=ids) | Q(to_owner_id__in=ids))
        .order_by("created_at", "id")
        .values_list(
            "created_at",
            "kind",
            "conversation_id",
            "actor_id",
            "from_owner_id",
            "to_owner_id",
            "to_team_id",
        )
    )
    for row in events:
        event = EventRow(*row)
        for user_id, item in _activity_of(event, names, team_names):
            owner = agents.get(user_id)
            if owner is not None and event.at >= owner.day_start:
                owner.activity.append(item)
    for agent in agents.values():
        agent.activity.sort(key=lambda a: a.at)
        agent.buckets = activity_buckets(agent.activity, agent.day_start)


class EventRow(NamedTuple):
    at: datetime
    kind: str
    conversation_id: int | None
    actor_id: int | None
    from_owner_id: int | None
    to_owner_id: int | None
    to_team_id: int | None


ASSIGN_WORDS = {"claimed": "claimed", "assigned": "assigned", "auto_assigned": "routed to them"}


def _activity_of(
    event: EventRow, names: dict[int, str], team_names: dict[int, str]
) -> Iterable[tuple[int, Activity]]:
    """Whose day this audit event belongs to, and how it reads there."""
    at, kind, cid = event.at, event.kind, event.conversation_id
    to = names.get(event.to_owner_id or 0, "a colleague")
    if kind in ASSIGN_KINDS and event.to_owner_id:
        yield event.to_owner_id, Activity(at, "assigned", f"#{cid} {ASSIGN_WORDS[kind]}", cid)
    elif kind == EventKind.HANDOFF_REQUESTED and event.from_owner_id:
        # An offer moves nothing yet (its acceptance does): listed, not counted.
        yield event.from_owner_id, Activity(at, "offered", f"#{cid} offered to {to}", cid)
    elif kind in HANDOFF_KINDS:
        if event.from_owner_id:
            if not event.to_owner_id:
                to = team_names.get(event.to_team_id or 0, "the queue")
            yield event.from_owner_id, Activity(at, "handoff_out", f"#{cid} to {to}", cid)
        if event.to_owner_id:
            origin = names.get(event.from_owner_id or 0, "the queue")
            yield event.to_owner_id, Activity(at, "handoff_in", f"#{cid} from {origin}", cid)
    elif kind == EventKind.RELEASED and event.from_owner_id:
        yield event.from_owner_id, Activity(at, "released", f"#{cid} back to the queue", cid)
    elif kind == EventKind.RESOLVED and (event.from_owner_id or event.actor_id):
        who = event.from_owner_id or event.actor_id
        assert who is not None
        yield who, Activity(at, "resolved", f"#{cid} resolved", cid)


# The day strip groups moves by hour: what is drawn stays bounded on a busy day.
BUCKET_SECONDS = 3600
MOVE_KINDS = ("assigned", "handoff_in", "handoff_out", "released", "resolved")


@dataclass(frozen=True)
class Bucket:
    """Ownership moves of one hour of the agent's day."""

    start: float  # fraction of the day
    counts: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


def activity_buckets(activity: list[Activity], day_start: datetime) -> list[Bucket]:
    """The same hours as ``_add_activity_summary``'s, from the items (UTC hours)."""
    counted: dict[datetime, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MOVE_KINDS, 0))
    for item in activity:
        if item.kind in MOVE_KINDS:
            hour = item.at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            counted[hour][item.kind] += 1
    return [
        Bucket(
            max((hour - day_start).total_seconds(), 0.0) / 86400,
            tuple((kind, n) for kind, n in counts.items() if n),
        )
        for hour, counts in sorted(counted.items())
    ]


def presence_spans(
    current: str, changes: list[PresenceChange], start: datetime, now: datetime
) -> list[PresenceSpan]:
    """Today as stretches of presence, from midnight to ``now`` (pure over the rows).

    Before the first change of the day the agent was in that change's ``previous`` state
    (or, with no change today, in their current one all day).
    """
    day = 86400.0
    state = changes[0].previous if changes else current
    spans: list[PresenceSpan] = []
    cursor = start
    for change in [*changes, None]:
        until = now if change is None else change.at
        width = (until - cursor).total_seconds() / day
        if width > 0:
            spans.append(PresenceSpan(state, (cursor - start).total_seconds() / day, width))
        if change is not None:
            state, cursor = change.presence, change.at
    return spans


# Where the day strip's hour labels go: (fraction of the day, label).
HOUR_MARKS = [(h / 24, f"{h:02d}:00") for h in (0, 6, 12, 18)]
