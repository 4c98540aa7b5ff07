"""Change records the conversations domain announces, in the writer's transaction.

Subscribers (routing today; bots and SLA later) register for them in ``AppConfig.ready()``
through ``core.reactions``; this app never imports its subscribers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from baton.agents.models import User
from baton.conversations.models import Conversation, Message


class Opened(StrEnum):
    """How an inbound message found its conversation."""

    EXISTING = "existing"  # an open conversation continues
    REOPENED = "reopened"  # a resolved one, back to its last owner or queue
    CREATED = "created"  # a brand-new conversation: routing rules decide where it goes


@dataclass(frozen=True)
class ConversationCreated:
    """A customer's first message opened a new conversation; announced before any live
    event is queued, so that a subscriber's changes (a rule's team) are what is seen first."""

    conversation: Conversation
    message: Message


@dataclass(frozen=True)
class MessageReceived:
    """An inbound message was stored and its conversation updated."""

    conversation: Conversation
    message: Message
    opened: Opened


@dataclass(frozen=True)
class HumanReplied:
    """A person (not a bot) queued a customer-visible message."""

    conversation: Conversation
    message: Message


@dataclass(frozen=True)
class ConversationMoved:
    """One lifecycle move (claim, assign, handoff, release, resolve …) was applied.

    Owner, status and team changes all travel in this one record: a move often changes
    several at once; `owner_changed` says whether the owner did.
    """

    conversation: Conversation
    kind: str
    from_owner: User | None
    from_status: str
    from_team_id: int | None

    @property
    def owner_changed(self) -> bool:
        return self.from_owner != self.conversation.owner


@dataclass(frozen=True)
class ConversationTagged:
    """Priority or labels changed (``fields`` names which): what an SLA policy's
    conditions read, so its choice may change."""

    conversation: Conversation
    fields: tuple[str, ...]
