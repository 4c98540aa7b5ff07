"""The conversation lifecycle as one explicit transition table (pure: no I/O).

Every status change in Baton is ``next_status(current, action)``; anything not in the table
is refused. Ownership rules (who may do what) live in ``ownership.py``; this module only
says which moves exist.
"""

from __future__ import annotations

from enum import StrEnum

from baton.conversations.models import ConversationStatus as S


class Action(StrEnum):
    CLAIM = "claim"
    ASSIGN = "assign"
    # The assignment engine giving a queued conversation to an agent (routing.actions).
    AUTO_ASSIGN = "auto_assign"
    # Nobody in the team could take it in time: it moves to the fallback team's queue.
    OVERFLOW = "overflow"
    TAKE_OVER = "take_over"
    ACCEPT_HANDOFF = "accept_handoff"
    HAND_TO_TEAM = "hand_to_team"
    RELEASE = "release"
    RESOLVE = "resolve"
    REOPEN_TO_QUEUE = "reopen_to_queue"
    REOPEN_TO_OWNER = "reopen_to_owner"
    SNOOZE = "snooze"
    WAKE_UP = "wake_up"
    SET_PENDING = "set_pending"
    CUSTOMER_REPLIED = "customer_replied"
    # A bot flow takes the conversation: a new one, or handed back by a person (bots app).
    TO_BOT = "to_bot"
    # The bot hands the conversation to people: their queue (the assignment engine, with a
    # preferred agent when the flow names one, picks who).
    BOT_HANDOFF = "bot_handoff"


class InvalidTransition(Exception):
    def __init__(self, status: str, action: Action) -> None:
        super().__init__(f"cannot {action.value.replace('_', ' ')} a conversation that is {status}")
        self.status = status
        self.action = action


OWNED = (S.ASSIGNED, S.PENDING, S.SNOOZED)
OPEN = (S.BOT, S.QUEUED, *OWNED)

TRANSITIONS: dict[tuple[str, Action], str] = {
    (S.QUEUED, Action.CLAIM): S.ASSIGNED,
    # A person may take a conversation from a bot at any time (the flow is cancelled).
    (S.BOT, Action.CLAIM): S.ASSIGNED,
    (S.QUEUED, Action.AUTO_ASSIGN): S.ASSIGNED,
    (S.QUEUED, Action.OVERFLOW): S.QUEUED,
    **{(s, Action.ASSIGN): S.ASSIGNED for s in OPEN},
    **{(s, Action.TAKE_OVER): S.ASSIGNED for s in OPEN},
    **{(s, Action.ACCEPT_HANDOFF): S.ASSIGNED for s in OWNED},
    # Queued too: an escalation may move a waiting conversation to another team's queue.
    **{(s, Action.HAND_TO_TEAM): S.QUEUED for s in (S.QUEUED, *OWNED)},
    **{(s, Action.RELEASE): S.QUEUED for s in OWNED},
    **{(s, Action.RESOLVE): S.RESOLVED for s in OPEN},
    (S.RESOLVED, Action.REOPEN_TO_QUEUE): S.QUEUED,
    (S.RESOLVED, Action.REOPEN_TO_OWNER): S.ASSIGNED,
    (S.ASSIGNED, Action.SNOOZE): S.SNOOZED,
    (S.PENDING, Action.SNOOZE): S.SNOOZED,
    (S.SNOOZED, Action.WAKE_UP): S.ASSIGNED,
    (S.ASSIGNED, Action.SET_PENDING): S.PENDING,
    (S.PENDING, Action.CUSTOMER_REPLIED): S.ASSIGNED,
    (S.SNOOZED, Action.CUSTOMER_REPLIED): S.ASSIGNED,
    # Resolved too: a team's "on resolve run flow X" hands the resolved conversation to a
    # closing flow (a rating) in the resolve's own transaction.
    **{(s, Action.TO_BOT): S.BOT for s in (S.QUEUED, *OWNED, S.RESOLVED)},
    (S.BOT, Action.BOT_HANDOFF): S.QUEUED,
}


def next_status(status: str, action: Action) -> str:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise InvalidTransition(status, action) from None


def is_allowed(status: str, action: Action) -> bool:
    return (status, action) in TRANSITIONS
