"""Every bot write: flows and versions, starting a flow, running a step, timeouts,
handing off to people, returning to the bot, and CSAT.

The runtime around the pure engine (``bots.engine.advance``). A step always runs in the
transaction of what caused it — the inbound message (``bots.reactions``, inside
``whatsapp.actions.do_receive_message``), a timeout (``do_fire_bot_timeout``) or a person's
move (``do_return_to_bot``) — with the conversation row locked, and acts only while the bot
still owns the conversation: a person's claim or take-over waits for that lock, then
cancels the session (``cancel_sessions_after_move``), so nothing the bot decides lands
after a person took over. Sends go through ``whatsapp.outbound`` as the bot user, so
``check_may_send`` (queue time) and ``do_start_send`` (send time) enforce the same rule.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from baton.agents.actions import do_create_api_token
from baton.agents.models import Role, Team, User
from baton.bots import engine
from baton.bots.agent_bot import event_payload
from baton.bots.definition import FlowDefinition, parse_flow
from baton.bots.models import (
    AgentBot,
    BotSession,
    CsatResponse,
    Flow,
    FlowVersion,
    SessionState,
)
from baton.bots.queries import (
    context_for,
    definition_of,
    get_active_session,
    get_enabled_flow,
    get_flow_for_new_conversation,
    get_greeting_agent_bot,
    people_who_held,
    state_of,
)
from baton.conversations.actions import do_add_note
from baton.conversations.audit import record_config_change, record_event
from baton.conversations.changes import ConversationMoved
from baton.conversations.models import (
    Contact,
    Conversation,
    ConversationStatus,
    EventKind,
    Message,
)
from baton.conversations.ownership import (
    lock_conversation,
    move_from_bot,
    move_to_bot,
    resolve_by_bot,
)
from baton.conversations.queries import is_manager_of
from baton.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from baton.realtime.event_types import CsatLow
from baton.realtime.events import MANAGERS_GROUP, send_event_on_commit, team_managers_group
from baton.whatsapp.outbound import buttons_body, do_queue_outbound_message, list_body

logger = logging.getLogger("baton.bots")

BOT_USERNAME = "baton-bot"
LOW_SCORE = 2


# ------------------------------------------------------------------------------------------
# Configuration


def ensure_bot_user() -> User:
    """The user every flow owns conversations as (role ``bot``: it cannot sign in)."""
    bot = User.objects.filter(username=BOT_USERNAME).first()
    if bot is not None:
        return bot
    try:
        with transaction.atomic():
            bot = User(username=BOT_USERNAME, role=Role.BOT, display_name="Baton bot")
            bot.set_unusable_password()
            bot.save()
            return bot
    except IntegrityError:
        # A concurrent first flow created it.
        return User.objects.get(username=BOT_USERNAME)


def do_create_flow(
    definition: Any, actor: User | None, *, enabled: bool = True, inbox: Any = None
) -> Flow:
    """A new flow with its first version. Invalid definitions raise ``InvalidInput`` with
    every error (each naming its step)."""
    parsed = _parse(definition)
    with transaction.atomic():
        if Flow.objects.filter(name=parsed.name).exists():
            raise InvalidInput(f"A flow named {parsed.name!r} already exists.")
        flow = Flow.objects.create(
            name=parsed.name, enabled=enabled, start_on=parsed.start_on, inbox=inbox
        )
        _add_version(flow, parsed, actor)
        record_config_change(
            actor, flow, "created", {"start_on": flow.start_on, "enabled": enabled}
        )
    ensure_bot_user()
    return flow


# ``do_update_flow(inbox=KEEP)`` leaves the flow's inbox as it is.
KEEP: Any = object()


def do_update_flow(
    flow_id: int, definition: Any, actor: User | None, *, inbox: Any = KEEP
) -> FlowVersion:
    """A new version of a flow; running sessions stay on the version they started with.
    ``inbox``: an Inbox (or None for every inbox) to change which new conversations it
    starts on."""
    parsed = _parse(definition)
    with transaction.atomic():
        flow = Flow.objects.select_for_update().filter(pk=flow_id).first()
        if flow is None:
            raise NotFound(f"Flow {flow_id} does not exist.")
        if parsed.name != flow.name and Flow.objects.filter(name=parsed.name).exists():
            raise InvalidInput(f"A flow named {parsed.name!r} already exists.")
        version = _add_version(flow, parsed, actor)
        values: dict[str, Any] = {"version": version.number}
        changes: dict[str, Any] = {}
        if inbox is not KEEP and getattr(inbox, "pk", None) != flow.inbox_id:
            changes["inbox"] = inbox
            values["inbox"] = str(inbox) if inbox is not None else "every inbox"
        Flow.objects.filter(pk=flow.pk).update(
            name=parsed.name, start_on=parsed.start_on, updated_at=timezone.now(), **changes
        )
        record_config_change(actor, flow, "changed", values)
    return version


def do_delete_flow(flow_id: int, actor: User | None) -> None:
    """Delete a flow and its versions. A flow that ever ran keeps its versions (sessions
    and their history point at them): disable it instead."""
    with transaction.atomic():
        flow = Flow.objects.select_for_update().filter(pk=flow_id).first()
        if flow is None:
            raise NotFound(f"Flow {flow_id} does not exist.")
        if BotSession.objects.filter(flow_version__flow=flow).exists():
            raise Conflict(
                f"The flow {flow.name!r} has run on conversations; disable it instead of "
                "deleting it."
            )
        record_config_change(actor, flow, "deleted", {"start_on": flow.start_on})
        Flow.objects.filter(pk=flow.pk).update(current_version=None)
        flow.delete()


def do_set_flow_enabled(flow_id: int, enabled: bool, actor: User | None) -> None:
    with transaction.atomic():
        flow = Flow.objects.select_for_update().filter(pk=flow_id).first()
        if flow is None:
            raise NotFound(f"Flow {flow_id} does not exist.")
        Flow.objects.filter(pk=flow.pk).update(enabled=enabled, updated_at=timezone.now())
        record_config_change(actor, flow, "changed", {"enabled": enabled})


def do_set_on_resolve_flow(team: Team, flow_name: str, actor: User | None) -> None:
    """The flow a team's conversations go to when a person resolves them ("" for none)."""
    if flow_name and not Flow.objects.filter(name=flow_name).exists():
        raise InvalidInput(f"No flow {flow_name!r}.")
    with transaction.atomic():
        Team.objects.filter(pk=team.pk).update(on_resolve_flow=flow_name)
        team.on_resolve_flow = flow_name
        record_config_change(actor, team, "changed", {"on_resolve_flow": flow_name}, team=team)


