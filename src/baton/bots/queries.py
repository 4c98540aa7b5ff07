"""Reads for bots: which flow applies, a session's engine state and context, the handoff
card an agent sees, and CSAT answers as each viewer may see them."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db.models import Count, Q, QuerySet

from baton.agents.models import Role, User
from baton.bots.definition import CsatStep, FlowDefinition
from baton.bots.engine import Context, CustomerInput, SessionState
from baton.bots.models import AgentBot, BotSession, CsatResponse, Flow, StartOn
from baton.bots.models import SessionState as Run
from baton.conversations.models import AuditEvent, Conversation, Message, MessageType
from baton.conversations.queries import visible_conversations
from baton.core.errors import NotFound, PermissionDenied
from baton.routing.queries import get_facts, reply_of

# Inbound types that are not the customer answering the bot.
NOT_AN_ANSWER = (MessageType.REACTION, MessageType.EDIT, MessageType.REVOKE, MessageType.SYSTEM)


def get_greeting_agent_bot(inbox_id: int) -> AgentBot | None:
    """The enabled agent bot that greets this inbox's new conversations (one for the inbox
    before one for every inbox)."""
    candidates = AgentBot.objects.select_related("user").filter(
        Q(inbox_id=inbox_id) | Q(inbox__isnull=True),
        enabled=True,
        greets_new_conversations=True,
        user__is_active=True,
    )
    return min(candidates, key=lambda a: (a.inbox_id is None, a.pk), default=None)


def get_flow_for_new_conversation(inbox_id: int) -> Flow | None:
    """The enabled flow that starts on new conversations of this inbox: the inbox's own
    first, then one for every inbox (the oldest wins a tie)."""
    flows = list(
        Flow.objects.select_related("current_version")
        .filter(
            Q(inbox_id=inbox_id) | Q(inbox__isnull=True),
            enabled=True,
            start_on=StartOn.NEW_CONVERSATION,
            current_version__isnull=False,
        )
        .order_by("id")
    )
    flows.sort(key=lambda flow: flow.inbox_id is None)
    return flows[0] if flows else None


def get_enabled_flow(name: str) -> Flow | None:
    return (
        Flow.objects.select_related("current_version")
        .filter(name=name, enabled=True, current_version__isnull=False)
        .first()
    )


def get_returnable_flow_names() -> tuple[str, ...]:
    """The flows a person may hand a conversation to ("Return to bot")."""
    return tuple(
        Flow.objects.filter(enabled=True, current_version__isnull=False)
        .order_by("name")
        .values_list("name", flat=True)
    )


def get_active_session(conversation_id: int) -> BotSession | None:
    """The running session; call with the conversation row locked to act on it."""
    return (
        BotSession.objects.select_related("flow_version", "bot")
        .filter(conversation_id=conversation_id, state=Run.ACTIVE)
        .first()
    )


@lru_cache(maxsize=256)
def _definition(raw: str) -> FlowDefinition:
    return FlowDefinition.model_validate_json(raw)


def definition_of(session: BotSession) -> FlowDefinition:
    """The session's flow version, parsed once per process and definition (keyed by its
    JSON, not its id: a test database reuses ids for other definitions)."""
    return _definition(json.dumps(session.flow_version.definition, sort_keys=True))


def state_of(session: BotSession) -> SessionState:
    return SessionState(
        step=session.step or None,
        fields=dict(session.fields),
        path=tuple(session.path),
        answers=tuple((str(step), str(text)) for step, text in session.answers),
        retries=session.retries,
        phase=session.phase,
        score=session.pending_score,
        finished=session.state != Run.ACTIVE,
    )


def input_of(message: Message) -> CustomerInput | None:
    """What the engine sees of an inbound message; None when it is no answer at all."""
    if message.type in NOT_AN_ANSWER:
        return None
    reply_id, reply_title = reply_of(message.type, message.content or {})
    return CustomerInput(text=message.text or "", reply_id=reply_id, reply_title=reply_title)


def last_rating_at(contact_id: int) -> datetime | None:
    return (
        CsatResponse.objects.filter(contact_id=contact_id, score__isnull=False)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def context_for(
    conversation: Conversation, message: Message | None, flow: FlowDefinition, now: datetime
) -> Context:
    """The engine's context: branch facts (computed only when a condition reads them), the
    24-hour window, and the contact's last rating (only for a flow that asks one)."""
    asks_rating = any(isinstance(step, CsatStep) for step in flow.steps)
    return Context(
        facts=get_facts(conversation, message, now=now),
        window_open=conversation.window_is_open(now),
        last_csat_at=last_rating_at(conversation.contact_id) if asks_rating else None,
        now=now,
    )


