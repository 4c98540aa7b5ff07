"""Stale-conversation alerts: what managers (and owners) must look at now."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema

from baton.agents.http import AuthenticatedRequest
from baton.api.api import api
from baton.conversations.queries import get_open_alerts


class AlertOut(Schema):
    id: int
    conversation_id: int
    kind: str
    kind_label: str
    level: int
    waiting_since: datetime
    created_at: datetime
    escalated_at: datetime | None
    owner: str | None
    team: str | None
    contact: str


class AlertList(Schema):
    items: list[AlertOut]


@api.get("/alerts", response=AlertList, tags=["ownership"])
def list_alerts(request: AuthenticatedRequest):
    """Open alerts, oldest wait first: managers see their teams', agents their own chats'."""
    return {
        "items": [
            {
                "id": alert.pk,
                "conversation_id": alert.conversation_id,
                "kind": alert.kind,
                "kind_label": alert.get_kind_display(),
                "level": alert.level,
                "waiting_since": alert.waiting_since,
                "created_at": alert.created_at,
                "escalated_at": alert.escalated_at,
                "owner": alert.conversation.owner.username if alert.conversation.owner else None,
                "team": alert.conversation.team.name if alert.conversation.team else None,
                "contact": alert.conversation.contact.display_name,
            }
            for alert in get_open_alerts(request.user)
        ]
    }
