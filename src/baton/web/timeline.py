"""How each kind of timeline item renders: a registry, kind → template (+ optional context).

Audit events render by ``AuditEvent.kind`` and messages by ``Message.type``, each from its own
template under ``web/templates/web/timeline/``: the event's line inside ``_event.html``, the
message's body inside ``_message.html`` (an include, not ``{% extends %}``: inheritance costs
a walk of the parent's nodes per item, and a long timeline has hundreds). A new kind — an
SLA miss, a bot step — is one ``register_*`` call and one template, not another branch in
``_timeline.html``. A kind nobody registered (a row written by a newer release) renders as
the generic line or a plain text message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template import Context

from baton.conversations.models import (
    DeliveryStatus,
    Direction,
    EventKind,
    Message,
    MessageType,
)
from baton.web.queries import TimelineItem

ContextFunction = Callable[[Any, Context], dict[str, Any]]


def _always(obj: Any) -> bool:
    return True


EVENT_FRAME = "web/timeline/_event.html"
MESSAGE_FRAME = "web/timeline/_message.html"


@dataclass(frozen=True)
class ItemRenderer:
    """The template of one kind, rendered inside ``frame`` (which includes it as
    ``line_template`` / ``body_template``), or alone without one. ``context`` adds variables
    computed from the row and the page's context; ``shown`` says whether a row appears."""

    template: str
    frame: str | None = None
    context: ContextFunction | None = None
    shown: Callable[[Any], bool] = _always


EVENT_RENDERERS: dict[str, ItemRenderer] = {}
MESSAGE_RENDERERS: dict[str, ItemRenderer] = {}

GENERIC_EVENT = ItemRenderer("web/timeline/event_generic.html", EVENT_FRAME)


def register_event_kind(kind: str, template: str, context: ContextFunction | None = None) -> None:
    """Render audit events of ``kind`` with ``template`` (which extends ``_event.html``)."""
    EVENT_RENDERERS[kind] = ItemRenderer(template, EVENT_FRAME, context)


def register_message_type(
    message_type: str,
    template: str,
    context: ContextFunction | None = None,
    shown: Callable[[Any], bool] = _always,
) -> None:
    """Render the body of messages of ``message_type`` with ``template``."""
    MESSAGE_RENDERERS[message_type] = ItemRenderer(
        template, MESSAGE_FRAME, context or message_context, shown
    )


def message_context(message: Message, context: Context) -> dict[str, Any]:
    """What every message template needs beyond the row: may the viewer resend it?"""
    actions = context.get("actions")
    may_retry = actions is not None and "retry" in actions.offered
    return {
        "can_retry": may_retry and message.status == DeliveryStatus.FAILED and not message.wamid
    }


# Activity rows (Direction.ACTIVITY) are one-liners whatever their type.
ACTIVITY_MESSAGE = ItemRenderer("web/timeline/message_activity.html")
TEXT_MESSAGE = ItemRenderer("web/timeline/message_text.html", MESSAGE_FRAME, message_context)


def renderer_for(item: TimelineItem) -> tuple[ItemRenderer, Any] | None:
    """The renderer of one timeline item and the row it shows, or None when it is hidden."""
    if item.event is not None:
        return EVENT_RENDERERS.get(item.event.kind, GENERIC_EVENT), item.event
    message = item.message
    if message is None:
        return None
    renderer = MESSAGE_RENDERERS.get(message.type, TEXT_MESSAGE)
    if not renderer.shown(message):
        return None
    if message.direction == Direction.ACTIVITY:
        return ACTIVITY_MESSAGE, message
    return renderer, message


def _never(message: Message) -> bool:
    return False


def _failed(message: Message) -> bool:
    return message.status == DeliveryStatus.FAILED


_EVENT_TEMPLATES = {
    EventKind.CLAIMED: "event_claimed",
    EventKind.ASSIGNED: "event_assigned",
    EventKind.HANDOFF_REQUESTED: "event_handoff_requested",
    EventKind.HANDOFF_ACCEPTED: "event_handoff_accepted",
    EventKind.HANDOFF_DECLINED: "event_handoff_declined",
    EventKind.HANDOFF_EXPIRED: "event_handoff_expired",
    EventKind.HANDED_TO_TEAM: "event_handed_to_team",
    EventKind.RELEASED: "event_released",
    EventKind.TAKEN_OVER: "event_taken_over",
    EventKind.RESOLVED: "event_resolved",
    EventKind.REOPENED: "event_reopened",
    EventKind.SNOOZED: "event_snoozed",
    EventKind.WOKE_UP: "event_woke_up",
    EventKind.PENDING: "event_pending",
    EventKind.CUSTOMER_REPLIED: "event_customer_replied",
    # Kinds that read well as "<label> · <actor>" (the generic line) until they need more.
    EventKind.AUTO_ASSIGNED: "event_generic",
    EventKind.OVERFLOWED: "event_generic",
    EventKind.CONFIG: "event_generic",
    EventKind.ROUTED: "event_generic",
}
for _kind, _name in _EVENT_TEMPLATES.items():
    register_event_kind(_kind, f"web/timeline/{_name}.html")


# An alert's reason is its line ("Alert · waiting 20 minutes"), not a second "Reason:".
def _reason_in_line(event: Any, page: Context) -> dict[str, Any]:
    return {"reason_in_line": True}


register_event_kind(EventKind.ALERT, "web/timeline/event_alert.html", _reason_in_line)
# SLA lines say what happened and what was done in their reason.
for _kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACH):
    register_event_kind(_kind, "web/timeline/event_sla.html", _reason_in_line)
for _kind in (
    EventKind.SLA_POLICY,
    EventKind.PRIORITY_CHANGED,
    EventKind.LABELED,
    EventKind.INTENT_CORRECTED,  # "Intent corrected · other → refund_return · Alice"
):
    register_event_kind(_kind, "web/timeline/event_reason_line.html", _reason_in_line)
# Bot moves and ratings say in their reason what the flow did.
for _kind in (EventKind.BOT_STARTED, EventKind.BOT_HANDOFF, EventKind.BOT_RETURNED):
    register_event_kind(_kind, "web/timeline/event_bot.html", _reason_in_line)
register_event_kind(EventKind.CSAT, "web/timeline/event_csat.html", _reason_in_line)

_MESSAGE_TEMPLATES = {
    MessageType.TEXT: "message_text",
    # Media: the file shows above the caption, in _message.html.
    MessageType.IMAGE: "message_text",
    MessageType.VIDEO: "message_text",
    MessageType.AUDIO: "message_text",
    MessageType.DOCUMENT: "message_text",
    MessageType.STICKER: "message_text",
    MessageType.LOCATION: "message_location",
    MessageType.CONTACTS: "message_contacts",
    MessageType.INTERACTIVE: "message_choice",
    MessageType.BUTTON: "message_choice",
    MessageType.ORDER: "message_order",
    MessageType.UNSUPPORTED: "message_unsupported",
    MessageType.SYSTEM: "message_system",
    MessageType.TEMPLATE: "message_template",
}
for _type, _name in _MESSAGE_TEMPLATES.items():
    register_message_type(_type, f"web/timeline/{_name}.html")
# A reaction shows on the message it reacts to; its own row only when sending it failed.
register_message_type(MessageType.REACTION, "web/timeline/message_reaction.html", shown=_failed)
# Edits and deletions change the message they point to and have no row of their own.
register_message_type(MessageType.EDIT, "web/timeline/message_text.html", shown=_never)
register_message_type(MessageType.REVOKE, "web/timeline/message_text.html", shown=_never)
