"""The manager's board as JSON: the numbers of ``/dashboard/`` (``dashboard.queries``)."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema

from baton.agents.http import AuthenticatedRequest
from baton.api.api import ManagersOnly, api
from baton.api.schemas import ErrorOut
from baton.dashboard.queries import get_board


class DashboardTeamOut(Schema):
    id: int
    name: str
    queue_depth: int
    oldest_waiting_seconds: float | None
    handoffs_waiting: int
    sla_warning: int
    sla_breached: int
    predicted_breaches: int
    agents_available: int
    open: int
    capacity: int


class DashboardAgentOut(Schema):
    username: str
    name: str
    presence: str
    on_shift: bool
    shift_ends_at: datetime | None
    open: int
    capacity: int
    oldest_unanswered_seconds: float | None


class DashboardOut(Schema):
    teams: list[DashboardTeamOut]
    agents: list[DashboardAgentOut]
    generated_at: datetime


@api.get(
    "/dashboard",
    response={200: DashboardOut, 401: ErrorOut, 403: ErrorOut},
    tags=["dashboard"],
    auth=ManagersOnly("Only managers and admins see the manager's board."),
)
def dashboard(request: AuthenticatedRequest):
    """The live board: per team, queue depth (waiting for a human), the oldest wait, handoffs
    waiting for acceptance, SLA clocks due soon or breached and predicted breaches (SLA's own
    states), available agents and open conversations against capacity; per agent, presence,
    shift, load and the oldest unanswered customer. Managers see their teams, admins all."""
    return get_board(request.user)
