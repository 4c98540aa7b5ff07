"""Small factories for routing tests: teams with settings, agents with presence, queues."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from baton.agents.models import Shift, Team, TeamMembership, User
from baton.conversations.models import Contact, Conversation, ConversationStatus
from baton.whatsapp.models import Inbox
from tests.conftest import make_inbox, make_user

_counter = {"n": 0}


def make_team(name: str = "Support", **settings: Any) -> Team:
    team, _ = Team.objects.get_or_create(name=name)
    if settings:
        Team.objects.filter(pk=team.pk).update(**settings)
        team.refresh_from_db()
    return team


def make_agent(
    username: str,
    team: Team,
    *,
    presence: str = "available",
    capacity: int | None = None,
    override: int | None = None,
) -> User:
    user = make_user(username, team=team.name)
    User.objects.filter(pk=user.pk).update(presence=presence, max_open_conversations=capacity)
    if override is not None:
        TeamMembership.objects.filter(user=user, team=team).update(capacity_override=override)
    user.refresh_from_db()
    return user


def add_shift(user: User, team: Team, weekday: int, start: time, end: time) -> Shift:
    return Shift.objects.create(user=user, team=team, weekday=weekday, start=start, end=end)


def the_inbox() -> Inbox:
    return Inbox.objects.first() or make_inbox()


def queue_conversation(team: Team, waiting_since: datetime, **fields: Any) -> Conversation:
    _counter["n"] += 1
    contact = Contact.objects.create(wa_id=f"3460{_counter['n']:08d}")
    return Conversation.objects.create(
        inbox=the_inbox(),
        contact=contact,
        team=team,
        status=ConversationStatus.QUEUED,
        waiting_since=waiting_since,
        last_inbound_at=waiting_since,
        **fields,
    )


def open_load(user: User) -> int:
    return Conversation.objects.filter(
        owner=user, status__in=["assigned", "pending", "snoozed"]
    ).count()
