"""Ownership endpoints of API v1: claim, assign, handoff, accept/decline, release, …"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.http import StreamingHttpResponse
from ninja import Query, Schema
from ninja.responses import Status
from pydantic import Field

from baton.agents.http import AuthenticatedRequest
from baton.api.api import ManagersOnly, api
from baton.api.conversation_json import SLA_RELATED, conversation_out
from baton.api.schemas import ConversationOut, ErrorOut, InputSchema
from baton.conversations import ownership
from baton.conversations.models import AuditEvent, Conversation, Handoff
from baton.conversations.queries import access_conversation, get_events, managed_team_ids
from baton.conversations.serializers import event_dict
from baton.core.errors import InvalidInput

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
TAGS = ["ownership"]


class NoteIn(InputSchema):
    note: str = ""


class AssignIn(InputSchema):
    agent: str = Field(description="Username of the agent who will own the conversation.")
    note: str = ""


class HandoffIn(InputSchema):
    to_agent: str | None = None
    to_team: str | None = None
    reason: str = Field(min_length=1)
    note: str = ""


class DeclineIn(InputSchema):
    reason: str = Field(min_length=1)


class TakeoverIn(InputSchema):
    reason: str = ""
    note: str = ""


class SnoozeIn(InputSchema):
    until: datetime
    note: str = ""


class HandoffOut(Schema):
    id: int
    conversation_id: int
    from_user: str
    to_user: str
    reason: str
    note: str
    status: str
    expires_at: datetime


class EventOut(Schema):
    id: int
    kind: str
    actor: str | None
    from_owner: str | None
    to_owner: str | None
    to_team: str | None
    from_status: str
    to_status: str
    reason: str
    note: str
    data: dict[str, Any]
    created_at: datetime


class TimelineOut(Schema):
    items: list[EventOut]


def _visible(request: AuthenticatedRequest, conversation_id: int) -> None:
    access_conversation(request.user, conversation_id)


def _conv(conversation: Any) -> dict[str, Any]:
    return conversation_out(
        access_conversation_fresh(conversation.pk)  # owner/team names after the change
    )


def access_conversation_fresh(conversation_id: int) -> Any:
    return Conversation.objects.select_related(
        "contact", "inbox", "owner", "team", SLA_RELATED
    ).get(pk=conversation_id)


@api.post(
    "/conversations/{conversation_id}/claim", response={200: ConversationOut, **ERRORS}, tags=TAGS
)
def claim(request: AuthenticatedRequest, conversation_id: int):
    """Take an unassigned conversation. Of simultaneous claims exactly one wins; the others
    get 409 with the owner's username."""
    _visible(request, conversation_id)
    return _conv(ownership.do_claim_conversation(conversation_id, request.user))


@api.post(
    "/conversations/{conversation_id}/assign", response={200: ConversationOut, **ERRORS}, tags=TAGS
)
def assign(request: AuthenticatedRequest, conversation_id: int, payload: AssignIn):
    """A manager assigns the conversation to an agent."""
    _visible(request, conversation_id)
    return _conv(
        ownership.do_assign_conversation(conversation_id, request.user, payload.agent, payload.note)
    )


@api.post(
    "/conversations/{conversation_id}/handoff",
    response={200: ConversationOut, 202: HandoffOut, **ERRORS},
    tags=TAGS,
)
def handoff(request: AuthenticatedRequest, conversation_id: int, payload: HandoffIn):
    """The owner hands off to a colleague (202: waits for accept/decline) or to a team's
    queue (200: done). A reason is required."""
    _visible(request, conversation_id)
    result = ownership.do_handoff_conversation(
        conversation_id,
        request.user,
        to_username=payload.to_agent,
        to_team_name=payload.to_team,
        reason=payload.reason,
        note=payload.note,
    )
    if isinstance(result, Handoff):
        return Status(202, _handoff_dict(result))
    return Status(200, _conv(result))


def _handoff_dict(handoff: Handoff) -> dict[str, Any]:
    return {
        "id": handoff.pk,
        "conversation_id": handoff.conversation_id,
        "from_user": handoff.from_user.username,
        "to_user": handoff.to_user.username,
        "reason": handoff.reason,
        "note": handoff.note,
        "status": handoff.status,
        "expires_at": handoff.expires_at,
    }


@api.post(
    "/conversations/{conversation_id}/handoff/accept",
    response={200: ConversationOut, **ERRORS},
    tags=TAGS,
)
def accept_handoff(request: AuthenticatedRequest, conversation_id: int):
    _visible(request, conversation_id)
    return _conv(ownership.do_accept_handoff(conversation_id, request.user))


@api.post(
    "/conversations/{conversation_id}/handoff/decline",
    response={200: HandoffOut, **ERRORS},
    tags=TAGS,
)
def decline_handoff(request: AuthenticatedRequest, conversation_id: int, payload: DeclineIn):
    _visible(request, conversation_id)
    return _handoff_dict(
        ownership.do_decline_handoff(conversation_id, request.user, payload.reason)
    )


