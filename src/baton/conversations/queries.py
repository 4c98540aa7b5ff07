"""Reads, and who may see what."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from baton.conversations.models import Conversation, Message
from baton.core.errors import NotFound


def visible_conversations(user: Any) -> QuerySet[Conversation]:
    """Conversations ``user`` may see.

    Managers and admins see all; agents see their teams' and their own.
    """
    qs = Conversation.objects.select_related("contact", "inbox", "owner", "team")
    if user.is_manager or user.is_superuser:
        return qs
    team_ids = list(user.memberships.values_list("team_id", flat=True))
    from django.db.models import Q

    return qs.filter(Q(owner=user) | Q(team_id__in=team_ids))


def access_conversation(user: Any, conversation_id: int) -> Conversation:
    conversation = visible_conversations(user).filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound(f"Conversation {conversation_id} does not exist or is not visible to you.")
    return conversation


def get_timeline(conversation: Conversation) -> QuerySet[Message]:
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .order_by("timestamp", "id")
    )
