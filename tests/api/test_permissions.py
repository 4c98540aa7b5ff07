"""The permission matrix: every ownership endpoint against every kind of caller."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from baton.agents.actions import do_create_api_token
from baton.conversations.models import Conversation
from baton.conversations.ownership import do_claim_conversation
from tests.permission_world import CALLERS, make_world, prepare

SOON = (timezone.now() + timedelta(days=1)).isoformat()

# (method, path suffix, body, state, expected status per caller in CALLERS order)
MATRIX = [
    ("get", "", None, "owned", [401, 200, 200, 404, 200, 200]),
    ("get", "/messages", None, "owned", [401, 200, 200, 404, 200, 200]),
    ("get", "/timeline", None, "owned", [401, 200, 200, 404, 200, 200]),
    ("post", "/messages", {"text": "hi"}, "owned", [401, 201, 409, 404, 409, 409]),
    ("post", "/messages", {"text": "fyi", "note": True}, "owned", [401, 201, 201, 404, 201, 201]),
    ("post", "/claim", None, "queued", [401, 200, 200, 404, 200, 200]),
    ("post", "/claim", None, "owned", [401, 200, 409, 404, 409, 409]),
    ("post", "/assign", {"agent": "bob"}, "owned", [401, 403, 403, 404, 200, 200]),
    (
        "post",
        "/handoff",
        {"to_agent": "bob", "reason": "r"},
        "owned",
        [401, 202, 409, 404, 409, 409],
    ),
    (
        "post",
        "/handoff",
        {"to_team": "Sales", "reason": "r"},
        "owned",
        [401, 200, 409, 404, 409, 409],
    ),
    ("post", "/release", None, "owned", [401, 200, 409, 404, 409, 409]),
    ("post", "/takeover", {"reason": "x"}, "owned", [401, 403, 403, 404, 200, 200]),
    ("post", "/resolve", None, "owned", [401, 200, 409, 404, 200, 200]),
    ("post", "/reopen", None, "resolved", [401, 200, 200, 404, 200, 200]),
    ("post", "/snooze", {"until": SOON}, "owned", [401, 200, 409, 404, 200, 200]),
    ("post", "/pending", None, "owned", [401, 200, 409, 404, 200, 200]),
]


@pytest.fixture
def world(client, inbox):
    return make_world(client)


@pytest.mark.parametrize(
    ("method", "suffix", "body", "state", "expected"),
    MATRIX,
    ids=[f"{m[0]}{m[1] or '/'}-{m[3]}-{i}" for i, m in enumerate(MATRIX)],
)
@pytest.mark.parametrize("caller", CALLERS)
def test_matrix(client, world, method, suffix, body, state, expected, caller):
    conversation, people = world
    prepare(conversation, people, state)
    headers = {}
    if caller != "anonymous":
        headers["Authorization"] = f"Token {do_create_api_token(people[caller])}"
    url = f"/api/v1/conversations/{conversation.pk}{suffix}"
    if method == "get":
        response = client.get(url, headers=headers)
    else:
        response = client.post(url, body or {}, content_type="application/json", headers=headers)
    want = expected[CALLERS.index(caller)]
    assert response.status_code == want, response.content
    if want == 409:
        assert response.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    ("caller", "status"),
    [("anonymous", 401), ("owner", 403), ("other_team", 403), ("manager", 200), ("admin", 200)],
)
def test_audit_export(client, world, caller, status):
    conversation, people = world
    prepare(conversation, people, "resolved")
    headers = {}
    if caller != "anonymous":
        headers["Authorization"] = f"Token {do_create_api_token(people[caller])}"
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    until = (timezone.now() + timedelta(hours=1)).isoformat()
    response = client.get("/api/v1/audit.csv", {"since": since, "until": until}, headers=headers)
    assert response.status_code == status
    if status == 200:
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert lines[0].startswith("time,conversation,event,actor")
        rows = [line.split(",") for line in lines[1:]]
        assert [row[2] for row in rows if row[2] != "config"] == ["claimed", "resolved"]
        # Configuration changes are in the same log: the people created for this test.
        created = {row[9] for row in rows if row[2] == "config"}
        assert "created user alice" in created
        if caller == "admin":
            assert "created user olga" in created


def test_list_views(client, world):
    conversation, people = world
    token = {"Authorization": f"Token {do_create_api_token(people['owner'])}"}

    def ids(view):
        return [
            c["id"]
            for c in client.get(f"/api/v1/conversations?view={view}", headers=token).json()["items"]
        ]

    assert ids("unassigned") == [conversation.pk]
    assert ids("mine") == []
    do_claim_conversation(conversation.pk, people["owner"])
    assert ids("mine") == [conversation.pk]
    assert ids("unassigned") == []
    assert ids("team") == [conversation.pk]
    item = client.get("/api/v1/conversations?view=mine", headers=token).json()["items"][0]
    assert item["owner"] == {"kind": "agent", "username": "alice", "name": "alice"}


@pytest.mark.parametrize(
    ("caller", "visible"),
    [("anonymous", None), ("owner", True), ("teammate", False), ("manager", True)],
)
def test_alert_list(client, world, caller, visible):
    from baton.routing.alerts import do_scan_stale_conversations

    conversation, people = world
    prepare(conversation, people, "owned")
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(waiting_since=now)
    do_scan_stale_conversations(now + timedelta(seconds=301))
    headers = {}
    if caller != "anonymous":
        headers["Authorization"] = f"Token {do_create_api_token(people[caller])}"
    response = client.get("/api/v1/alerts", headers=headers)
    if visible is None:
        assert response.status_code == 401
        return
    items = response.json()["items"]
    assert [(a["conversation_id"], a["kind"], a["owner"]) for a in items] == (
        [(conversation.pk, "owner_silent", "alice")] if visible else []
    )


def test_retry_of_a_failed_message_is_locked_to_the_owner(client, world):
    from baton.conversations.models import Message
    from baton.core.errors import Conflict
    from baton.whatsapp.delivery import do_requeue_failed_message
    from baton.whatsapp.outbound import do_queue_outbound_message

    conversation, people = world
    prepare(conversation, people, "owned")
    conversation.refresh_from_db()
    message = do_queue_outbound_message(conversation, people["owner"], text="hello")
    Message.objects.filter(pk=message.pk).update(status="failed", status_rank=9)
    message.refresh_from_db()
    with pytest.raises(Conflict):
        do_requeue_failed_message(message, people["teammate"])
    assert do_requeue_failed_message(message, people["owner"]).status == "queued"


def test_a_handoff_to_another_team_lets_the_receiver_read_it_until_they_answer(client, world):
    from baton.conversations.ownership import do_handoff_conversation

    conversation, people = world
    prepare(conversation, people, "owned")
    olga = {"Authorization": f"Token {do_create_api_token(people['other_team'])}"}
    url = f"/api/v1/conversations/{conversation.pk}"
    assert client.get(url, headers=olga).status_code == 404
    do_handoff_conversation(conversation.pk, people["owner"], to_username="olga", reason="Spanish")
    assert client.get(url, headers=olga).status_code == 200
    assert client.get(f"{url}/messages", headers=olga).status_code == 200
    declined = client.post(
        f"{url}/handoff/decline",
        {"reason": "not my area"},
        content_type="application/json",
        headers=olga,
    )
    assert declined.status_code == 200
    assert client.get(url, headers=olga).status_code == 404
