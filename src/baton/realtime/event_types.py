"""Every live event a browser can receive, with its exact payload as a schema.

One pydantic model per ``EventType``; unknown and missing fields are errors
(``extra="forbid"``), so a sender that adds, drops or misspells a field fails in the tests
instead of on someone's screen. ``send_event_on_commit`` takes these models only, and the
browser receives ``event.wire()``: the JSON object below, with ``type`` first.

Times are ISO 8601 strings with their offset, exactly as ``datetime.isoformat`` writes them
(what the browser has always received), checked to parse as aware datetimes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter


class EventType(StrEnum):
    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_UPDATED = "conversation.updated"
    MESSAGE_CREATED = "message.created"
    MESSAGE_UPDATED = "message.updated"
    HANDOFF_REQUESTED = "handoff.requested"
    HANDOFF_DECLINED = "handoff.declined"
    ALERT_RAISED = "alert.raised"
    ALERT_CLEARED = "alert.cleared"
    PRESENCE_CHANGED = "presence.changed"
    # A conversation's SLA clocks changed state (to its audience), and a warning or a
    # breach was recorded (to the owner and the team's managers).
    SLA_CHANGED = "sla.changed"
    SLA_ALERT = "sla.alert"
    # A customer rated a conversation 1 or 2 (to the team's managers).
    CSAT_LOW = "csat.low"
    # To one user's sockets: their access changed (deactivated, role, teams, password). The
    # consumer re-checks the session and re-scopes its groups, or closes (see consumers).
    ACCESS_CHANGED = "access.changed"
    # Ephemeral, sent by the WebSocket consumer itself (no database write, no audit): who
    # has a conversation open and who is typing in it. Clients let them expire.
    CONVERSATION_VIEWING = "conversation.viewing"
    CONVERSATION_TYPING = "conversation.typing"


def _aware_iso(text: str) -> str:
    if datetime.fromisoformat(text).tzinfo is None:
        raise ValueError("a time must carry its UTC offset")
    return text


IsoTime = Annotated[str, AfterValidator(_aware_iso)]


class Schema(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, serialize_by_alias=True
    )


# ------------------------------------------------------------------------------------------
# Parts (conversations.serializers builds them)


class OwnerData(Schema):
    kind: Literal["agent", "bot"]
    username: str
    name: str


class ContactData(Schema):
    id: int
    name: str
    wa_id: str | None
    user_id: str | None
    username: str
    phone: str


class InboxData(Schema):
    id: int
    name: str
    phone_number_id: str


class ConversationData(Schema):
    id: int
    status: str
    owner: OwnerData | None
    team: str | None
    priority: int
    contact: ContactData
    inbox: InboxData
    created_at: IsoTime
    last_inbound_at: IsoTime | None
    last_message_at: IsoTime | None
    first_response_at: IsoTime | None
    window_ends_at: IsoTime | None
    last_message_preview: str


class ConversationGone(Schema):
    """To a previous owner: the conversation left their queue (they may no longer see it)."""

    id: int
    owner: None


class MediaData(Schema):
    mime_type: str
    filename: str
    state: str
    url: str | None


class ErrorData(Schema):
    code: int | None
    title: str
    details: str


class MessageData(Schema):
    id: int
    conversation_id: int
    direction: str
    type: str
    wamid: str | None
    text: str
    content: dict[str, Any]
    context: dict[str, Any] | None
    reply_to_id: int | None
    reactions: dict[str, Any]
    author: str | None
    media: MediaData | None
    status: str
    error: ErrorData | None
    timestamp: IsoTime


class AlertData(Schema):
    id: int
    kind: str
    level: int
    waiting_since: IsoTime


class UserRef(Schema):
    username: str
    name: str


class PresenceData(Schema):
    username: str
    name: str
    presence: str


class SlaMetricData(Schema):
    state: Literal["none", "running", "warning", "paused", "breached", "met", "missed"]
    due_at: IsoTime | None
    met_at: IsoTime | None  # when the clock stopped (met or missed)
    breached_at: IsoTime | None


class SlaData(Schema):
    policy: str | None
    predicted_to_breach: bool
    predicted_answer_at: IsoTime | None
    first_response: SlaMetricData
    next_response: SlaMetricData
    resolution: SlaMetricData


# ------------------------------------------------------------------------------------------
# Events


class Event(Schema):
    type: EventType

    def wire(self) -> dict[str, Any]:
        """The JSON object the browser receives."""
        return self.model_dump(mode="json")


class ConversationCreated(Event):
    type: Literal[EventType.CONVERSATION_CREATED] = EventType.CONVERSATION_CREATED
    conversation: ConversationData


class ConversationUpdated(Event):
    type: Literal[EventType.CONVERSATION_UPDATED] = EventType.CONVERSATION_UPDATED
    # The full conversation first: it is nearly every event, and "smart" union validation
    # would try both schemas every time (measured: 5x slower).
    conversation: ConversationData | ConversationGone = Field(union_mode="left_to_right")


class MessageCreated(Event):
    type: Literal[EventType.MESSAGE_CREATED] = EventType.MESSAGE_CREATED
    conversation_id: int
    message: MessageData


class MessageUpdated(Event):
    type: Literal[EventType.MESSAGE_UPDATED] = EventType.MESSAGE_UPDATED
    conversation_id: int
    message: MessageData


class HandoffRequested(Event):
    """To the receiver: ``from`` (a username) offers them a conversation."""

    type: Literal[EventType.HANDOFF_REQUESTED] = EventType.HANDOFF_REQUESTED
    conversation_id: int
    handoff_id: int
    from_: str = Field(alias="from")


class HandoffDeclined(Event):
    type: Literal[EventType.HANDOFF_DECLINED] = EventType.HANDOFF_DECLINED
    conversation_id: int
    by: str
    reason: str


class AlertRaised(Event):
    type: Literal[EventType.ALERT_RAISED] = EventType.ALERT_RAISED
    conversation_id: int
    alert: AlertData


class AlertCleared(Event):
    type: Literal[EventType.ALERT_CLEARED] = EventType.ALERT_CLEARED
    conversation_id: int
    alert: AlertData


class PresenceChanged(Event):
    type: Literal[EventType.PRESENCE_CHANGED] = EventType.PRESENCE_CHANGED
    user: PresenceData


class SlaChanged(Event):
    type: Literal[EventType.SLA_CHANGED] = EventType.SLA_CHANGED
    conversation_id: int
    sla: SlaData


class SlaAlert(Event):
    type: Literal[EventType.SLA_ALERT] = EventType.SLA_ALERT
    conversation_id: int
    kind: Literal["warning", "breach"]
    metric: Literal["first_response", "next_response", "resolution"]
    due_at: IsoTime
    text: str


class CsatLow(Event):
    type: Literal[EventType.CSAT_LOW] = EventType.CSAT_LOW
    conversation_id: int
    score: int
    comment: str
    agents: list[str]
    text: str


class AccessChanged(Event):
    """Carries nothing on purpose: the consumer re-reads the user's access itself."""

    type: Literal[EventType.ACCESS_CHANGED] = EventType.ACCESS_CHANGED


