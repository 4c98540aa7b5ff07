"""Presence: set through the action and the API, heard live by teammates and managers."""

from __future__ import annotations

import pytest
from django.db import transaction

from baton.agents.actions import do_set_presence
from baton.agents.models import User
from baton.core.errors import InvalidInput
from baton.realtime import events
from tests.conftest import make_user


@pytest.fixture
def published(monkeypatch):
    sent: list[tuple[dict, list[str]]] = []

    def publish(message: dict, groups: list[str]) -> None:
        # Creating a user's memberships re-checks their (not yet open) sockets: not presence.
        if message["event"]["type"] != events.EventType.ACCESS_CHANGED:
            sent.append((message, groups))

    monkeypatch.setattr(events, "publish", publish)
    return sent


def test_people_start_offline(db):
    assert make_user("alice").presence == "offline"


def test_set_presence_is_stored_and_announced_after_commit(transactional_db, published):
    alice = make_user("alice")
    with transaction.atomic():
        assert do_set_presence(alice, "available") is True
        assert published == []  # nothing leaves before the commit
    assert User.objects.get(pk=alice.pk).presence == "available"
    [(message, groups)] = published
    assert message["event"]["type"] == "presence.changed"
    assert message["event"]["user"]["presence"] == "available"
    assert "managers" in groups
    assert any(group.startswith("team-") for group in groups)


def test_setting_the_same_presence_again_is_a_no_op(transactional_db, published):
    alice = make_user("alice")
    do_set_presence(alice, "away")
    assert do_set_presence(alice, "away") is False
    assert len(published) == 1


def test_unknown_presence_and_bots_are_refused(db):
    with pytest.raises(InvalidInput):
        do_set_presence(make_user("alice"), "sleeping")
    with pytest.raises(InvalidInput):
        do_set_presence(make_user("helper-bot", role="bot"), "available")


def test_presence_api(client, db):
    alice = make_user("alice")
    client.force_login(alice)
    me = client.get("/api/v1/me").json()
    assert (me["username"], me["presence"], me["teams"]) == ("alice", "offline", ["Support"])
    response = client.post(
        "/api/v1/me/presence", {"status": "available"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["presence"] == "available"
    bad = client.post("/api/v1/me/presence", {"status": "busy"}, content_type="application/json")
    assert bad.status_code == 422
    client.logout()
    assert client.post("/api/v1/me/presence", {"status": "away"}).status_code == 401


def test_every_presence_change_is_kept_with_what_it_replaced(db):
    from baton.agents.actions import do_set_presence
    from baton.agents.models import PresenceChange
    from tests.conftest import make_user

    agent = make_user("hist")
    assert do_set_presence(agent, "available")
    assert not do_set_presence(agent, "available")  # nothing happened: nothing recorded
    assert do_set_presence(agent, "away")
    rows = list(PresenceChange.objects.filter(user=agent).values_list("previous", "presence"))
    assert rows == [("offline", "available"), ("available", "away")]
