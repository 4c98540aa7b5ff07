"""What SLA does when conversations change: it subscribes, nobody calls it.

Registered in ``SlaConfig.ready()`` in the ``SLA`` slot of ``core.reactions``: after bots
and routing, so the clocks see the owner, team and priority the change settled on. Each
subscriber runs in the change's transaction, under the conversation row lock the change
took, so deadlines never lag the timeline.
"""

from __future__ import annotations

from baton.conversations.changes import (
    ConversationMoved,
    ConversationTagged,
    HumanReplied,
    MessageReceived,
    Opened,
)
from baton.core.reactions import Slot, register
from baton.sla.actions import do_refresh_sla, do_refresh_sla_on_message, do_start_sla


def refresh_on_message(change: MessageReceived) -> None:
    if change.opened == Opened.CREATED:
        do_start_sla(change.conversation, change.message)
    elif change.opened == Opened.EXISTING:
        do_refresh_sla_on_message(change.conversation, change.message)
    else:
        do_refresh_sla(change.conversation)  # reopened: a new cycle


def refresh_on_reply(change: HumanReplied) -> None:
    do_refresh_sla(change.conversation)


def refresh_on_move(change: ConversationMoved) -> None:
    do_refresh_sla(change.conversation)


def refresh_on_tag(change: ConversationTagged) -> None:
    do_refresh_sla(change.conversation)


def register_reactions() -> None:
    register(MessageReceived, refresh_on_message, Slot.SLA)
    register(HumanReplied, refresh_on_reply, Slot.SLA)
    register(ConversationMoved, refresh_on_move, Slot.SLA)
    register(ConversationTagged, refresh_on_tag, Slot.SLA)