@api.post(
    "/conversations/{conversation_id}/release", response={200: ConversationOut, **ERRORS}, tags=TAGS
)
def release(request: AuthenticatedRequest, conversation_id: int, payload: NoteIn | None = None):
    _visible(request, conversation_id)
    note = payload.note if payload else ""
    return _conv(ownership.do_release_conversation(conversation_id, request.user, note))


@api.post(
    "/conversations/{conversation_id}/takeover",
    response={200: ConversationOut, **ERRORS},
    tags=TAGS,
)
def takeover(
    request: AuthenticatedRequest, conversation_id: int, payload: TakeoverIn | None = None
):
    """A manager becomes the owner, whoever owned it. Always recorded."""
    _visible(request, conversation_id)
    reason, note = (payload.reason, payload.note) if payload else ("", "")
    return _conv(ownership.do_take_over_conversation(conversation_id, request.user, reason, note))


@api.post(
    "/conversations/{conversation_id}/resolve", response={200: ConversationOut, **ERRORS}, tags=TAGS
)
def resolve(request: AuthenticatedRequest, conversation_id: int, payload: NoteIn | None = None):
    _visible(request, conversation_id)
    note = payload.note if payload else ""
    return _conv(ownership.do_resolve_conversation(conversation_id, request.user, note))


@api.post(
    "/conversations/{conversation_id}/reopen", response={200: ConversationOut, **ERRORS}, tags=TAGS
)
def reopen(request: AuthenticatedRequest, conversation_id: int, payload: NoteIn | None = None):
    _visible(request, conversation_id)
    note = payload.note if payload else ""
    return _conv(ownership.do_reopen_conversation(conversation_id, request.user, note))


@api.post(
    "/conversations/{conversation_id}/snooze", response={200: ConversationOut, **ERRORS}, tags=TAGS
)
def snooze(request: AuthenticatedRequest, conversation_id: int, payload: SnoozeIn):
    _visible(request, conversation_id)
    if payload.until.tzinfo is None:
        raise InvalidInput("Give the time with its zone, e.g. 2026-11-25T09:00:00Z.")
    return _conv(
        ownership.do_snooze_conversation(conversation_id, request.user, payload.until, payload.note)
    )


@api.post(
    "/conversations/{conversation_id}/pending", response={200: ConversationOut, **ERRORS}, tags=TAGS
)
def set_pending(request: AuthenticatedRequest, conversation_id: int, payload: NoteIn | None = None):
    _visible(request, conversation_id)
    note = payload.note if payload else ""
    return _conv(ownership.do_set_pending(conversation_id, request.user, note))


@api.get(
    "/conversations/{conversation_id}/timeline",
    response={200: TimelineOut, 404: ErrorOut},
    tags=TAGS,
)
def timeline(request: AuthenticatedRequest, conversation_id: int):
    """Every ownership and status change of the conversation, oldest first."""
    conversation = access_conversation(request.user, conversation_id)
    return {"items": [event_dict(e) for e in get_events(conversation)]}


class AuditRange(Schema):
    since: datetime
    until: datetime


@api.get(
    "/audit.csv",
    tags=TAGS,
    response={200: None, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    auth=ManagersOnly("Only managers and admins can export the audit log."),
)
def audit_csv(request: AuthenticatedRequest, window: Query[AuditRange]) -> StreamingHttpResponse:
    """The audit log for a date range as CSV (managers: their teams; admins: everything).
    ``since`` and ``until`` are required ISO 8601 times with their zone."""
    managed = managed_team_ids(request.user)  # not [] here: ManagersOnly refused agents
    events = (
        AuditEvent.objects.filter(created_at__gte=window.since, created_at__lt=window.until)
        .select_related("actor", "from_owner", "to_owner", "to_team", "conversation")
        .order_by("created_at", "id")
    )
    if managed is not None:
        # Configuration records have no conversation: managers get those of their teams.
        events = events.filter(
            Q(conversation__team_id__in=managed)
            | Q(conversation__isnull=True, to_team_id__in=managed)
        )

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    header = ["time", "conversation", "event", "actor", "from_owner", "to_owner", "to_team",
              "from_status", "to_status", "reason", "note"]  # fmt: skip

    def rows():
        yield writer.writerow(header)
        for event in events.iterator(chunk_size=500):
            d = event_dict(event)
            yield writer.writerow(
                [
                    d["created_at"].isoformat(),
                    event.conversation_id or "",
                    d["kind"],
                    d["actor"] or "",
                    d["from_owner"] or "",
                    d["to_owner"] or "",
                    d["to_team"] or "",
                    d["from_status"],
                    d["to_status"],
                    d["reason"],
                    d["note"],
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="baton-audit.csv"'
    return response
