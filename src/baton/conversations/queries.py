"""Reads, and who may see what (one place for visibility rules)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from baton.agents.models import Role, Team
from baton.conversations.models import (
    Alert,
    AuditEvent,
    Conversation,
    Handoff,
    HandoffStatus,
    Message,
)
from baton.core.errors import NotFound


def managed_team_ids(user: Any) -> list[int] | None:
    """Teams whose conversations ``user`` manages; None means every team (admins)."""
    if user.is_superuser or user.role == Role.ADMIN:
        return None
    if user.role != Role.MANAGER:
        return []
    return list(user.memberships.filter(is_manager=True).values_list("team_id", flat=True))


def is_manager_of(user: Any, team: Team | None) -> bool:
    managed = managed_team_ids(user)
    if managed is None:
        return True
    if team is None:
        # Conversations outside any team: every manager may act on them.
        return user.role == Role.MANAGER
    return team.pk in managed


def visible_conversations(user: Any) -> QuerySet[Conversation]:
    """Conversations ``user`` may see.

    Admins see everything; managers see the teams they manage; agents see the
    conversations of their teams (queues and colleagues' chats), their own, and those
    offered to them in a pending handoff (to decide, they must be able to read it).
    """
    qs = Conversation.objects.select_related("contact", "inbox", "owner", "team")
    managed = managed_team_ids(user)
    if managed is None:
        return qs
    team_ids = list(user.memberships.values_list("team_id", flat=True))
    offered = Handoff.objects.filter(
        conversation=OuterRef("pk"), to_user=user, status=HandoffStatus.PENDING
    )
    return qs.filter(
        Q(owner=user) | Q(team_id__in=team_ids) | Q(team__isnull=True) | Exists(offered)
    )


def filter_view(qs: QuerySet[Conversation], user: Any, view: str) -> QuerySet[Conversation]:
    """The inbox views: mine, unassigned (my teams' queues), team, all."""
    if view == "mine":
        return qs.filter(owner=user)
    team_ids = list(user.memberships.values_list("team_id", flat=True))
    if view == "unassigned":
        queued = qs.filter(owner__isnull=True, status="queued")
        if managed_team_ids(user) is None:
            return queued
        return queued.filter(Q(team_id__in=team_ids) | Q(team__isnull=True))
    if view == "team":
        return qs.filter(team_id__in=team_ids)
    return qs


def access_conversation(user: Any, conversation_id: int) -> Conversation:
    conversation = visible_conversations(user).filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound(f"Conversation {conversation_id} does not exist or is not visible to you.")
    return conversation


def get_timeline(conversation: Conversation) -> QuerySet[Message]:
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("author", "reply_to")
        .order_by("timestamp", "id")
    )


def get_events(conversation: Conversation) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(conversation=conversation)
        .select_related("actor", "from_owner", "to_owner", "to_team")
        .order_by("created_at", "id")
    )


def owner_label(user: Any) -> str:
    if user is None:
        return "nobody"
    if user.name == user.username:
        return f"@{user.username}"
    return f"{user.name} (@{user.username})"


def get_open_alerts(user: Any) -> QuerySet[Alert]:
    """Open alerts ``user`` should see: a manager's teams', an agent's own conversations'."""
    qs = Alert.objects.filter(cleared_at__isnull=True).select_related(
        "conversation__owner", "conversation__team", "conversation__contact"
    )
    managed = managed_team_ids(user)
    if managed is None:
        pass
    elif managed:
        qs = qs.filter(Q(conversation__team_id__in=managed) | Q(conversation__owner=user))
    else:
        qs = qs.filter(conversation__owner=user)
    return qs.order_by("waiting_since", "id")
