"""GET /api/v1/agents: the managers' board of presence, shifts and load."""

from __future__ import annotations

from datetime import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from baton.agents.models import TeamMembership
from baton.conversations.models import Conversation
from tests.conftest import make_user
from tests.routing.factories import add_shift, make_agent, make_team, queue_conversation


def test_manager_sees_presence_shift_load_and_capacity(client, db):
    support = make_team("Support", default_capacity=2)
    sales = make_team("Sales", default_capacity=4)
    alice = make_agent("alice", support)
    make_agent("bob", support, presence="away")
    carlos = make_agent("carlos", sales)
    add_shift(carlos, sales, 0, time(3), time(3, 1))  # one minute a week: off shift now
    TeamMembership.objects.create(team=sales, user=alice)
    conv = queue_conversation(support, waiting_since=timezone.now())
    Conversation.objects.filter(pk=conv.pk).update(owner=alice, status="assigned")
    maria = make_user("maria", role="manager")
    client.force_login(maria)
    response = client.get("/api/v1/agents")
    assert response.status_code == 200
    board = {row["username"]: row for row in response.json()}
    assert board["alice"]["presence"] == "available"
    assert board["alice"]["open_conversations"] == 1
    assert {t["team"]: (t["capacity"], t["assignable"]) for t in board["alice"]["teams"]} == {
        "Sales": (4, True),
        "Support": (2, True),
    }
    assert board["bob"]["teams"] == [
        {"team": "Support", "on_shift": True, "capacity": 2, "assignable": False}
    ]
    assert board["carlos"]["teams"][0]["on_shift"] is False
    assert "maria" in board  # managers are routable members too


def test_query_count_does_not_grow_with_agents(client, db):
    support = make_team("Support")
    maria = make_user("maria", role="manager")
    client.force_login(maria)
    make_agent("a0", support)
    client.get("/api/v1/agents")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/agents")
    for i in range(1, 15):
        make_agent(f"a{i}", support)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/agents")
    assert len(response.json()) == 16
    assert len(many.captured_queries) == len(few.captured_queries)


def test_agents_cannot_read_the_board(client, db):
    client.force_login(make_user("alice"))
    assert client.get("/api/v1/agents").status_code == 403
    client.logout()
    assert client.get("/api/v1/agents").status_code == 401


def test_board_is_in_the_openapi_document(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/agents"]
