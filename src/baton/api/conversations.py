"""Conversation endpoints of API v1."""

from __future__ import annotations

from typing import Literal

from ninja import Query, Schema
from ninja.responses import Status
from pydantic import Field

from baton.agents.http import AuthenticatedRequest
from baton.api.api import api
from baton.api.conversation_json import SLA_RELATED, conversation_out
from baton.api.schemas import (
    ConversationOut,
    ConversationPage,
    ErrorOut,
    MessageOut,
    MessagePage,
    SendMessageIn,
)
from baton.conversations.actions import do_add_note
from baton.conversations.models import Message
from baton.conversations.queries import (
    access_conversation,
    filter_view,
    get_timeline,
    visible_conversations,
)
from baton.conversations.serializers import message_dict
from baton.core.errors import InvalidInput
from baton.whatsapp.outbound import do_queue_outbound_message


class ConversationFilters(Schema):
    view: Literal["mine", "unassigned", "team", "all"] = Field(
        default="all",
        description="mine: owned by me; unassigned: waiting in my teams' queues; "
        "team: my teams' conversations; all: everything I may see.",
    )
    status: str | None = None
    limit: int = 50
    before_id: int | None = None


@api.get("/conversations", response=ConversationPage, tags=["conversations"])
def list_conversations(request: AuthenticatedRequest, filters: Query[ConversationFilters]):
    limit = max(1, min(filters.limit, 200))
    qs = (
        filter_view(visible_conversations(request.user), request.user, filters.view)
        .select_related(SLA_RELATED)
        .order_by("-id")
    )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.before_id:
        qs = qs.filter(id__lt=filters.before_id)
    rows = list(qs[: limit + 1])
    page = rows[:limit]
    return {
        "items": [conversation_out(c) for c in page],
        "count": len(page),
        "next_cursor": str(page[-1].pk) if len(rows) > limit else None,
    }


@api.get(
    "/conversations/{conversation_id}",
    response={200: ConversationOut, 404: ErrorOut},
    tags=["conversations"],
)
def get_conversation(request: AuthenticatedRequest, conversation_id: int):
    return conversation_out(access_conversation(request.user, conversation_id))


@api.get(
    "/conversations/{conversation_id}/messages",
    response={200: MessagePage, 404: ErrorOut},
    tags=["conversations"],
)
def list_messages(request: AuthenticatedRequest, conversation_id: int):
    conversation = access_conversation(request.user, conversation_id)
    return {"items": [message_dict(m) for m in get_timeline(conversation)]}


@api.post(
    "/conversations/{conversation_id}/messages",
    response={201: MessageOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    tags=["conversations"],
    summary="Send a text, template or reaction, or add an internal note",
)
def send_message(request: AuthenticatedRequest, conversation_id: int, payload: SendMessageIn):
    conversation = access_conversation(request.user, conversation_id)
    if payload.note:
        return Status(
            201, message_dict(do_add_note(conversation, request.user, payload.text or ""))
        )
    reply_to = None
    if payload.reply_to is not None:
        reply_to = Message.objects.filter(pk=payload.reply_to, conversation=conversation).first()
        if reply_to is None:
            raise InvalidInput(f"Message {payload.reply_to} is not in this conversation.")
    reaction = None
    if payload.reaction is not None:
        target = Message.objects.filter(
            pk=payload.reaction.message_id, conversation=conversation
        ).first()
        if target is None:
            raise InvalidInput(
                f"Message {payload.reaction.message_id} is not in this conversation."
            )
        reaction = (target, payload.reaction.emoji)
    message = do_queue_outbound_message(
        conversation,
        request.user,
        text=payload.text,
        template=payload.template.dict(exclude_none=True) if payload.template else None,
        reply_to=reply_to,
        reaction=reaction,
    )
    return Status(201, message_dict(message))