def people_who_held(conversation: Conversation) -> list[User]:
    """Every person (not a bot) who owned the conversation, from its audit history, plus
    its last and current owner."""
    ids = set(
        AuditEvent.objects.filter(conversation=conversation, to_owner__isnull=False)
        .exclude(to_owner__role=Role.BOT)
        .values_list("to_owner_id", flat=True)
    )
    for user_id in (conversation.last_owner_id, conversation.owner_id):
        if user_id is not None:
            ids.add(user_id)
    return list(User.objects.filter(pk__in=ids).exclude(role=Role.BOT).order_by("username"))


# ------------------------------------------------------------------------------------------
# The handoff card


def handoff_card(conversation: Conversation) -> dict[str, Any] | None:
    """What the agent sees at the top of a conversation a bot held: the flow, the path
    taken, the fields collected, the customer's answers and why it was handed off. None
    when no bot ever ran on it."""
    session = (
        BotSession.objects.select_related("flow_version__flow")
        .filter(conversation=conversation)
        .order_by("-started_at", "-id")
        .first()
    )
    if session is None:
        return None
    return {
        "flow": session.flow_version.flow.name,
        "version": session.flow_version.number,
        "state": session.state,
        "state_label": Run(session.state).label,
        "running": session.state == Run.ACTIVE,
        "step": session.step,
        "path": list(session.path),
        "fields": dict(session.fields),
        "answers": [{"step": step, "text": text} for step, text in session.answers],
        "reason": session.end_reason,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
    }


# ------------------------------------------------------------------------------------------
# CSAT


def get_csat_responses(viewer: User, since: datetime | None = None) -> QuerySet[CsatResponse]:
    """Ratings of the conversations ``viewer`` may see, newest first."""
    qs = CsatResponse.objects.filter(
        score__isnull=False, conversation__in=visible_conversations(viewer).values("pk")
    ).prefetch_related("agents")
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    return qs.order_by("-created_at", "-id")


def csat_item(response: CsatResponse) -> dict[str, Any]:
    return {
        "conversation": response.conversation_id,
        "score": response.score,
        "comment": response.comment,
        "agents": sorted(user.username for user in response.agents.all()),
        "created_at": response.created_at,
    }


# ------------------------------------------------------------------------------------------
# Flows as configuration (the /bots/ pages and the API)


def check_may_configure_flows(user: Any) -> None:
    """Bot flows are configuration: managers and admins only."""
    if not (user.is_authenticated and (user.is_manager or user.is_superuser)):
        raise PermissionDenied("Only managers and admins can change bot flows.")


def get_running_counts() -> dict[int, int]:
    """``{flow id: active sessions}`` over all of a flow's versions."""
    rows = (
        BotSession.objects.filter(state=Run.ACTIVE)
        .values("flow_version__flow_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["flow_version__flow_id"]: row["n"] for row in rows}


def get_flows() -> list[Flow]:
    """Every flow by name, each with ``running`` (its active sessions, any version)."""
    running = get_running_counts()
    flows = list(Flow.objects.select_related("current_version", "inbox").order_by("name"))
    for flow in flows:
        flow.running = running.get(flow.pk, 0)  # type: ignore[attr-defined]
    return flows


def access_flow(flow_id: int) -> Flow:
    flow = Flow.objects.select_related("current_version", "inbox").filter(pk=flow_id).first()
    if flow is None:
        raise NotFound(f"Flow {flow_id} does not exist.")
    flow.running = get_running_counts().get(flow.pk, 0)  # type: ignore[attr-defined]
    return flow


def current_definition(flow: Flow) -> FlowDefinition | None:
    """The flow's current version, parsed (None for a flow without one)."""
    if flow.current_version is None:
        return None
    return _definition(json.dumps(flow.current_version.definition, sort_keys=True))