def _parse(definition: Any) -> FlowDefinition:
    try:
        return parse_flow(definition)
    except ValueError as exc:
        errors = getattr(exc, "errors", [str(exc)])
        raise InvalidInput("The flow is not valid: " + "; ".join(errors), errors=errors) from exc


def _add_version(flow: Flow, parsed: FlowDefinition, actor: User | None) -> FlowVersion:
    number = (flow.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = FlowVersion.objects.create(
        flow=flow,
        number=number,
        definition=parsed.model_dump(mode="json", by_alias=True, exclude_defaults=False),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    Flow.objects.filter(pk=flow.pk).update(current_version=version)
    flow.current_version = version
    return version


# ------------------------------------------------------------------------------------------
# Locks


def lock_for_bot(conversation_id: int) -> Conversation:
    """Lock the conversation's contact, then the conversation: the ingest's order.

    A bot's step updates the conversation row several times in one transaction (the move,
    each message it queues); on PostgreSQL the second update of a row makes the commit
    re-check every foreign key of it, the contact's included (``FOR KEY SHARE``). Holding
    the conversation while an ingest holds the contact and waits for the conversation would
    deadlock at that commit, so everything outside the ingest takes the contact first.
    """
    contact_id = (
        Conversation.objects.filter(pk=conversation_id).values_list("contact_id", flat=True).first()
    )
    if contact_id is None:
        raise NotFound(f"Conversation {conversation_id} does not exist.")
    Contact.objects.select_for_update().filter(pk=contact_id).values_list("pk").first()
    return lock_conversation(conversation_id)


# ------------------------------------------------------------------------------------------
# Starting a flow


def start_for_new_conversation(conversation: Conversation, message: Message) -> bool:
    """A new conversation meets the flow that starts on its inbox's new conversations.

    Precondition: inside the ingest transaction, the conversation row locked, its window
    just opened by ``message`` (``bots.reactions`` runs after the conversation is touched).
    """
    flow = get_flow_for_new_conversation(conversation.inbox_id)
    if flow is None or conversation.status != ConversationStatus.QUEUED:
        return False
    _start(
        conversation,
        flow,
        actor=None,
        kind=EventKind.BOT_STARTED,
        reason=f"flow “{flow.name}” greets new conversations",
        message=message,
    )
    return True


def do_return_to_bot(conversation_id: int, actor: User, flow_name: str) -> BotSession:
    """The owner (or a manager of the team) hands the conversation to a flow — typically a
    closing flow that asks for a rating. The person stays its ``last_owner``."""
    flow = get_enabled_flow(flow_name)
    if flow is None:
        raise InvalidInput(f"No enabled flow {flow_name!r}.")
    with transaction.atomic():
        conversation = lock_for_bot(conversation_id)
        if conversation.status == ConversationStatus.BOT:
            raise Conflict("A bot already holds this conversation.", status=conversation.status)
        if conversation.owner_id != actor.pk and not is_manager_of(actor, conversation.team):
            raise PermissionDenied("Only the owner or a manager can return this to a bot.")
        return _start(
            conversation,
            flow,
            actor=actor,
            kind=EventKind.BOT_RETURNED,
            reason=f"returned to the bot: flow “{flow.name}”",
        )


def start_on_resolve(change: ConversationMoved) -> None:
    """A person resolved a conversation of a team whose setting runs a flow on resolve:
    queue the flow's start, in the resolve's transaction (it commits with it). It runs as
    a task because the resolve holds the conversation without its contact (see
    ``lock_for_bot``)."""
    conversation = change.conversation
    if change.kind != EventKind.RESOLVED or conversation.status != ConversationStatus.RESOLVED:
        return
    if change.from_owner is None or change.from_owner.is_bot:
        return  # the bot's own close, or nobody's: no rating to ask
    team = conversation.team
    if team is None or not team.on_resolve_flow:
        return
    # local import: bots.tasks runs these actions, so it imports this module
    from baton.bots.tasks import run_flow_on_resolve

    run_flow_on_resolve.enqueue(conversation.pk, team.on_resolve_flow)


def do_run_flow_on_resolve(conversation_id: int, flow_name: str) -> BotSession | None:
    """The team's on-resolve flow takes the conversation it was queued for, if it is still
    resolved (a customer writing meanwhile reopened it: then there is nothing to do)."""
    flow = get_enabled_flow(flow_name)
    if flow is None:
        return None
    with transaction.atomic():
        conversation = lock_for_bot(conversation_id)
        if conversation.status != ConversationStatus.RESOLVED:
            return None
        team = conversation.team
        return _start(
            conversation,
            flow,
            actor=None,
            kind=EventKind.BOT_RETURNED,
            reason=f"team {team.name if team else '-'} runs flow “{flow.name}” on resolve",
        )


def _start(
    conversation: Conversation,
    flow: Flow,
    *,
    actor: User | None,
    kind: EventKind,
    reason: str,
    message: Message | None = None,
) -> BotSession:
    bot = ensure_bot_user()
    version = flow.current_version
    if version is None:
        raise InvalidInput(f"The flow {flow.name!r} has no version.")
    _end_sessions(conversation, SessionState.CANCELLED, "another flow started")
    move_to_bot(
        conversation,
        bot,
        actor=actor,
        kind=kind,
        reason=reason,
        data={"flow": flow.name, "version": version.number},
    )
    session = BotSession.objects.create(
        conversation=conversation,
        flow_version=version,
        bot=bot,
        started_by=actor if actor is not None and actor.pk else None,
    )
    session.flow_version = version
    session.bot = bot
    _run(session, conversation, engine.Start(), message)
    return session


# ------------------------------------------------------------------------------------------
# Steps


def run_step_for_message(conversation: Conversation, message: Message, event: Any) -> bool:
    """The customer answered the bot. Precondition: in the ingest transaction with the
    conversation row locked (``open_conversation_for``)."""
    if conversation.status != ConversationStatus.BOT:
        return False
    session = get_active_session(conversation.pk)
    if session is None or conversation.owner_id != session.bot_id:
        return False
    _run(session, conversation, event, message)
    return True


def do_fire_bot_timeout(session_id: int, now: datetime | None = None) -> bool:
    """The wait of a session ran out: take its ``on_timeout``. Idempotent: a session that
    moved on, ended, or whose wait is not yet over is left alone."""
    conversation_id = (
        BotSession.objects.filter(pk=session_id).values_list("conversation_id", flat=True).first()
    )
    if conversation_id is None:
        return False
    with transaction.atomic():
        # The conversation row is the lock a person's takeover and the ingest take too.
        conversation = lock_for_bot(conversation_id)
        now = now or timezone.now()
        session = get_active_session(conversation_id)
        if (
            session is None
            or session.pk != session_id
            or session.waiting_until is None
            or session.waiting_until > now
        ):
            return False
        if conversation.status != ConversationStatus.BOT or conversation.owner_id != session.bot_id:
            _end_session(session, SessionState.CANCELLED, "the bot no longer holds it")
            return False
        _run(session, conversation, engine.Timeout(session.step), None)
        return True


def do_fire_bot_timeouts(
    now: datetime | None = None, *, limit: int = 500, max_seconds: float = 1.0
) -> int:
    """Every session whose wait is over, oldest first, one transaction each (any number of
    workers: each firing re-checks under the conversation lock)."""
    started = timezone.now()
    due = list(
        BotSession.objects.filter(state=SessionState.ACTIVE, waiting_until__lte=now or started)
        .order_by("waiting_until")
        .values_list("pk", flat=True)[:limit]
    )
    fired = 0
    for session_id in due:
        fired += do_fire_bot_timeout(session_id, now)
        if (timezone.now() - started).total_seconds() > max_seconds:
            break
    return fired


def _run(
    session: BotSession, conversation: Conversation, event: Any, message: Message | None
) -> None:
    """Advance the engine and apply what it decided. The caller holds the row lock and
    has checked that the bot owns the conversation."""
    flow = definition_of(session)
    now = timezone.now()
    context = context_for(conversation, message, flow, now)
    new_state, actions = engine.advance(flow, state_of(session), event, context)
    applier = _Applier(session, conversation, flow, new_state, now)
    for action in actions:
        applier.apply(action)
    if applier.unreachable and applier.ended is None:
        # The bot could not say what it meant to (the 24-hour window is closed): a bot
        # waiting for an answer to a message nobody received would hold the customer
        # forever. People can still reach them with a template.
        applier.apply(
            engine.Handoff(
                team=None,
                agent=None,
                note="",
                fields=dict(new_state.fields),
                reason="the 24-hour window is closed: the bot cannot answer",
            )
        )
    applier.save()


class _Applier:
    """Applies one step's actions, in order, then stores the session."""

    def __init__(
        self,
        session: BotSession,
        conversation: Conversation,
        flow: FlowDefinition,
        state: engine.SessionState,
        now: datetime,
    ) -> None:
        self.session = session
        self.conversation = conversation
        self.flow = flow
        self.state = state
        self.now = now
        self.bot = session.bot
        self.waiting_until: datetime | None = None
        self.ended: tuple[str, str] | None = None
        self.unreachable = False  # a message of this step could not be sent

    def apply(self, action: engine.BotAction) -> None:
        match action:
            case engine.SendText(text=text):
                self.send(text=text)
            case engine.SendButtons(text=text, buttons=buttons):
                self.send(interactive=buttons_body(text, [(b.id, b.title) for b in buttons]))
            case engine.SendList(text=text, button=button, rows=rows):
                options = [(r.id, r.title, r.description) for r in rows]
                self.send(interactive=list_body(text, button, options))
            case engine.SendTemplate(name=name, language=language):
                self.send(template={"name": name, "language": language})
            case engine.SaveField():
                pass  # kept in the session; written to the conversation at the handoff
            case engine.WaitFor(timeout_seconds=seconds):
                self.waiting_until = self.now + timedelta(seconds=seconds) if seconds else None
            case engine.Handoff():
                self.hand_off(action)
            case engine.Close(text=text):
                if text:
                    self.send(text=text)
                self.close()
            case engine.RecordCsat(score=score, comment=comment):
                record_csat(self.conversation, self.session, score=score, comment=comment)
            case engine.SkipCsat(reason=reason):
                record_csat(self.conversation, self.session, score=None, skipped=reason)

    def send(self, **kwargs: Any) -> None:
        if self.conversation.owner_id != self.bot.pk:
            return  # handed off earlier in this step: the bot says nothing more
        if "template" not in kwargs and not self.conversation.window_is_open(self.now):
            logger.info("bot: window closed, not sending to #%s", self.conversation.pk)
            self.unreachable = True
            return
        do_queue_outbound_message(self.conversation, self.bot, **kwargs)

    def hand_off(self, action: engine.Handoff) -> None:
        conversation = self.conversation
        reason = action.reason
        # The session ends first, so that the move's reactions find nothing to cancel.
        self.end(SessionState.HANDED_OFF, reason)
        if action.fields:
            attributes = {**(conversation.attributes or {}), **action.fields}
            Conversation.objects.filter(pk=conversation.pk).update(attributes=attributes)
            conversation.attributes = attributes
        team_name = action.team or (self.flow.escape_team if action.to_last_owner else None)
        team = Team.objects.filter(name=team_name).first() if team_name else None
        preferred = None
        if action.agent:
            preferred = User.objects.filter(username=action.agent, is_active=True).first()
        elif action.to_last_owner and conversation.last_owner_id:
            preferred = conversation.last_owner
        if preferred is not None and preferred.is_bot:
            preferred = None
        summary = action.note or reason
        move_from_bot(
            conversation,
            bot=self.bot,
            team=team,
            preferred_agent=preferred,
            reason=f"handed off by bot: {summary}"[:500],
            note=action.note,
            data={
                "flow": self.flow.name,
                "why": reason,
                "fields": dict(action.fields),
                "path": list(self.state.path),
                "to_agent": preferred.username if preferred else None,
            },
        )
        # The customer waits for a person from now on (the bot's messages answered them).
        Conversation.objects.filter(pk=conversation.pk).update(waiting_since=self.now)
        conversation.waiting_since = self.now
        if action.note:
            do_add_note(conversation, self.bot, action.note)

    def close(self) -> None:
        self.end(SessionState.CLOSED, "the flow closed the conversation")
        if self.state.fields:
            attributes = {**(self.conversation.attributes or {}), **self.state.fields}
            Conversation.objects.filter(pk=self.conversation.pk).update(attributes=attributes)
            self.conversation.attributes = attributes
        resolve_by_bot(self.conversation, self.bot, f"closed by bot flow “{self.flow.name}”")

    def end(self, state: SessionState, reason: str) -> None:
        self.ended = (state, reason)
        self.save()

    def save(self) -> None:
        state = self.state
        fields: dict[str, Any] = {
            "step": state.step or "",
            "fields": dict(state.fields),
            "path": list(state.path),
            "answers": [list(pair) for pair in state.answers],
            "retries": state.retries,
            "phase": state.phase,
            "pending_score": state.score,
            "waiting_until": self.waiting_until if self.ended is None else None,
        }
        if self.ended is not None:
            fields.update(state=self.ended[0], end_reason=self.ended[1][:500], ended_at=self.now)
        BotSession.objects.filter(pk=self.session.pk).update(**fields)
        for key, value in fields.items():
            setattr(self.session, key, value)


# ------------------------------------------------------------------------------------------
# Ending sessions when people move the conversation


def cancel_sessions_after_move(change: ConversationMoved) -> None:
    """A person took the conversation from the bot (claim, assign, take over …): the flow
    and its pending timeout end here, in the move's transaction."""
    conversation = change.conversation
    owner = conversation.owner
    if conversation.status == ConversationStatus.BOT and owner is not None and owner.is_bot:
        return
    _end_sessions(conversation, SessionState.CANCELLED, f"{change.kind.replace('_', ' ')}")


def _end_sessions(conversation: Conversation, state: SessionState, reason: str) -> int:
    return BotSession.objects.filter(
        conversation_id=conversation.pk, state=SessionState.ACTIVE
    ).update(state=state, end_reason=reason[:500], ended_at=timezone.now(), waiting_until=None)


def _end_session(session: BotSession, state: SessionState, reason: str) -> None:
    BotSession.objects.filter(pk=session.pk, state=SessionState.ACTIVE).update(
        state=state, end_reason=reason[:500], ended_at=timezone.now(), waiting_until=None
    )


# ------------------------------------------------------------------------------------------
# CSAT


def record_csat(
    conversation: Conversation,
    session: BotSession | None,
    *,
    score: int | None,
    comment: str = "",
    skipped: str = "",
) -> CsatResponse:
    """Record a rating (or why none was asked), credited to the last person who owned the
    conversation and to everyone who held it; a low score alerts the team's managers."""
    people = people_who_held(conversation)
    last = conversation.last_owner if conversation.last_owner_id else None
    if last is not None and last.is_bot:
        last = None
    response = CsatResponse.objects.create(
        conversation=conversation,
        contact_id=conversation.contact_id,
        session=session,
        score=score,
        comment=comment,
        skipped_reason=skipped[:200],
        last_agent=last,
        team_id=conversation.team_id,
    )
    response.agents.set(people)
    usernames = [person.username for person in people]
    record_event(
        EventKind.CSAT,
        conversation=conversation,
        actor=session.bot if session is not None else None,
        reason=f"rated {score}/5" if score is not None else f"rating not asked: {skipped}",
        note=comment,
        data={"score": score, "agents": usernames, "skipped": skipped or None},
    )
    if score is not None and score <= LOW_SCORE:
        name = conversation.contact.display_name
        groups = (
            [team_managers_group(conversation.team_id)]
            if conversation.team_id
            else [MANAGERS_GROUP]
        )
        send_event_on_commit(
            CsatLow(
                conversation_id=conversation.pk,
                score=score,
                comment=comment,
                agents=usernames,
                text=f"{name} rated conversation #{conversation.pk} {score}/5",
            ),
            groups,
        )
    return response


# ------------------------------------------------------------------------------------------
# External agent bots (docs/agent-bot.md)


def do_create_agent_bot(
    username: str,
    webhook_url: str,
    actor: User | None,
    *,
    greets_new_conversations: bool = False,
    inbox: Any = None,
    display_name: str = "",
) -> tuple[AgentBot, str, str]:
    """A bot user without a flow whose conversations' events go to ``webhook_url``.

    Returns the agent bot, its signing secret and its API token (both shown once)."""
    try:
        URLValidator(schemes=["http", "https"])(webhook_url)
    except ValidationError as exc:
        raise InvalidInput(f"{webhook_url!r} is not an http(s) URL.") from exc
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise InvalidInput(f"A user named {username!r} already exists.")
        user = User(username=username, role=Role.BOT, display_name=display_name or username)
        user.set_unusable_password()
        user.save()
        secret = secrets.token_urlsafe(32)
        agent = AgentBot.objects.create(
            user=user,
            webhook_url=webhook_url,
            secret=secret,
            greets_new_conversations=greets_new_conversations,
            inbox=inbox,
        )
        token = do_create_api_token(user)
        record_config_change(
            actor,
            agent,
            "created",
            {"webhook_url": webhook_url, "greets_new_conversations": greets_new_conversations},
        )
    return agent, secret, token


def start_agent_bot_for_new_conversation(conversation: Conversation, message: Message) -> bool:
    """A new conversation no flow greets goes to the agent bot that greets its inbox's new
    conversations, if any. Precondition: as ``start_for_new_conversation``."""
    agent = get_greeting_agent_bot(conversation.inbox_id)
    if agent is None or conversation.status != ConversationStatus.QUEUED:
        return False
    move_to_bot(
        conversation,
        agent.user,
        actor=None,
        kind=EventKind.BOT_STARTED,
        reason=f"agent bot {agent.user.username} greets new conversations",
        data={"agent_bot": agent.user.username},
    )
    queue_agent_bot_event(conversation, message, opened="created")
    return True


def queue_agent_bot_event(
    conversation: Conversation, message: Message, *, opened: str = "existing"
) -> bool:
    """The customer wrote in a conversation an agent bot owns: queue the signed POST of a
    ``message.received`` event, in the ingest's transaction (it commits with the message).
    """
    if conversation.status != ConversationStatus.BOT or conversation.owner_id is None:
        return False
    agent = AgentBot.objects.filter(user_id=conversation.owner_id, enabled=True).first()
    if agent is None:
        return False
    contact = conversation.contact
    payload = event_payload(
        "message.received",
        str(uuid.uuid4()),
        conversation={
            "id": conversation.pk,
            "status": conversation.status,
            "opened": opened,
            "team": conversation.team.name if conversation.team else None,
            "language": conversation.language,
            "attributes": conversation.attributes or {},
            "contact": {
                "wa_id": contact.wa_id,
                "user_id": contact.user_id,
                "name": contact.profile_name,
            },
        },
        message={
            "id": message.pk,
            "wamid": message.wamid,
            "type": message.type,
            "text": message.text,
            "content": message.content,
            "created_at": message.created_at.isoformat(),
        },
    )
    # local import: bots.tasks runs these actions, so it imports this module
    from baton.bots.tasks import deliver_agent_bot_event

    deliver_agent_bot_event.enqueue(agent.pk, payload, 1)
    return True
