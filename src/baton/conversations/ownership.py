"""Ownership actions: claim, assign, hand off, accept/decline, release, take over, resolve…

Each ``do_*`` runs in one transaction: it locks the conversation row (``SELECT … FOR
UPDATE`` on PostgreSQL; SQLite's single writer does the same job), checks who may act and
which move the lifecycle table allows, changes the row, appends the audit event, and queues
the live event for after commit. Refusals are domain errors: a lost race is a 409 that names
the owner.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from baton.agents.models import Role, Team, User
from baton.conversations import lifecycle
from baton.conversations.audit import record_event
from baton.conversations.changes import ConversationMoved
from baton.conversations.lifecycle import Action
from baton.conversations.models import (
    Conversation,
    ConversationStatus,
    EventKind,
    Handoff,
    HandoffStatus,
)
from baton.conversations.notify import notify_conversation
from baton.conversations.queries import is_manager_of, owner_label
from baton.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from baton.core.reactions import dispatch
from baton.realtime.event_types import (
    ConversationGone,
    ConversationUpdated,
    HandoffDeclined,
    HandoffRequested,
)
from baton.realtime.events import EventType, send_event_on_commit, user_group

KEEP: Any = object()


def lock_conversation(conversation_id: int) -> Conversation:
    """Lock the conversation row, then read it with its relations.

    Two statements on purpose: on PostgreSQL, a ``SELECT … FOR UPDATE`` that waited for
    another transaction returns the new row, but columns joined from other tables can still
    come from the old snapshot (we saw a stale owner after a concurrent take-over). The
    second statement runs after the lock is ours and sees everything committed.
    """
    locked = (
        Conversation.objects.select_for_update()
        .filter(pk=conversation_id)
        .values_list("pk", flat=True)
    )
    if not locked:
        raise NotFound(f"Conversation {conversation_id} does not exist.")
    return Conversation.objects.select_related("owner", "team", "contact", "inbox").get(
        pk=conversation_id
    )


def _lock_new_owner(user: User) -> None:
    """Lock the row of the person about to take a conversation, before the conversation.

    The assignment engine counts an agent's open conversations under this same row lock
    (order: team, agents, conversation), so a claim racing an automatic assignment is seen
    by it or waits: the agent never ends up above capacity.
    """
    User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk").first()


def _owned_by_someone_else(conversation: Conversation, actor: User) -> Conflict:
    owner = conversation.owner
    return Conflict(
        f"Conversation {conversation.pk} is owned by {owner_label(owner)}. "
        "Ask them for a handoff, or ask a manager to take it over.",
        owner=owner.username if owner else None,
    )


def apply_move(
    conversation: Conversation,
    action: Action,
    *,
    actor: User | None,
    kind: EventKind,
    owner: Any = KEEP,
    team: Any = KEEP,
    reason: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Conversation:
    """Apply one lifecycle move to a conversation whose row the caller has locked."""
    try:
        new_status = lifecycle.next_status(conversation.status, action)
    except lifecycle.InvalidTransition as exc:
        raise Conflict(str(exc).capitalize() + ".", status=conversation.status) from exc
    from_owner = conversation.owner
    from_status = conversation.status
    from_team_id = conversation.team_id
    fields: dict[str, Any] = {"status": new_status, **(extra or {})}
    if owner is not KEEP:
        fields["owner"] = owner
    if team is not KEEP:
        fields["team"] = team
    if new_status != ConversationStatus.SNOOZED:
        fields.setdefault("snoozed_until", None)
    if new_status == ConversationStatus.RESOLVED:
        fields["resolved_at"] = timezone.now()
        fields["last_owner"] = from_owner
        fields["owner"] = None
    # Compare-and-set on what we read under the lock: belt and braces on SQLite.
    updated = Conversation.objects.filter(
        pk=conversation.pk, status=from_status, owner=from_owner
    ).update(**fields)
    if not updated:
        raise Conflict("The conversation changed meanwhile; reload and try again.")
    for key, value in fields.items():
        setattr(conversation, key, value)
    record_event(
        kind,
        conversation=conversation,
        actor=actor,
        from_owner=from_owner,
        to_owner=conversation.owner,
        to_team=team if isinstance(team, Team) else None,
        from_status=from_status,
        to_status=new_status,
        reason=reason,
        note=note,
        data=data or {},
    )
    if from_owner is not None and from_owner != conversation.owner:
        # The previous owner must hear that it left their queue.
        send_event_on_commit(
            ConversationUpdated(conversation=ConversationGone(id=conversation.pk, owner=None)),
            [user_group(from_owner.pk)],
        )
    notify_conversation(conversation, EventType.CONVERSATION_UPDATED)
    dispatch(ConversationMoved(conversation, kind, from_owner, from_status, from_team_id))
    return conversation


def _require_agent(user: User) -> None:
    if not user.is_active or user.role == Role.BOT:
        raise PermissionDenied("Only active people can own conversations this way.")


def do_claim_conversation(conversation_id: int, actor: User) -> Conversation:
    """An agent takes an unassigned conversation of their team. Exactly one of N wins."""
    _require_agent(actor)
    with transaction.atomic():
        _lock_new_owner(actor)
        conversation = lock_conversation(conversation_id)
        if conversation.owner_id is not None and not _held_by_bot(conversation):
            if conversation.owner_id == actor.pk:
                return conversation
            raise _owned_by_someone_else(conversation, actor)
        if not (is_manager_of(actor, conversation.team) or _in_team(actor, conversation.team)):
            raise PermissionDenied("You can only claim conversations from your teams' queues.")
        return apply_move(
            conversation, Action.CLAIM, actor=actor, kind=EventKind.CLAIMED, owner=actor
        )


def _held_by_bot(conversation: Conversation) -> bool:
    """A bot runs this conversation: any person of its team may take it (a claim)."""
    owner = conversation.owner
    return conversation.status == ConversationStatus.BOT and owner is not None and owner.is_bot


def _in_team(user: User, team: Team | None) -> bool:
    if team is None:
        return True
    return user.memberships.filter(team=team).exists()


def _resolve_agent(username: str) -> User:
    agent = User.objects.filter(username=username).first()
    if agent is None:
        raise InvalidInput(f"No user {username!r}.")
    if not agent.is_active or agent.role == Role.BOT:
        raise InvalidInput(f"{username} cannot own conversations.")
    return agent


def do_assign_conversation(
    conversation_id: int, actor: User, username: str, note: str = ""
) -> Conversation:
    """A manager gives a conversation to an agent."""
    agent = _resolve_agent(username)
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        if not is_manager_of(actor, conversation.team):
            raise PermissionDenied("Only a manager of this team can assign conversations.")
        if conversation.owner_id == agent.pk:
            return conversation
        cancel_pending_handoff(conversation, actor, "reassigned by a manager")
        return apply_move(
            conversation,
            Action.ASSIGN,
            actor=actor,
            kind=EventKind.ASSIGNED,
            owner=agent,
            note=note,
            extra={"last_owner": conversation.owner} if conversation.owner else None,
        )


def do_take_over_conversation(
    conversation_id: int, actor: User, reason: str = "", note: str = ""
) -> Conversation:
    """A manager forcibly becomes the owner. Always recorded."""
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        if not is_manager_of(actor, conversation.team):
            raise PermissionDenied("Only a manager of this team can take a conversation over.")
        if conversation.owner_id == actor.pk:
            return conversation
        cancel_pending_handoff(conversation, actor, "taken over by a manager")
        return apply_move(
            conversation,
            Action.TAKE_OVER,
            actor=actor,
            kind=EventKind.TAKEN_OVER,
            owner=actor,
            reason=reason,
            note=note,
        )


def _require_owner_or_manager(conversation: Conversation, actor: User, doing: str) -> None:
    if conversation.owner_id == actor.pk or is_manager_of(actor, conversation.team):
        return
    if conversation.owner_id is not None:
        raise _owned_by_someone_else(conversation, actor)
    raise PermissionDenied(f"Only the owner or a manager can {doing} this conversation.")


def do_handoff_conversation(
    conversation_id: int,
    actor: User,
    *,
    to_username: str | None = None,
    to_team_name: str | None = None,
    reason: str,
    note: str = "",
) -> Conversation | Handoff:
    """The owner passes the conversation on, with a reason.

    To a team: it goes straight back to that team's queue. To an agent: it stays with the
    owner (still locked to them) until the receiver accepts; declined or expired, it stays.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A handoff needs a reason.")
    if bool(to_username) == bool(to_team_name):
        raise InvalidInput('Hand off either "to_agent" or "to_team".')
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        if conversation.owner_id != actor.pk:
            if conversation.owner_id is None:
                raise Conflict("Only the owner can hand off; this conversation is unassigned.")
            raise _owned_by_someone_else(conversation, actor)
        if actor.is_bot and conversation.status == ConversationStatus.BOT:
            # An external agent bot hands over to people: to a team's queue, or to the
            # queue with an agent preferred — the same move as a flow's handoff step.
            team = None
            if to_team_name:
                team = Team.objects.filter(name=to_team_name).first()
                if team is None:
                    raise InvalidInput(f"No team {to_team_name!r}.")
            return move_from_bot(
                conversation,
                bot=actor,
                team=team,
                preferred_agent=_resolve_agent(to_username) if to_username else None,
                reason=f"handed off by bot: {reason}"[:500],
                note=note,
                data={"why": reason},
            )
        if to_team_name:
            team = Team.objects.filter(name=to_team_name).first()
            if team is None:
                raise InvalidInput(f"No team {to_team_name!r}.")
            cancel_pending_handoff(conversation, actor, "handed to a team instead")
            return apply_move(
                conversation,
                Action.HAND_TO_TEAM,
                actor=actor,
                kind=EventKind.HANDED_TO_TEAM,
                owner=None,
                team=team,
                reason=reason,
                note=note,
                extra={"last_owner": actor},
            )
        receiver = _resolve_agent(to_username or "")
        if receiver.pk == actor.pk:
            raise InvalidInput("You already own this conversation.")
        if not lifecycle.is_allowed(conversation.status, Action.ACCEPT_HANDOFF):
            raise Conflict(f"A {conversation.status} conversation cannot be handed off.")
        if Handoff.objects.filter(conversation=conversation, status=HandoffStatus.PENDING).exists():
            raise Conflict("A handoff of this conversation is already waiting for an answer.")
        timeout = conversation.team.handoff_timeout_seconds if conversation.team else 600
        now = timezone.now()
        handoff = Handoff.objects.create(
            conversation=conversation,
            from_user=actor,
            to_user=receiver,
            requested_by=actor,
            reason=reason,
            note=note,
            created_at=now,
            expires_at=now + timedelta(seconds=timeout),
        )
        record_event(
            EventKind.HANDOFF_REQUESTED,
            conversation=conversation,
            actor=actor,
            from_owner=actor,
            to_owner=receiver,
            from_status=conversation.status,
            to_status=conversation.status,
            reason=reason,
            note=note,
            data={"handoff_id": handoff.pk, "expires_at": handoff.expires_at.isoformat()},
        )
        # local import: conversations.tasks runs these actions, so it imports this module
        from baton.conversations.tasks import expire_handoff

        expire_handoff.using(run_after=handoff.expires_at).enqueue(handoff.pk)
        notify_conversation(conversation, EventType.CONVERSATION_UPDATED)
        send_event_on_commit(
            HandoffRequested.model_validate(
                {
                    "conversation_id": conversation.pk,
                    "handoff_id": handoff.pk,
                    "from": actor.username,
                }
            ),
            [user_group(receiver.pk)],
        )
        return handoff


