"""Request and response shapes of the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, ModelWrapValidatorHandler, ValidationInfo, model_validator


class InputSchema(Schema):
    """A request body, or an object inside one: it must be a JSON object.

    ninja's ``Schema`` reads its fields from attributes (to serialise ORM objects): a list
    or a number given for a nested object whose fields all have defaults would pass as
    "nothing given". Request bodies are plain JSON, so this replaces that validator
    (pydantic replaces a parent's validator of the same name).
    """

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        if not isinstance(values, dict):
            raise ValueError("should be a JSON object")
        return handler(values)


class OwnerOut(Schema):
    kind: Literal["agent", "bot"]
    username: str
    name: str


class ContactOut(Schema):
    id: int
    name: str
    wa_id: str | None
    user_id: str | None
    username: str
    phone: str


class InboxOut(Schema):
    id: int
    name: str
    phone_number_id: str


class SlaMetricOut(Schema):
    state: Literal["none", "running", "warning", "paused", "breached", "met", "missed"] = Field(
        description="none: no clock; running; warning: due soon; paused (pending or snoozed); "
        "breached: past due, not answered yet; met: stopped on time; missed: stopped late."
    )
    due_at: datetime | None = Field(description="The deadline (null while paused or stopped).")
    met_at: datetime | None = Field(description="When the clock stopped (met or missed).")
    breached_at: datetime | None = Field(description="When the deadline passed unanswered.")


class SlaOut(Schema):
    policy: str | None = Field(description="The SLA policy that applies, or null.")
    predicted_to_breach: bool
    predicted_answer_at: datetime | None
    first_response: SlaMetricOut
    next_response: SlaMetricOut
    resolution: SlaMetricOut


class ConversationOut(Schema):
    id: int
    status: str
    owner: OwnerOut | None
    team: str | None
    priority: int
    contact: ContactOut
    inbox: InboxOut
    created_at: datetime
    last_inbound_at: datetime | None
    last_message_at: datetime | None
    first_response_at: datetime | None
    window_ends_at: datetime | None
    last_message_preview: str
    sla: SlaOut


class ConversationPage(Schema):
    items: list[ConversationOut]
    count: int
    next_cursor: str | None = None


class MediaOut(Schema):
    mime_type: str
    filename: str
    state: str
    url: str | None


class ErrorDetailOut(Schema):
    code: int | None
    title: str
    details: str


class MessageOut(Schema):
    id: int
    conversation_id: int
    direction: str
    type: str
    wamid: str | None
    text: str
    content: dict[str, Any]
    context: dict[str, Any]
    reply_to_id: int | None
    reactions: dict[str, Any]
    author: str | None
    media: MediaOut | None
    status: str
    error: ErrorDetailOut | None
    timestamp: datetime


class MessagePage(Schema):
    items: list[MessageOut]


class TemplateIn(InputSchema):
    name: str = Field(min_length=1)
    language: str = "en_US"
    parameters: list[str] = Field(default_factory=list)
    components: list[dict[str, Any]] | None = None


class ReactionIn(InputSchema):
    message_id: int = Field(description="Id of the message in this conversation to react to.")
    emoji: str = Field(max_length=16, description='An emoji, or "" to remove the reaction.')


class SendMessageIn(InputSchema):
    text: str | None = None
    template: TemplateIn | None = None
    reaction: ReactionIn | None = None
    reply_to: int | None = Field(default=None, description="Id of a message in this conversation.")
    note: bool = Field(default=False, description="An internal note, never sent to the customer.")

    @model_validator(mode="after")
    def exactly_one_body(self) -> SendMessageIn:
        given = [x for x in (self.text, self.template, self.reaction) if x is not None]
        if len(given) != 1:
            raise ValueError('give exactly one of "text", "template" or "reaction"')
        if self.note and self.template is not None:
            raise ValueError("a note is text only")
        return self


class ErrorOut(Schema):
    error: dict[str, Any]
