"""What assist does when the domain announces a change: it subscribes, nobody calls it.

Classification never runs on the ingest path: the subscriber only enqueues a task in the
ingest transaction (the task row commits, or rolls back, with the message). Registered in
the ``SLA`` slot, after ownership is settled, since nothing below waits for it.
"""

from __future__ import annotations

from baton.assist.queries import intent_of_opening_message
from baton.assist.tasks import classify_message
from baton.conversations.changes import MessageReceived
from baton.core.reactions import Slot, register
from baton.routing.queries import register_intent_reader


def classify_after_commit(change: MessageReceived) -> None:
    message = change.message
    if message.text.strip():
        classify_message.enqueue(message.pk)


def register_reactions() -> None:
    register(MessageReceived, classify_after_commit, Slot.SLA)
    register_intent_reader(intent_of_opening_message)
