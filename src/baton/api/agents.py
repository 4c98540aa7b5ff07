"""Agents as managers see them: presence, shift, load and capacity (routing's inputs)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from ninja import Schema

from baton.agents.http import AuthenticatedRequest
from baton.api.api import api
from baton.api.schemas import ErrorOut
from baton.conversations.queries import managed_team_ids
from baton.core.errors import PermissionDenied
from baton.routing.candidates import get_agent_board


class AgentTeamOut(Schema):
    team: str
    on_shift: bool
    capacity: int
    assignable: bool


class AgentOut(Schema):
    username: str
    name: str
    role: str
    presence: str
    presence_changed_at: datetime | None
    open_conversations: int
    teams: list[AgentTeamOut]


@api.get("/agents", response={200: list[AgentOut], 403: ErrorOut}, tags=["agents"])
def list_agents(request: AuthenticatedRequest):
    """Agents of the teams I manage: presence, on shift, open conversations and capacity
    per team, and whether routing can hand them work right now."""
    if managed_team_ids(request.user) == []:
        raise PermissionDenied("Only managers and admins see the agents board.")
    return get_agent_board(request.user, timezone.now())
