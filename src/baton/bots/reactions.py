"""What bots do when conversations change: they subscribe, nobody calls them.

Registered in ``BotsConfig.ready()`` in the ``BOTS`` slot of ``core.reactions``, ahead of
routing and SLA: a new conversation that a flow greets is the bot's before routing looks
for a person (routing queues only conversations still ``queued``), and the SLA clocks see
the bot as its owner (bot time is never charged to people).

``MessageReceived`` rather than ``ConversationCreated`` starts a flow: by then routing's
rules have set the team and the message has opened the 24-hour window the bot answers in.
"""

from __future__ import annotations

from baton.bots.actions import (
    cancel_sessions_after_move,
    queue_agent_bot_event,
    run_step_for_message,
    start_agent_bot_for_new_conversation,
    start_for_new_conversation,
    start_on_resolve,
)
from baton.bots.queries import input_of
from baton.conversations.changes import ConversationMoved, MessageReceived, Opened
from baton.conversations.models import ConversationStatus
from baton.core.reactions import Slot, register


def on_message(change: MessageReceived) -> None:
    conversation, message = change.conversation, change.message
    if change.opened == Opened.CREATED:
        if not start_for_new_conversation(conversation, message):
            start_agent_bot_for_new_conversation(conversation, message)
        return
    if conversation.status != ConversationStatus.BOT:
        return
    event = input_of(message)
    if event is not None and run_step_for_message(conversation, message, event):
        return
    # No flow holds it: an external agent bot may (its events go out by webhook).
    queue_agent_bot_event(conversation, message)


def on_move(change: ConversationMoved) -> None:
    cancel_sessions_after_move(change)
    start_on_resolve(change)


def register_reactions() -> None:
    register(MessageReceived, on_message, Slot.BOTS)
    register(ConversationMoved, on_move, Slot.BOTS)
