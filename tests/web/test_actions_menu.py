"""``available_actions`` agrees with the actions that enforce the rules.

The permission world's callers, in every state, perform every pane action: what the pane
offers succeeds, and what it does not offer is refused — apart from the few moves the
actions allow by other doors (listed, with why, in ``ALLOWED_ELSEWHERE``).
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from baton.conversations.models import Conversation, Message
from baton.conversations.queries import is_manager_of
from baton.web import queries
from baton.web.actions_menu import ComposerMode, available_actions
from tests.permission_world import make_world
from tests.web.test_pane_snapshot import put_in_state

VIEWERS = ["owner", "teammate", "manager", "admin"]
STATES = ["queued", "owned", "offered", "resolved", "pending", "snoozed"]

# action key → (URL suffix, form) the pane's button posts.
ATTEMPTS = {
    "claim": ("/claim", {}),
    "takeover": ("/takeover", {"reason": "manager take-over"}),
    # To a team: an offer to an agent is refused while another one waits (the dialog's
    # agent list is the owner's choice, not a button).
    "handoff": ("/handoff", {"to": "team:Sales", "reason": "billing"}),
    "accept": ("/accept", {}),
    "decline": ("/decline", {"reason": "busy"}),
    "release": ("/release", {}),
    "resolve": ("/resolve", {}),
    "reopen": ("/reopen", {}),
    "snooze": ("/snooze", {"hours": "4"}),
    "pending": ("/pending", {}),
    "reply": ("/reply", {"text": "On it"}),
    "note": ("/reply", {"mode": "note", "text": "fyi"}),
}

# Moves the actions accept that the pane does not offer as a button, on purpose.
ALLOWED_ELSEWHERE = {
    # Claiming what you own is a harmless no-op (a double click).
    ("owned", "owner", "claim"),
    ("pending", "owner", "claim"),
    ("snoozed", "owner", "claim"),
    ("offered", "owner", "claim"),
    # Managers may also snooze or park someone's conversation (the API offers it); the
    # pane keeps those in the owner's menu.
    *{(s, v, a) for s in ("owned", "offered") for v in ("manager", "admin") for a in ("snooze",)},
    *{(s, v, "pending") for s in ("owned", "offered") for v in ("manager", "admin")},
    *{("pending", v, "snooze") for v in ("manager", "admin")},
    # A manager taking over an unassigned conversation is a claim by another name.
    *{("queued", v, "takeover") for v in ("manager", "admin")},
    # Notes are open to everyone who sees the conversation; the pane's composer only
    # shows the note field where one can also act on the conversation.
    *{(s, v, "note") for s in ("queued", "resolved") for v in VIEWERS},
}

# What the pane offers and the action refuses: the state changed under the button, or a
# mismatch kept as it was (no behaviour change in this refactor) and reported.
REFUSED_DESPITE_OFFER = {
    # The snooze menu shows on a snoozed conversation; snoozing again is not a transition.
    ("snoozed", "owner", "snooze"),
}


class _RolledBack(Exception):
    pass


def _attempt(client, conversation, suffix, form) -> int:
    """The status of one POST, with everything it wrote rolled back."""
    try:
        with transaction.atomic():
            response = client.post(
                f"/c/{conversation.pk}{suffix}", form, headers={"HX-Request": "true"}
            )
            raise _RolledBack(response.status_code)
    except _RolledBack as done:
        return done.args[0]


def _actions_for(conversation, person):
    conversation = Conversation.objects.select_related("owner", "team").get(pk=conversation.pk)
    return available_actions(
        conversation,
        person,
        can_manage=is_manager_of(person, conversation.team),
        handoff=queries.get_pending_handoff(conversation),
        now=timezone.now(),
    )


@pytest.fixture
def world(client, inbox):
    return make_world(client)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_offered_actions_succeed_and_the_others_are_refused(client, world, state, viewer):
    conversation, people = world
    put_in_state(conversation, people, state)
    person = people[viewer]
    offered = _actions_for(conversation, person).offered
    client.force_login(person)
    wrong = []
    for key, (suffix, form) in ATTEMPTS.items():
        status = _attempt(client, conversation, suffix, form)
        case = (state, viewer, key)
        if case in REFUSED_DESPITE_OFFER:
            assert key in offered, case  # the list stays true
            should_succeed = False
        else:
            # Offered, or allowed by another door: either way the action accepts it.
            should_succeed = key in offered or case in ALLOWED_ELSEWHERE
        if (status == 200) != should_succeed:
            wrong.append((key, "offered" if key in offered else "not offered", status))
    assert not wrong


def test_every_refusal_says_why(client, world):
    conversation, people = world
    put_in_state(conversation, people, "owned")
    for viewer in VIEWERS:
        for action in _actions_for(conversation, people[viewer]).every:
            assert action.enabled or action.reason, (viewer, action.key)


def test_retry_is_offered_to_the_owner_only(client, world):
    conversation, people = world
    put_in_state(conversation, people, "owned")
    failed = Message.objects.create(
        conversation=conversation,
        direction="outbound",
        text="lost",
        status="failed",
        timestamp=timezone.now(),
    )
    for viewer in VIEWERS:
        offered = "retry" in _actions_for(conversation, people[viewer]).offered
        client.force_login(people[viewer])
        status = _attempt(client, conversation, f"/messages/{failed.pk}/retry", {})
        assert offered == (viewer == "owner")
        assert (status == 200) == offered, viewer


@pytest.mark.parametrize(
    ("state", "viewer", "mode"),
    [
        ("owned", "owner", ComposerMode.REPLY),
        ("window_closed", "owner", ComposerMode.TEMPLATE),
        ("owned", "teammate", ComposerMode.NOTE_ONLY),
        ("owned", "manager", ComposerMode.NOTE_ONLY),
        ("queued", "teammate", ComposerMode.UNASSIGNED),
        ("resolved", "owner", ComposerMode.RESOLVED),
    ],
)
def test_composer_modes(world, state, viewer, mode):
    conversation, people = world
    put_in_state(conversation, people, state)
    assert _actions_for(conversation, people[viewer]).composer.mode == mode
