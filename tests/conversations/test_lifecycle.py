"""The transition table (pure)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.conversations.lifecycle import TRANSITIONS, Action, InvalidTransition, next_status
from baton.conversations.models import ConversationStatus as S


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (S.QUEUED, Action.CLAIM, S.ASSIGNED),
        (S.QUEUED, Action.AUTO_ASSIGN, S.ASSIGNED),
        (S.QUEUED, Action.OVERFLOW, S.QUEUED),
        (S.ASSIGNED, Action.RELEASE, S.QUEUED),
        (S.ASSIGNED, Action.HAND_TO_TEAM, S.QUEUED),
        (S.PENDING, Action.ACCEPT_HANDOFF, S.ASSIGNED),
        (S.BOT, Action.TAKE_OVER, S.ASSIGNED),
        (S.SNOOZED, Action.WAKE_UP, S.ASSIGNED),
        (S.PENDING, Action.CUSTOMER_REPLIED, S.ASSIGNED),
        (S.RESOLVED, Action.REOPEN_TO_OWNER, S.ASSIGNED),
        (S.RESOLVED, Action.REOPEN_TO_QUEUE, S.QUEUED),
        (S.ASSIGNED, Action.RESOLVE, S.RESOLVED),
    ],
)
def test_allowed_moves(status, action, expected):
    assert next_status(status, action) == expected


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.ASSIGNED, Action.CLAIM),
        (S.ASSIGNED, Action.AUTO_ASSIGN),
        (S.RESOLVED, Action.AUTO_ASSIGN),
        (S.RESOLVED, Action.CLAIM),
        (S.QUEUED, Action.RELEASE),
        (S.QUEUED, Action.SNOOZE),
        (S.RESOLVED, Action.RESOLVE),
        (S.QUEUED, Action.ACCEPT_HANDOFF),
    ],
)
def test_refused_moves(status, action):
    with pytest.raises(InvalidTransition, match="cannot"):
        next_status(status, action)


def test_only_owner_actions_lead_to_owned_states():
    owner_taking = {
        Action.CLAIM,
        Action.ASSIGN,
        Action.AUTO_ASSIGN,
        Action.TAKE_OVER,
        Action.ACCEPT_HANDOFF,
        Action.REOPEN_TO_OWNER,
    }
    for (status, action), target in TRANSITIONS.items():
        if status in (S.QUEUED, S.RESOLVED, S.BOT) and target == S.ASSIGNED:
            assert action in owner_taking, (status, action)


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_any_sequence_stays_within_known_statuses(actions):
    status = S.QUEUED
    for action in actions:
        try:
            status = next_status(status, action)
        except InvalidTransition:
            continue
        assert status in S.values
