"""Who hears about a conversation or a message live, and the events they get.

The audience is a security decision, so it is made here, once, for every writer of
conversations and messages (ownership, intake, delivery).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from baton.conversations.models import Conversation, Message
from baton.conversations.serializers import conversation_dict, message_dict
from baton.realtime.event_types import build_event
from baton.realtime.events import (
    ADMINS_GROUP,
    EVERYONE_GROUP,
    EventType,
    conversation_group,
    send_event_on_commit,
    team_group,
    user_group,
)


def conversation_audience(conversation: Conversation) -> list[str]:
    """Who may see this conversation live: its owner, its team (with the team's managers),
    admins, open viewers."""
    groups = [ADMINS_GROUP, conversation_group(conversation.pk)]
    if conversation.team_id:
        groups.append(team_group(conversation.team_id))
    else:
        groups.append(EVERYONE_GROUP)
    if conversation.owner_id:
        groups.append(user_group(conversation.owner_id))
    return groups


def notify_conversation(conversation: Conversation, event_type: EventType) -> None:
    send_event_on_commit(
        build_event(event_type, {"conversation": _jsonable(conversation_dict(conversation))}),
        conversation_audience(conversation),
    )


def notify_message(message: Message, event_type: EventType) -> None:
    payload = {"conversation_id": message.conversation_id, "message": message_dict(message)}
    send_event_on_commit(
        build_event(event_type, _jsonable(payload)), conversation_audience(message.conversation)
    )


def _jsonable(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_jsonable(v) for v in data]
    if isinstance(data, datetime):
        return data.isoformat()
    return data
