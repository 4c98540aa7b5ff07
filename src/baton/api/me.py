"""The caller's own account: who am I, my teams, my presence."""

from __future__ import annotations

from typing import Literal

from ninja import Schema

from baton.agents.actions import do_set_presence
from baton.agents.http import AuthenticatedRequest
from baton.api.api import api
from baton.api.schemas import ErrorOut, InputSchema


class MeOut(Schema):
    username: str
    name: str
    role: str
    presence: str
    teams: list[str]
    manages: list[str]


class PresenceIn(InputSchema):
    status: Literal["available", "away", "offline"]


def _me(user) -> dict:
    memberships = list(user.memberships.select_related("team").order_by("team__name"))
    return {
        "username": user.username,
        "name": user.name,
        "role": user.role,
        "presence": user.presence,
        "teams": [m.team.name for m in memberships],
        "manages": [m.team.name for m in memberships if m.is_manager],
    }


@api.get("/me", response=MeOut, tags=["me"])
def me(request: AuthenticatedRequest):
    return _me(request.user)


@api.post("/me/presence", response={200: MeOut, 400: ErrorOut}, tags=["me"])
def set_presence(request: AuthenticatedRequest, payload: PresenceIn):
    """Set my presence. Only an available agent is routed new conversations."""
    do_set_presence(request.user, payload.status)
    return _me(request.user)