def pending_handoff(conversation: Conversation) -> Handoff | None:
    return (
        Handoff.objects.select_for_update()
        .filter(conversation=conversation, status=HandoffStatus.PENDING)
        .first()
    )


def _close_handoff(handoff: Handoff, status: HandoffStatus, reason: str = "") -> None:
    now = timezone.now()
    Handoff.objects.filter(pk=handoff.pk, status=HandoffStatus.PENDING).update(
        status=status, responded_at=now, response_reason=reason
    )
    handoff.status = status
    handoff.responded_at = now
    handoff.response_reason = reason


def cancel_pending_handoff(conversation: Conversation, actor: User, why: str) -> None:
    handoff = pending_handoff(conversation)
    if handoff is not None:
        _close_handoff(handoff, HandoffStatus.CANCELLED, why)


def do_accept_handoff(conversation_id: int, actor: User) -> Conversation:
    with transaction.atomic():
        _lock_new_owner(actor)
        conversation = lock_conversation(conversation_id)
        handoff = pending_handoff(conversation)
        if handoff is None or handoff.to_user_id != actor.pk:
            raise Conflict("There is no handoff of this conversation waiting for you.")
        if conversation.owner_id != handoff.from_user_id:
            # The conversation moved (taken over, reassigned) since the offer was made.
            _close_handoff(handoff, HandoffStatus.CANCELLED, "the conversation changed owner")
            raise _owned_by_someone_else(conversation, actor)
        _close_handoff(handoff, HandoffStatus.ACCEPTED)
        return apply_move(
            conversation,
            Action.ACCEPT_HANDOFF,
            actor=actor,
            kind=EventKind.HANDOFF_ACCEPTED,
            owner=actor,
            reason=handoff.reason,
            note=handoff.note,
            data={
                "handoff_id": handoff.pk,
                "seconds_to_accept": handoff.seconds_to_respond,
                "requested_by": handoff.from_user.username,
            },
            extra={"last_owner": handoff.from_user},
        )


