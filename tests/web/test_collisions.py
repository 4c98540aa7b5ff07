""" "X is viewing" / "X is typing": real WebSockets against a real server, visibility kept."""

from __future__ import annotations

import json
from contextlib import ExitStack

import pytest
from django.test import Client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from baton.agents.models import Team
from baton.conversations.models import Contact, Conversation
from tests.conftest import make_inbox, make_user


def open_socket(stack: ExitStack, base_url: str, user):
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    socket = stack.enter_context(
        connect(
            base_url.replace("http://", "ws://") + "/ws/events",
            additional_headers={"Cookie": cookie, "Origin": base_url},
            open_timeout=5,
        )
    )
    assert json.loads(socket.recv(timeout=5))["type"] == "hello"
    return socket


def events(socket, wait: float = 1.0) -> list[dict]:
    """Everything the socket receives until it is quiet for ``wait`` seconds."""
    received = []
    while True:
        try:
            received.append(json.loads(socket.recv(timeout=wait)))
        except TimeoutError:
            return received
        except ConnectionClosed:
            return received


@pytest.fixture
def live(transactional_db):
    from tests.live import running_baton

    with running_baton(with_worker=False) as url:
        yield url


def _conversation() -> Conversation:
    inbox = make_inbox()
    contact = Contact.objects.create(wa_id="34600999000", profile_name="Rosa")
    team = Team.objects.get(is_default=True)
    return Conversation.objects.create(inbox=inbox, contact=contact, status="queued", team=team)


def test_viewing_and_typing_reach_colleagues_but_not_outsiders(live):
    conv = _conversation()
    alice = make_user("alice")
    bob = make_user("bob")
    olga = make_user("olga", team="Sales")  # cannot see the Support queue
    with ExitStack() as stack:
        a, b, o = (open_socket(stack, live, u) for u in (alice, bob, olga))
        b.send(json.dumps({"action": "watch", "conversation_id": conv.pk}))
        # Olga tries to listen in and to announce herself: both are refused silently.
        o.send(json.dumps({"action": "watch", "conversation_id": conv.pk}))
        o.send(json.dumps({"action": "viewing", "conversation_id": conv.pk}))
        events(b, 0.5)
        a.send(json.dumps({"action": "viewing", "conversation_id": conv.pk}))
        a.send(json.dumps({"action": "typing", "conversation_id": conv.pk}))
        got = events(b)
        assert [(e["type"], e["user"]["username"]) for e in got] == [
            ("conversation.viewing", "alice"),
            ("conversation.typing", "alice"),
        ]
        assert all(e["conversation_id"] == conv.pk for e in got)
        assert events(o, 0.5) == []  # Olga hears nothing of it


def test_bad_messages_are_ignored(live):
    conv = _conversation()
    alice = make_user("alice")
    with ExitStack() as stack:
        socket = open_socket(stack, live, alice)
        for bad in (
            {"action": "viewing", "conversation_id": "1; drop"},
            {"action": "typing"},
            {"action": "viewing", "conversation_id": 999999},
            ["not", "a", "dict"],
        ):
            socket.send(json.dumps(bad))
        socket.send(json.dumps({"action": "ping"}))
        assert [e["type"] for e in events(socket, 0.5)] == ["pong"]
        # Still usable afterwards: an own announcement echoes to the own group (the client
        # filters its own name out).
        socket.send(json.dumps({"action": "viewing", "conversation_id": conv.pk}))
        assert [e["type"] for e in events(socket, 0.5)] == ["conversation.viewing"]


def test_socket_groups_follow_visibility(db):
    """A manager hears their teams' conversations, not other teams'; admins hear all."""

    from baton.agents.models import Team
    from baton.conversations.models import Conversation
    from baton.realtime.events import ADMINS_GROUP, team_group, team_managers_group
    from baton.web.consumers import groups_for_user
    from tests.conftest import make_user

    sales = Team.objects.create(name="Sales")
    support = Team.objects.get(is_default=True)
    sales_manager = make_user("sam", role="manager", team="Sales")
    admin = make_user("root", role="admin")
    groups = groups_for_user.func(sales_manager)
    assert team_group(sales.pk) in groups
    assert team_managers_group(sales.pk) in groups
    assert team_group(support.pk) not in groups
    assert ADMINS_GROUP not in groups
    assert ADMINS_GROUP in groups_for_user.func(admin)
    # ...and a Support conversation's events go to Support, admins and its viewers only.
    from baton.conversations.notify import conversation_audience

    conversation = Conversation(pk=1, team=support)
    assert set(conversation_audience(conversation)) == {
        ADMINS_GROUP,
        team_group(support.pk),
        "conversation-1",
    }


def test_a_socket_stops_hearing_a_conversation_that_left_its_sight(live):
    """Alice watches her chat, hands it to Sales: her socket is told, then hears no more of
    it (the customer's next message goes to Sales only)."""
    from baton.conversations.actions import do_add_note
    from baton.conversations.ownership import do_claim_conversation, do_handoff_conversation

    conv = _conversation()
    alice = make_user("alice")
    make_user("olga", team="Sales")
    do_claim_conversation(conv.pk, alice)
    with ExitStack() as stack:
        a = open_socket(stack, live, alice)
        a.send(json.dumps({"action": "watch", "conversation_id": conv.pk}))
        events(a, 0.5)
        do_handoff_conversation(conv.pk, alice, to_team_name="Sales", reason="Quote")
        assert "conversation.updated" in [e["type"] for e in events(a)]
        in_sales = Conversation.objects.get(pk=conv.pk)
        do_add_note(in_sales, make_user("sam", team="Sales"), "Sales internal: discount 10%")
        assert events(a) == []
