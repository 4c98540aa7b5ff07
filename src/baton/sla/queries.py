"""Reads for SLA: the policies, the facts they see, a conversation's clock events and
calendar, and the ``sla`` object of a conversation as the API and live events show it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from baton.agents.models import Role, TimeOff
from baton.conversations.models import (
    AuditEvent,
    Conversation,
    ConversationStatus,
    Direction,
    EventKind,
    Message,
    MessageType,
)
from baton.core.business_hours import MAX_CLOSED_DAYS, BusinessCalendar, Hours, calendar_of
from baton.routing.queries import build_facts, get_hours
from baton.sla.acknowledgements import needs_no_answer
from baton.sla.clock import ClockEvent
from baton.sla.clock import EventKind as Clock
from baton.sla.models import METRICS, ConversationSla, SlaPolicy
from baton.sla.policies import PRIORITY_NAMES

PAUSED_STATUSES = (ConversationStatus.PENDING, ConversationStatus.SNOOZED)
# Inbound types that are not a customer writing to us: they start no clock.
NOT_CUSTOMER_WRITING = (MessageType.EDIT, MessageType.REVOKE, MessageType.SYSTEM)
# Outbound types that are not an answer (a reaction acknowledges; it answers nothing).
NOT_AN_ANSWER = (MessageType.REACTION,)


def get_enabled_policies() -> list[SlaPolicy]:
    return list(SlaPolicy.objects.filter(enabled=True).order_by("position", "id"))


def get_policy_facts(conversation: Conversation) -> Mapping[str, Any]:
    """What a policy's conditions see: the routing facts (no message) plus the conversation's
    team, priority and labels."""
    contact = conversation.contact
    facts = build_facts(
        inbox_id=conversation.inbox_id,
        inbox_name=conversation.inbox.name,
        contact_attributes=contact.attributes,
        contact_labels=contact.labels,
        language=conversation.language,
        conversation_attributes=conversation.attributes,
        message_text="",
        message_type="",
        reply_id="",
        reply_title="",
        is_returning=False,
        within_business_hours=False,
    )
    del facts["customer.is_returning"], facts["time.within_business_hours"]
    team = conversation.team if conversation.team_id else None
    facts["conversation.team"] = team.name if team is not None else ""
    facts["conversation.priority"] = PRIORITY_NAMES.get(conversation.priority, "normal")
    labels = conversation.labels
    facts["conversation.labels"] = labels if isinstance(labels, list) else []
    return facts


def get_calendar(conversation: Conversation, policy: SlaPolicy | None) -> BusinessCalendar:
    """24/7, or the inbox's business hours (with their holidays and zone) when the policy
    counts business time. No hours configured means always open."""
    if policy is None or not policy.business_hours:
        return BusinessCalendar.always_open()
    hours = get_hours(conversation.inbox_id)
    if hours is None:
        return BusinessCalendar.always_open()
    if conversation.team_id:
        # The team's holidays close its clocks too (days in the hours' zone).
        team_days = []
        for first, last in TimeOff.objects.filter(
            team_id=conversation.team_id, user__isnull=True
        ).values_list("first_day", "last_day"):
            span = min((last - first).days, MAX_CLOSED_DAYS)
            team_days += [(first + timedelta(days=n)).isoformat() for n in range(span + 1)]
        if team_days:
            hours = Hours(hours.time_zone, hours.weekly, [*hours.holidays, *team_days])
    return calendar_of(hours)


def get_clock_events(conversation_id: int) -> tuple[int, list[ClockEvent]]:
    """The current cycle's number and its clock events, in time order.

    Times are when Baton stored each record, for messages too: a message the customer's
    phone delivered an hour late is not charged to the team for that hour.
    """
    moves = list(
        AuditEvent.objects.filter(conversation_id=conversation_id)
        .exclude(from_status="", to_status="")
        .order_by("created_at", "id")
        .values_list("kind", "from_status", "to_status", "created_at")
    )
    reopens = [at for kind, _, _, at in moves if kind == EventKind.REOPENED]
    cycle = len(reopens) + 1
    cycle_start = reopens[-1] if reopens else None
    events: list[ClockEvent] = []
    if cycle_start is not None:
        events.append(ClockEvent(cycle_start, Clock.REOPENED))
    for _kind, from_status, to_status, at in moves:
        if cycle_start is not None and at <= cycle_start:
            continue
        if to_status == ConversationStatus.RESOLVED:
            events.append(ClockEvent(at, Clock.RESOLVED))
        elif from_status == ConversationStatus.BOT and to_status != ConversationStatus.BOT:
            events.append(ClockEvent(at, Clock.HANDOFF_TO_HUMAN))
        elif to_status in PAUSED_STATUSES and from_status not in PAUSED_STATUSES:
            events.append(ClockEvent(at, Clock.PAUSED))
        elif from_status in PAUSED_STATUSES and to_status not in PAUSED_STATUSES:
            events.append(ClockEvent(at, Clock.RESUMED))
    messages = Message.objects.filter(
        conversation_id=conversation_id, direction__in=(Direction.INBOUND, Direction.OUTBOUND)
    )
    if cycle_start is not None:
        messages = messages.filter(created_at__gte=cycle_start)
    for direction, msg_type, text, author_role, at in messages.values_list(
        "direction", "type", "text", "author__role", "created_at"
    ):
        if direction == Direction.INBOUND:
            if msg_type in NOT_CUSTOMER_WRITING:
                continue
            ack = needs_no_answer(text, is_reaction=msg_type == MessageType.REACTION)
            events.append(ClockEvent(at, Clock.CUSTOMER_MESSAGE, acknowledgement=ack))
        elif author_role == Role.BOT:
            events.append(ClockEvent(at, Clock.BOT_MESSAGE))
        elif author_role is not None and msg_type not in NOT_AN_ANSWER:
            # Counted when the person sent it, delivered or not: an outcome once recorded
            # never changes, and a failed send is shown failed to its author to resend.
            events.append(ClockEvent(at, Clock.HUMAN_REPLY))
        # No author: an automation (nobody's answer); it stops no clock.
    events.sort(key=lambda event: event.at)
    return cycle, events


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def sla_dict(row: ConversationSla | None, policy_name: str | None = None) -> dict[str, Any]:
    """The ``sla`` object of a conversation (API and live events)."""
    result: dict[str, Any] = {
        "policy": policy_name if row is not None else None,
        "predicted_to_breach": bool(row and row.predicted_to_breach),
        "predicted_answer_at": _iso(row.predicted_answer_at) if row else None,
    }
    for metric in METRICS:
        if row is None:
            result[metric] = {"state": "none", "due_at": None, "met_at": None, "breached_at": None}
            continue
        state = getattr(row, f"{metric}_state")
        due = getattr(row, f"{metric}_due_at")
        stopped = getattr(row, f"{metric}_stopped_at")
        result[metric] = {
            "state": state,
            "due_at": _iso(due),
            "met_at": _iso(stopped) if state in ("met", "missed") else None,
            "breached_at": _iso(due) if state in ("breached", "missed") else None,
        }
    return result


def get_sla(conversation_id: int) -> dict[str, Any]:
    row = ConversationSla.objects.select_related("policy").filter(pk=conversation_id).first()
    return sla_dict(row, row.policy.name if row is not None and row.policy else None)