def do_decline_handoff(conversation_id: int, actor: User, reason: str) -> Handoff:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why you decline, so the sender knows what to do.")
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        handoff = pending_handoff(conversation)
        if handoff is None or handoff.to_user_id != actor.pk:
            raise Conflict("There is no handoff of this conversation waiting for you.")
        _close_handoff(handoff, HandoffStatus.DECLINED, reason)
        record_event(
            EventKind.HANDOFF_DECLINED,
            conversation=conversation,
            actor=actor,
            from_owner=handoff.from_user,
            to_owner=handoff.from_user,
            from_status=conversation.status,
            to_status=conversation.status,
            reason=reason,
            data={"handoff_id": handoff.pk, "seconds_to_respond": handoff.seconds_to_respond},
        )
        notify_conversation(conversation, EventType.CONVERSATION_UPDATED)
        send_event_on_commit(
            HandoffDeclined(conversation_id=conversation.pk, by=actor.username, reason=reason),
            [user_group(handoff.from_user_id)],
        )
        return handoff


def do_expire_handoff(handoff_id: int) -> bool:
    """A handoff nobody answered in time: it returns to the sender, managers are told."""
    with transaction.atomic():
        handoff = Handoff.objects.filter(pk=handoff_id).first()
        if handoff is None or handoff.status != HandoffStatus.PENDING:
            return False
        conversation = lock_conversation(handoff.conversation_id)
        handoff = pending_handoff(conversation)
        if handoff is None or handoff.pk != handoff_id or handoff.expires_at > timezone.now():
            return False
        _close_handoff(handoff, HandoffStatus.EXPIRED, "not accepted in time")
        record_event(
            EventKind.HANDOFF_EXPIRED,
            conversation=conversation,
            from_owner=handoff.from_user,
            to_owner=handoff.from_user,
            from_status=conversation.status,
            to_status=conversation.status,
            reason="not accepted in time",
            data={"handoff_id": handoff.pk, "offered_to": handoff.to_user.username},
        )
        notify_conversation(conversation, EventType.CONVERSATION_UPDATED)
        return True


