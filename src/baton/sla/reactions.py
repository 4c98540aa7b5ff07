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
)
from baton.core.reactions import Slot, register
from baton.sla.actions import do_refresh_sla


def refresh_on_message(change: MessageReceived) -> None:
    do_refresh_sla(change.conversation)


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
