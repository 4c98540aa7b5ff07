"""The permission matrix for the web pages: every page and action against every caller.

Refused writes answer with the domain error's status (the pane explains why) and change
nothing; conversations a caller may not see are 404; anonymous callers go to the login page.
"""

from __future__ import annotations

import pytest

from baton.conversations.models import AuditEvent, Conversation, Message
from tests.conftest import make_user
from tests.permission_world import CALLERS, make_world, prepare

# (method, path suffix, form, state, expected status per caller in CALLERS order)
MATRIX = [
    ("get", "/", None, "owned", [302, 200, 200, 404, 200, 200]),
    ("post", "/reply", {"text": "hi"}, "owned", [302, 200, 409, 404, 409, 409]),
    ("post", "/reply", {"text": "fyi", "mode": "note"}, "owned", [302, 200, 200, 404, 200, 200]),
    ("post", "/claim", None, "queued", [302, 200, 200, 404, 200, 200]),
    ("post", "/claim", None, "owned", [302, 200, 409, 404, 409, 409]),
    ("post", "/release", None, "owned", [302, 200, 409, 404, 409, 409]),
    (
        "post",
        "/handoff",
        {"to": "team:Sales", "reason": "r"},
        "owned",
        [302, 200, 409, 404, 409, 409],
    ),
    ("post", "/takeover", None, "owned", [302, 403, 403, 404, 200, 200]),
    ("post", "/resolve", None, "owned", [302, 200, 409, 404, 200, 200]),
    ("post", "/reopen", None, "resolved", [302, 200, 200, 404, 200, 200]),
    ("post", "/snooze", {"hours": "2"}, "owned", [302, 200, 409, 404, 200, 200]),
    ("post", "/pending", None, "owned", [302, 200, 409, 404, 200, 200]),
    ("post", "/accept", None, "offered", [302, 409, 200, 404, 409, 409]),
    ("post", "/decline", {"reason": "busy"}, "offered", [302, 409, 200, 404, 409, 409]),
]


@pytest.fixture
def world(client, inbox):
    return make_world(client)


def snapshot(conversation):
    conversation.refresh_from_db()
    return (
        conversation.status,
        conversation.owner_id,
        conversation.team_id,
        Message.objects.count(),
        AuditEvent.objects.exclude(kind="config").count(),
    )


@pytest.mark.parametrize(
    ("method", "suffix", "form", "state", "expected"),
    MATRIX,
    ids=[f"{m[0]}{m[1]}-{m[3]}-{i}" for i, m in enumerate(MATRIX)],
)
@pytest.mark.parametrize("caller", CALLERS)
def test_page_matrix(client, world, method, suffix, form, state, expected, caller):
    conversation, people = world
    prepare(conversation, people, state)
    if caller != "anonymous":
        client.force_login(people[caller])
    before = snapshot(conversation)
    url = f"/c/{conversation.pk}{suffix}"
    headers = {"HX-Request": "true"}
    if method == "get":
        response = client.get(url, headers=headers)
    else:
        response = client.post(url, form or {}, headers=headers)
    want = expected[CALLERS.index(caller)]
    assert response.status_code == want, response.content[:500]
    if want == 302:
        assert response["Location"].startswith("/login/")
    if method == "post" and want != 200:
        assert snapshot(conversation) == before  # refused: nothing changed, nothing recorded
    if method == "post" and want == 200 and not (caller == "owner" and suffix == "/claim"):
        assert snapshot(conversation) != before  # (claiming what you own is a no-op)


@pytest.mark.parametrize(
    ("caller", "status"),
    [("anonymous", 302), ("owner", 200), ("other_team", 200), ("manager", 200)],
)
def test_inbox_page_and_lists(client, world, caller, status):
    conversation, people = world
    if caller != "anonymous":
        client.force_login(people[caller])
    response = client.get("/?view=team")
    assert response.status_code == status
    if status == 200:
        # Another team's conversation never shows up in the lists.
        assert (conversation.contact.display_name in response.content.decode()) == (
            caller != "other_team"
        )


@pytest.mark.parametrize(
    ("caller", "status"), [("anonymous", 302), ("agent", 403), ("manager", 200), ("admin", 200)]
)
def test_routing_pages_are_for_managers(client, db, caller, status):
    if caller != "anonymous":
        client.force_login(make_user(caller, role=caller))
    for url in ("/routing/", "/routing/dry-run"):
        response = client.get(url)
        assert response.status_code == status, url


def test_media_of_an_invisible_conversation_is_404(client, world):
    conversation, people = world
    message = Message.objects.get(conversation=conversation)
    client.force_login(people["other_team"])
    assert client.get(f"/media/{message.pk}").status_code == 404


@pytest.mark.parametrize(
    ("method", "url", "form"),
    [
        ("get", "/?page=²", None),
        ("get", "/?selected=²", None),
        ("post", "/c/{id}/reply", {"template_id": "²"}),
        ("post", "/c/{id}/reply", {"text": "hi", "reply_to": "²"}),
        ("post", "/c/{id}/snooze", {"hours": "²"}),
    ],
)
def test_odd_digits_are_refused_not_a_500(client, world, method, url, form):
    conversation, people = world
    prepare(conversation, people, "owned")
    client.force_login(people["owner"])
    url = url.format(id=conversation.pk)
    response = (
        client.get(url) if method == "get" else client.post(url, form, HTTP_HX_REQUEST="true")
    )
    assert response.status_code in (200, 400)


def test_reopening_an_old_conversation_while_a_newer_one_is_open_is_a_conflict(client, world):
    conversation, people = world
    prepare(conversation, people, "resolved")
    newer = Conversation.objects.create(
        inbox=conversation.inbox, contact=conversation.contact, team=conversation.team
    )
    client.force_login(people["manager"])
    response = client.post(f"/c/{conversation.pk}/reopen", HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert f"#{newer.pk}" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == "resolved"