def do_release_conversation(conversation_id: int, actor: User, note: str = "") -> Conversation:
    """The owner puts the conversation back in the team queue."""
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        if conversation.owner_id != actor.pk:
            raise _owned_by_someone_else(conversation, actor)
        cancel_pending_handoff(conversation, actor, "released to the queue")
        return apply_move(
            conversation,
            Action.RELEASE,
            actor=actor,
            kind=EventKind.RELEASED,
            owner=None,
            note=note,
            extra={"last_owner": actor},
        )


def do_resolve_conversation(conversation_id: int, actor: User, note: str = "") -> Conversation:
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        _require_owner_or_manager(conversation, actor, "resolve")
        cancel_pending_handoff(conversation, actor, "resolved")
        return apply_move(
            conversation, Action.RESOLVE, actor=actor, kind=EventKind.RESOLVED, note=note
        )


def do_reopen_conversation(
    conversation_id: int, actor: User | None, note: str = ""
) -> Conversation:
    """Reopen a resolved conversation into its team's queue."""
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        newer = (
            Conversation.objects.filter(inbox=conversation.inbox, contact=conversation.contact)
            .exclude(status=ConversationStatus.RESOLVED)
            .values_list("pk", flat=True)
            .first()
        )
        if newer is not None:
            raise Conflict(
                f"This customer already has an open conversation (#{newer}) on this number; "
                "continue there.",
                conversation_id=newer,
            )
        if actor is not None and not (
            is_manager_of(actor, conversation.team)
            or _in_team(actor, conversation.team)
            or conversation.last_owner_id == actor.pk
        ):
            raise PermissionDenied("You cannot reopen this conversation.")
        return apply_move(
            conversation, Action.REOPEN_TO_QUEUE, actor=actor, kind=EventKind.REOPENED, note=note
        )


