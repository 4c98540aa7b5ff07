"""What routing does when conversations or agents change: it subscribes, nobody calls it.

Registered in ``RoutingConfig.ready()`` in the ``ROUTING`` slot of ``core.reactions``; each
subscriber runs in the transaction of the change, so the assignment task it queues commits
or rolls back with it (a crash can never lose an assignment run).
"""

from __future__ import annotations

from django.utils import timezone

from baton.agents.changes import PresenceChanged
from baton.agents.models import Presence, Team, User
from baton.conversations.actions import register_availability_check
from baton.conversations.changes import (
    ConversationCreated,
    ConversationMoved,
    MessageReceived,
    Opened,
)
from baton.conversations.models import ConversationStatus
from baton.core.reactions import Slot, register
from baton.routing.candidates import is_agent_assignable
from baton.routing.rule_actions import do_apply_routing_rules
from baton.routing.tasks import request_assignment


def apply_rules_to_new_conversation(change: ConversationCreated) -> None:
    do_apply_routing_rules(change.conversation, change.message)


def assign_reopened_or_new(change: MessageReceived) -> None:
    """A conversation (re)opened into its team's queue waits for an agent."""
    conversation = change.conversation
    if change.opened != Opened.EXISTING and conversation.status == ConversationStatus.QUEUED:
        request_assignment([conversation.team_id])


def assign_after_move(change: ConversationMoved) -> None:
    """Work was queued or capacity freed: run assignment for the teams concerned (oldest
    waiting first, chatwoot#10583)."""
    conversation, from_owner = change.conversation, change.from_owner
    team_ids: set[int | None] = set()
    if conversation.status == ConversationStatus.QUEUED:
        team_ids.add(conversation.team_id)
    if from_owner is not None and change.owner_changed:
        team_ids.update(from_owner.memberships.values_list("team_id", flat=True))
    if team_ids - {None}:
        request_assignment(team_ids)


def assign_to_available_agent(change: PresenceChanged) -> None:
    if change.presence == Presence.AVAILABLE:
        request_assignment(change.team_ids)


def may_be_handed_work(user: User, team: Team | None) -> bool:
    """Shift and capacity, checked with the agent's row locked as the engine does."""
    return is_agent_assignable(user, team, timezone.now(), lock=True)


def register_reactions() -> None:
    register(ConversationCreated, apply_rules_to_new_conversation, Slot.ROUTING)
    register(MessageReceived, assign_reopened_or_new, Slot.ROUTING)
    register(ConversationMoved, assign_after_move, Slot.ROUTING)
    register(PresenceChanged, assign_to_available_agent, Slot.ROUTING)
    register_availability_check(may_be_handed_work)
