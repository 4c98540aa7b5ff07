"""SLA in API v1: policies (list, read, create, replace, delete) and the breaches list.

Who may call what (``sla.policy_queries``): every signed-in user may read the policies;
managers and admins may write them, and every write is audited by the configuration
actions (``sla.actions``). An agent's write is refused 403 before its body is looked at.
Breaches are those of the conversations the caller may see.

Errors: a body that does not fit the schema (a string for a number) answers 422 like every
endpoint; values that fit but are not a valid policy answer 400 with ``error.errors``, an
object naming each field and its problems, e.g.
``{"error": {"code": "invalid", "message": "…", "errors": {"warn_before_seconds": ["…"]}}}``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Schema
from ninja.responses import Status
from pydantic import Field

from baton.agents.http import AuthenticatedRequest
from baton.api.api import DEFAULT_AUTH, api
from baton.api.schemas import ErrorOut, InputSchema
from baton.sla.actions import do_create_policy, do_delete_policy, do_update_policy
from baton.sla.models import SlaPolicy, SlaRecord
from baton.sla.policy_queries import (
    access_policy,
    check_may_configure_policies,
    get_next_policy_position,
    get_policies,
    get_visible_breaches,
    is_still_waiting,
)

TAGS = ["sla"]
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
MAX_PAGE = 200
ACTIONS_HELP = (
    'A list of actions, each one of {"action": "notify_owner"}, {"action": "notify_managers"}, '
    '{"action": "set_priority", "priority": "urgent"}, {"action": "add_label", "label": '
    '"sla-risk"}, {"action": "reassign"} (to an available teammate, through the assignment '
    'engine), {"action": "hand_to_team", "team": "Escalations"}.'
)


class PolicyWriters:
    """Authentication for policy writes: managers and admins; anyone else 403, whatever
    the body holds (ninja authenticates before it validates the body)."""

    def __call__(self, request: HttpRequest) -> Any:
        for auth in DEFAULT_AUTH:
            user = auth(request)
            if user:
                check_may_configure_policies(user)
                return user
        return None


WRITERS = [PolicyWriters()]


class PolicyIn(InputSchema):
    name: str = Field(description="Unique, 1-100 characters.")
    position: int | None = Field(
        None,
        ge=0,
        description="Order in which policies are tried (lowest first; ties by id). "
        "Null: at the end when created, unchanged when replaced.",
    )
    enabled: bool = True
    conditions: Any = Field(
        None,
        description="A condition tree in the routing rules' language, plus the fields "
        "conversation.team, conversation.priority and conversation.labels, e.g. "
        '{"field": "conversation.priority", "op": "equals", "value": "urgent"}. '
        'Null or {} or {"all": []}: every conversation.',
    )
    first_response_seconds: int | None = Field(None, description="Null: no target.")
    next_response_seconds: int | None = Field(None, description="Null: no target.")
    resolution_seconds: int | None = Field(None, description="Null: no target.")
    warn_before_seconds: int | None = Field(
        None, description="Warn this long before a deadline; less than the shortest target."
    )
    business_hours: bool = Field(
        False, description="Clocks run only in the inbox's business hours (else 24/7)."
    )
    pause_resolution_when_pending: bool = Field(
        True, description="Pending and snoozed pause the resolution clock."
    )
    on_warning: list[Any] = Field(default_factory=list, description=ACTIONS_HELP)
    on_breach: list[Any] = Field(default_factory=list, description=ACTIONS_HELP)


class PolicyOut(Schema):
    id: int
    name: str
    position: int
    enabled: bool
    conditions: Any
    first_response_seconds: int | None
    next_response_seconds: int | None
    resolution_seconds: int | None
    warn_before_seconds: int | None
    business_hours: bool
    pause_resolution_when_pending: bool
    on_warning: list[Any]
    on_breach: list[Any]
    created_at: datetime
    updated_at: datetime


class BreachFilters(Schema):
    since: datetime | None = Field(
        None, description="ISO time (UTC when no offset is given); default: 24 hours ago."
    )
    limit: int = Field(50, description=f"At most {MAX_PAGE}.")
    before_id: int | None = Field(None, description="The next_cursor of the previous page.")


class BreachOut(Schema):
    id: int
    conversation_id: int
    metric: str = Field(description="first_response, next_response or resolution.")
    due_at: datetime = Field(description="The deadline that passed.")
    started_at: datetime = Field(description="When the breached clock started.")
    policy: str | None
    team: str | None
    owner: str | None = Field(description="The owner's username when it breached.")
    still_waiting: bool = Field(description="The breached clock is still unanswered now.")
    recorded_at: datetime


class BreachPage(Schema):
    items: list[BreachOut]
    count: int
    next_cursor: str | None = None


def _values(payload: PolicyIn, *, position: int) -> dict[str, Any]:
    values = payload.dict()
    values["position"] = position
    return values


def _breach_out(record: SlaRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "conversation_id": record.conversation_id,
        "metric": record.metric,
        "due_at": record.at,
        "started_at": record.started_at,
        "policy": record.policy_name or None,
        "team": record.team.name if record.team is not None else None,
        "owner": record.owner.username if record.owner is not None else None,
        "still_waiting": is_still_waiting(record),
        "recorded_at": record.recorded_at,
    }


@api.get("/sla/policies", response={200: list[PolicyOut]}, tags=TAGS)
def list_policies(request: AuthenticatedRequest) -> list[SlaPolicy]:
    """Every policy, enabled or not, in the order they are tried: the first enabled policy
    whose conditions match a conversation applies to it."""
    return get_policies()


@api.get("/sla/policies/{policy_id}", response={200: PolicyOut, 404: ErrorOut}, tags=TAGS)
def get_policy(request: AuthenticatedRequest, policy_id: int) -> SlaPolicy:
    return access_policy(policy_id)


@api.post("/sla/policies", response={201: PolicyOut, **ERRORS}, auth=WRITERS, tags=TAGS)
def create_policy(request: AuthenticatedRequest, payload: PolicyIn):
    """Create a policy (managers and admins). Open conversations are re-evaluated in a task."""
    position = payload.position if payload.position is not None else get_next_policy_position()
    return Status(201, do_create_policy(request.user, _values(payload, position=position)))  # type: ignore[arg-type]


@api.put("/sla/policies/{policy_id}", response={200: PolicyOut, **ERRORS}, auth=WRITERS, tags=TAGS)
def replace_policy(request: AuthenticatedRequest, policy_id: int, payload: PolicyIn):
    """Replace a policy (managers and admins): fields left out take their defaults."""
    current = access_policy(policy_id)
    position = payload.position if payload.position is not None else current.position
    return do_update_policy(request.user, policy_id, _values(payload, position=position))  # type: ignore[arg-type]


@api.delete(
    "/sla/policies/{policy_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    auth=WRITERS,
    tags=TAGS,
)
def delete_policy(request: AuthenticatedRequest, policy_id: int):
    """Delete a policy (managers and admins). Conversations it applied to are re-evaluated."""
    do_delete_policy(request.user, policy_id)  # type: ignore[arg-type]
    return Status(204, None)


@api.get("/sla/breaches", response={200: BreachPage}, tags=TAGS)
def list_breaches(request: AuthenticatedRequest, filters: Query[BreachFilters]):
    """Breaches since ``since`` of the conversations you may see, newest recorded first;
    page on with ``before_id`` = the previous page's ``next_cursor``."""
    limit = max(1, min(filters.limit, MAX_PAGE))
    since = filters.since or timezone.now() - timedelta(hours=24)
    if timezone.is_naive(since):
        since = since.replace(tzinfo=UTC)
    rows = get_visible_breaches(request.user, since, limit=limit + 1, before_id=filters.before_id)
    page = rows[:limit]
    return {
        "items": [_breach_out(r) for r in page],
        "count": len(page),
        "next_cursor": str(page[-1].pk) if len(rows) > limit else None,
    }
