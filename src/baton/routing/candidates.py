"""Reads for the assignment engine: agents as ``Candidate``s, queues, who can take work."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, QuerySet
from django.db.models.functions import Coalesce

from baton.agents.models import Presence, Role, Shift, Team, TeamMembership, TimeOff, User
from baton.conversations.lifecycle import OWNED
from baton.conversations.models import Conversation, ConversationStatus
from baton.conversations.queries import managed_team_ids
from baton.routing.availability import (
    Candidate,
    DateRange,
    ShiftWindow,
    effective_capacity,
    is_assignable,
    is_on_shift,
)

ROUTABLE_ROLES = (Role.AGENT, Role.MANAGER, Role.ADMIN)


def get_open_counts(user_ids: Iterable[int]) -> dict[int, int]:
    """Open (owned, not resolved) conversations per agent, across all teams."""
    rows = (
        Conversation.objects.filter(owner_id__in=list(user_ids), status__in=OWNED)
        .values("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    return dict(rows)


def get_shift_state(team: Team, user_ids: list[int], now: datetime) -> dict[int, bool]:
    """Whether each agent is on shift in ``team`` at ``now`` (the team's zone)."""
    if team.pk is None:
        return dict.fromkeys(user_ids, True)  # no team, no schedule
    today = now.astimezone(ZoneInfo(team.time_zone)).date()
    windows: dict[int, list[ShiftWindow]] = defaultdict(list)
    for user_id, weekday, start, end in Shift.objects.filter(
        team=team, user_id__in=user_ids
    ).values_list("user_id", "weekday", "start", "end"):
        windows[user_id].append(ShiftWindow(weekday, start, end))
    days_off: dict[int, list[DateRange]] = defaultdict(list)
    holidays: list[DateRange] = []
    # Only ranges that can contain today (a day of slack for zones far from UTC).
    for user_id, team_id, first, last in TimeOff.objects.filter(
        first_day__lte=today + timedelta(days=1), last_day__gte=today - timedelta(days=1)
    ).values_list("user_id", "team_id", "first_day", "last_day"):
        if user_id is not None and user_id in user_ids:
            days_off[user_id].append(DateRange(first, last))
        elif user_id is None and team_id == team.pk:
            holidays.append(DateRange(first, last))
    return {
        uid: is_on_shift(windows[uid], days_off[uid], holidays, team.time_zone, now)
        for uid in user_ids
    }


def get_candidates(
    team: Team, now: datetime, *, extra_user_ids: Iterable[int] = (), lock: bool = False
) -> dict[int, Candidate]:
    """The team's routable members (and ``extra_user_ids``) as strategy inputs.

    With ``lock``, only available agents are returned; their rows are locked first, in id
    order (so two assigners never deadlock), and everything is read after the locks:
    capacity is then checked and taken in the caller's transaction without anyone else
    assigning to these agents meanwhile.
    """
    overrides = dict(
        TeamMembership.objects.filter(
            team=team, user__is_active=True, user__role__in=ROUTABLE_ROLES
        ).values_list("user_id", "capacity_override")
    )
    ids = sorted(set(overrides) | set(extra_user_ids))
    if lock:
        # Only agents who are available can be handed work, so only they are locked and
        # considered (fewer locks with a large team). Someone becoming available after
        # this read is not missed: do_set_presence queues its own assignment run.
        ids = list(
            User.objects.filter(
                pk__in=ids, presence=Presence.AVAILABLE, is_active=True
            ).values_list("pk", flat=True)
        )
    if lock and ids:
        list(
            # NO KEY UPDATE, not UPDATE: rows that merely reference these agents (an audit
            # event, a conversation's last_owner) take KEY SHARE locks on them, and blocking
            # those would deadlock with a resolve holding its conversation row.
            User.objects.select_for_update(no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    users = User.objects.filter(pk__in=ids, role__in=ROUTABLE_ROLES).values_list(
        "pk", "presence", "is_active", "max_open_conversations", "last_assigned_at"
    )
    counts = get_open_counts(ids)
    shifts = get_shift_state(team, ids, now)
    return {
        pk: Candidate(
            id=pk,
            presence=presence,
            on_shift=shifts[pk],
            open_count=counts.get(pk, 0),
            capacity=effective_capacity(team.default_capacity, capacity, overrides.get(pk)),
            is_active=active,
            last_assigned_at=last_assigned,
        )
        for pk, presence, active, capacity, last_assigned in users
    }


def get_team_of_user(user: User) -> Team | None:
    """The team whose shifts and capacity apply when work goes to ``user`` directly."""
    membership = user.memberships.select_related("team").order_by("-team__is_default").first()
    return membership.team if membership else None


def is_agent_assignable(user: User, team: Team | None, now: datetime, *, lock: bool) -> bool:
    """Present, on shift (in ``team``, else their first team) and under capacity."""
    if user.is_bot or not user.is_active:
        return False
    team = team if team is not None else get_team_of_user(user)
    if team is None:
        team = Team(default_capacity=Team._meta.get_field("default_capacity").default)
    candidates = get_candidates(team, now, extra_user_ids=[user.pk], lock=lock)
    candidate = candidates.get(user.pk)
    return candidate is not None and is_assignable(candidate)


def waiting_order(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Oldest waiting first: since when the customer waits, else since the chat opened."""
    return qs.annotate(waiting_key=Coalesce(F("waiting_since"), F("created_at"))).order_by(
        "waiting_key", "pk"
    )


def queued_in_team(team_id: int) -> QuerySet[Conversation]:
    return Conversation.objects.filter(
        team_id=team_id, status=ConversationStatus.QUEUED, owner__isnull=True
    )


def get_agent_board(viewer: Any, now: datetime) -> list[dict[str, Any]]:
    """Agents of the teams ``viewer`` manages, with presence, shift, load and capacity per
    team (for the manager's view). A constant number of queries per team, none per agent."""
    managed = managed_team_ids(viewer)
    teams = Team.objects.order_by("name")
    if managed is not None:
        teams = teams.filter(pk__in=managed)
    people: dict[int, dict[str, Any]] = {}
    for team in teams:
        candidates = get_candidates(team, now)
        for candidate in candidates.values():
            entry = people.setdefault(candidate.id, {"open_conversations": candidate.open_count})
            entry.setdefault("teams", []).append(
                {
                    "team": team.name,
                    "on_shift": candidate.on_shift,
                    "capacity": candidate.capacity,
                    "assignable": is_assignable(candidate),
                }
            )
    users = User.objects.filter(pk__in=people).order_by("username")
    return [
        {
            "username": user.username,
            "name": user.name,
            "role": user.role,
            "presence": user.presence,
            "presence_changed_at": user.presence_changed_at,
            **people[user.pk],
        }
        for user in users
    ]
