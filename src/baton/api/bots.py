"""Bot endpoints of API v1: hand a conversation to a flow, and the CSAT answers."""

from __future__ import annotations

from datetime import datetime

from ninja import Query, Schema
from pydantic import Field

from baton.agents.http import AuthenticatedRequest
from baton.api.api import api
from baton.api.ownership import access_conversation_fresh
from baton.api.schemas import ConversationOut, ErrorOut, InputSchema
from baton.bots.actions import do_return_to_bot
from baton.bots.queries import csat_item, get_csat_responses
from baton.conversations.queries import access_conversation
from baton.conversations.serializers import conversation_dict

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
    return conversation_dict(access_conversation_fresh(conversation_id))


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