class ConversationViewing(Event):
    type: Literal[EventType.CONVERSATION_VIEWING] = EventType.CONVERSATION_VIEWING
    conversation_id: int
    user: UserRef


class ConversationTyping(Event):
    type: Literal[EventType.CONVERSATION_TYPING] = EventType.CONVERSATION_TYPING
    conversation_id: int
    user: UserRef


EVENT_CLASSES: dict[EventType, type[Event]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        ConversationCreated,
        ConversationUpdated,
        MessageCreated,
        MessageUpdated,
        HandoffRequested,
        HandoffDeclined,
        AlertRaised,
        AlertCleared,
        PresenceChanged,
        SlaChanged,
        SlaAlert,
        CsatLow,
        AccessChanged,
        ConversationViewing,
        ConversationTyping,
    )
}

AnyEvent = Annotated[
    ConversationCreated
    | ConversationUpdated
    | MessageCreated
    | MessageUpdated
    | HandoffRequested
    | HandoffDeclined
    | AlertRaised
    | AlertCleared
    | PresenceChanged
    | SlaChanged
    | SlaAlert
    | CsatLow
    | AccessChanged
    | ConversationViewing
    | ConversationTyping,
    Field(discriminator="type"),
]
_any_event: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)


def build_event(event_type: EventType, payload: dict[str, Any]) -> Event:
    """The event of ``event_type`` with ``payload`` as its fields (validated)."""
    return EVENT_CLASSES[event_type].model_validate(payload)


def parse_event(data: dict[str, Any] | str | bytes) -> Event:
    """Any event from its wire form (a dict or JSON), by its ``type``."""
    if isinstance(data, dict):
        return _any_event.validate_python(data)
    return _any_event.validate_json(data)