def do_snooze_conversation(
    conversation_id: int, actor: User, until: datetime, note: str = ""
) -> Conversation:
    if until <= timezone.now():
        raise InvalidInput("Snooze until a time in the future.")
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        _require_owner_or_manager(conversation, actor, "snooze")
        moved = apply_move(
            conversation,
            Action.SNOOZE,
            actor=actor,
            kind=EventKind.SNOOZED,
            note=note,
            data={"until": until.isoformat()},
            extra={"snoozed_until": until},
        )
        # local import: conversations.tasks runs these actions, so it imports this module
        from baton.conversations.tasks import wake_up_conversation

        wake_up_conversation.using(run_after=until).enqueue(conversation.pk)
        return moved


def do_wake_up_conversation(conversation_id: int) -> bool:
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        if conversation.status != ConversationStatus.SNOOZED:
            return False
        if conversation.snoozed_until and conversation.snoozed_until > timezone.now():
            return False
        apply_move(conversation, Action.WAKE_UP, actor=None, kind=EventKind.WOKE_UP)
        return True


def do_set_pending(conversation_id: int, actor: User, note: str = "") -> Conversation:
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        _require_owner_or_manager(conversation, actor, "set pending")
        return apply_move(
            conversation, Action.SET_PENDING, actor=actor, kind=EventKind.PENDING, note=note
        )


# ------------------------------------------------------------------------------------------
# Bots: the moves a bot flow makes (the bots app decides when; these only apply them)


def move_to_bot(
    conversation: Conversation,
    bot: User,
    *,
    actor: User | None,
    kind: EventKind,
    reason: str,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> Conversation:
    """Give a conversation whose row the caller has locked to ``bot`` (status ``bot``).

    From the queue (a new conversation), from its human owner (a return to the bot) or
    from resolved (a closing flow): the human who held it stays as ``last_owner``, so a
    rating is credited to them and an answer the flow cannot take goes back to them.
    """
    if not bot.is_bot:
        raise InvalidInput(f"{bot.username} is not a bot.")
    extra: dict[str, Any] = {}
    if conversation.owner is not None and not conversation.owner.is_bot:
        extra["last_owner"] = conversation.owner
    if conversation.status == ConversationStatus.RESOLVED:
        newer = (
            Conversation.objects.filter(inbox=conversation.inbox, contact=conversation.contact)
            .exclude(status=ConversationStatus.RESOLVED)
            .values_list("pk", flat=True)
            .first()
        )
        if newer is not None:
            raise Conflict(
                f"This customer already has an open conversation (#{newer}) on this number.",
                conversation_id=newer,
            )
        extra["resolved_at"] = None
    cancel_pending_handoff(conversation, bot, "given to a bot")
    return apply_move(
        conversation,
        Action.TO_BOT,
        actor=actor,
        kind=kind,
        owner=bot,
        reason=reason,
        note=note,
        data=data,
        extra=extra,
    )


def move_from_bot(
    conversation: Conversation,
    *,
    bot: User,
    team: Team | None,
    preferred_agent: User | None = None,
    reason: str,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> Conversation:
    """The bot hands a conversation whose row the caller has locked to people: it waits in
    ``team``'s queue (its own team when None), where the assignment engine picks someone,
    ``preferred_agent`` first. The SLA first-response clock starts here."""
    if conversation.owner_id != bot.pk or conversation.status != ConversationStatus.BOT:
        raise Conflict("The bot no longer holds this conversation.")
    extra: dict[str, Any] = {}
    if preferred_agent is not None:
        extra["preferred_agent"] = preferred_agent
    return apply_move(
        conversation,
        Action.BOT_HANDOFF,
        actor=bot,
        kind=EventKind.BOT_HANDOFF,
        owner=None,
        team=team if team is not None else KEEP,
        reason=reason,
        note=note,
        data=data,
        extra=extra,
    )


def resolve_by_bot(conversation: Conversation, bot: User, reason: str) -> Conversation:
    """A flow's ``close`` step: the bot resolves the conversation it holds (row locked)."""
    if conversation.owner_id != bot.pk or conversation.status != ConversationStatus.BOT:
        raise Conflict("The bot no longer holds this conversation.")
    last_human = conversation.last_owner
    moved = apply_move(
        conversation, Action.RESOLVE, actor=bot, kind=EventKind.RESOLVED, reason=reason
    )
    if last_human is not None:
        # Resolving records the bot as last owner; a returning customer goes back to the
        # person who last helped them, not to the bot.
        Conversation.objects.filter(pk=moved.pk).update(last_owner=last_human)
        moved.last_owner = last_human
    return moved
