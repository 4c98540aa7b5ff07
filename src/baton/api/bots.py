"""Bot endpoints of API v1: flows (list, read, create, replace, delete), handing a
conversation to a flow, and the CSAT answers.

Who may call what: every signed-in user may read the flows; managers and admins may write
them (``bots.queries.check_may_configure_flows``), audited by ``bots.actions``. An agent's
write is refused 403 before its body is looked at. A body that does not fit the schema (a
string for the definition) answers 422 like every endpoint; a definition that is not a
valid flow answers 400 with ``error.errors``, a list naming each step and its problem, e.g.
``{"error": {"code": "invalid", "message": "…", "errors": ["step 'menu': button 'talk'
next 'nowhere' is not a step."]}}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Schema
from ninja.responses import Status
from pydantic import Field

from baton.agents.http import AuthenticatedRequest
from baton.api.api import DEFAULT_AUTH, api
from baton.api.conversation_json import conversation_out
from baton.api.ownership import access_conversation_fresh
from baton.api.schemas import ConversationOut, ErrorOut, InputSchema
from baton.bots.actions import (
    do_create_flow,
    do_delete_flow,
    do_return_to_bot,
    do_set_flow_enabled,
    do_update_flow,
)
from baton.bots.models import Flow
from baton.bots.queries import (
    access_flow,
    check_may_configure_flows,
    csat_item,
    get_csat_responses,
    get_flows,
)
from baton.conversations.queries import access_conversation
from baton.core.errors import InvalidInput
from baton.whatsapp.models import Inbox

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
TAGS = ["bots"]


class ToBotIn(InputSchema):
    flow: str = Field(min_length=1, description="The name of an enabled flow.")


@api.post(
    "/conversations/{conversation_id}/bot", response={200: ConversationOut, **ERRORS}, tags=TAGS
)
def return_to_bot(request: AuthenticatedRequest, conversation_id: int, payload: ToBotIn):
    """Hand the conversation to a bot flow (e.g. a closing flow that asks for a rating).
    The owner may do it, and managers of its team; the owner stays its last owner."""
    access_conversation(request.user, conversation_id)
    do_return_to_bot(conversation_id, request.user, payload.flow)
    return conversation_out(access_conversation_fresh(conversation_id))


class CsatOut(Schema):
    conversation: int
    score: int
    comment: str
    agents: list[str]
    created_at: datetime


class CsatListOut(Schema):
    items: list[CsatOut]


class CsatFilter(Schema):
    since: datetime | None = None


@api.get("/csat", response={200: CsatListOut, **ERRORS}, tags=TAGS)
def csat(request: AuthenticatedRequest, filters: Query[CsatFilter]):
    """Ratings of the conversations you may see, newest first (``since``: ISO 8601)."""
    responses = get_csat_responses(request.user, filters.since)[:1000]
    return {"items": [csat_item(response) for response in responses]}


# ------------------------------------------------------------------------------------------
# Flows


class FlowWriters:
    """Authentication for flow writes: managers and admins; anyone else 403, whatever the
    body holds (ninja authenticates before it validates the body)."""

    def __call__(self, request: HttpRequest) -> Any:
        for auth in DEFAULT_AUTH:
            user = auth(request)
            if user:
                check_may_configure_flows(user)
                return user
        return None


WRITERS = [FlowWriters()]


class FlowIn(InputSchema):
    definition: dict[str, Any] = Field(
        description='The flow: {"name", "start_on": "new_conversation" or "manual", "start", '
        '"steps": [{"id", "type", …}]} (see the README\'s Bots section).'
    )
    enabled: bool = True
    inbox: int | None = Field(
        None, description="An inbox id: start only on its new conversations (null: every inbox)."
    )


class FlowOut(Schema):
    id: int
    name: str
    enabled: bool
    start_on: str
    inbox: int | None
    version: int | None = Field(description="The current version's number.")
    running: int = Field(description="Conversations the flow is running on (any version).")
    definition: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


def _flow_out(flow: Flow) -> dict[str, Any]:
    version = flow.current_version
    return {
        "id": flow.pk,
        "name": flow.name,
        "enabled": flow.enabled,
        "start_on": flow.start_on,
        "inbox": flow.inbox_id,
        "version": version.number if version else None,
        "running": getattr(flow, "running", 0),
        "definition": version.definition if version else None,
        "created_at": flow.created_at,
        "updated_at": flow.updated_at,
    }


def _inbox(inbox_id: int | None) -> Inbox | None:
    if inbox_id is None:
        return None
    inbox = Inbox.objects.filter(pk=inbox_id).first()
    if inbox is None:
        raise InvalidInput(f"Inbox {inbox_id} does not exist.", errors=[f"inbox: {inbox_id}?"])
    return inbox


@api.get("/bots/flows", response={200: list[FlowOut]}, tags=TAGS)
def list_flows(request: AuthenticatedRequest):
    """Every flow by name, with its current version's definition."""
    return [_flow_out(flow) for flow in get_flows()]


@api.get("/bots/flows/{flow_id}", response={200: FlowOut, 404: ErrorOut}, tags=TAGS)
def get_flow(request: AuthenticatedRequest, flow_id: int):
    return _flow_out(access_flow(flow_id))


@api.post("/bots/flows", response={201: FlowOut, **ERRORS}, auth=WRITERS, tags=TAGS)
def create_flow(request: AuthenticatedRequest, payload: FlowIn):
    """Create a flow with its first version (managers and admins)."""
    flow = do_create_flow(
        payload.definition, request.user, enabled=payload.enabled, inbox=_inbox(payload.inbox)
    )
    return Status(201, _flow_out(access_flow(flow.pk)))


@api.put("/bots/flows/{flow_id}", response={200: FlowOut, **ERRORS}, auth=WRITERS, tags=TAGS)
def replace_flow(request: AuthenticatedRequest, flow_id: int, payload: FlowIn):
    """Save a new version of a flow (managers and admins); conversations it is running on
    stay on the version they started with."""
    current = access_flow(flow_id)
    do_update_flow(flow_id, payload.definition, request.user, inbox=_inbox(payload.inbox))
    if payload.enabled != current.enabled:
        do_set_flow_enabled(flow_id, payload.enabled, request.user)
    return _flow_out(access_flow(flow_id))


@api.delete(
    "/bots/flows/{flow_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    auth=WRITERS,
    tags=TAGS,
)
def delete_flow(request: AuthenticatedRequest, flow_id: int):
    """Delete a flow that never ran (managers and admins); one that ran answers 409:
    disable it instead."""
    do_delete_flow(flow_id, request.user)
    return Status(204, None)
