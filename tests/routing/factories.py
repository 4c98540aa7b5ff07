"""Small factories for routing tests: rules, business hours, teams with settings, agents, queues."""

from __future__ import annotations

import copy
from datetime import datetime, time
from typing import Any

from baton.agents.models import Shift, Team, TeamMembership, User
from baton.conversations.models import Contact, Conversation, ConversationStatus
from baton.routing.models import BusinessHours, RoutingRule
from baton.routing.rule_actions import do_save_business_hours, do_save_routing_rule
from baton.whatsapp.models import Inbox
from tests.conftest import load_sample, make_inbox, make_user, meta_bytes


def make_rule(
    name: str,
    conditions: Any,
    actions: dict[str, Any],
    *,
    inbox=None,
    enabled: bool = True,
    actor=None,
) -> RoutingRule:
    rule = RoutingRule(
        name=name, inbox=inbox, enabled=enabled, conditions=conditions, actions=actions
    )
    return do_save_routing_rule(rule, actor)


def make_hours(time_zone: str, weekly: dict, holidays=(), *, inbox=None) -> BusinessHours:
    hours = BusinessHours(inbox=inbox, time_zone=time_zone, weekly=weekly, holidays=list(holidays))
    return do_save_business_hours(hours, None)


def inbound(
    sample: str = "inbound_text.json",
    *,
    wamid: str | None = None,
    text: str | None = None,
    phone_number_id: str | None = None,
    wa_id: str | None = None,
) -> bytes:
    """A recorded webhook sample with the parts a test needs changed."""
    payload = copy.deepcopy(load_sample(sample))
    value = payload["entry"][0]["changes"][0]["value"]
    message = value["messages"][0]
    if wamid:
        message["id"] = wamid
    if text is not None:
        message["text"]["body"] = text
    if phone_number_id:
        value["metadata"]["phone_number_id"] = phone_number_id
    if wa_id:
        message["from"] = wa_id
        for contact in value.get("contacts", []):
            contact["wa_id"] = wa_id
            contact.pop("user_id", None)
    return meta_bytes(payload)


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
