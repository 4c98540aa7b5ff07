"""GET /api/v1/dashboard: the board's numbers as JSON, with the same walls."""

from __future__ import annotations

import pytest


def test_the_shape_of_issue_12(client, world):
    client.force_login(world.maria)
    response = client.get("/api/v1/dashboard")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"teams", "agents", "generated_at"}
    [team] = data["teams"]
    assert set(team) == {
        "id",
        "name",
        "queue_depth",
        "oldest_waiting_seconds",
        "handoffs_waiting",
        "sla_warning",
        "sla_breached",
        "predicted_breaches",
        "agents_available",
        "open",
        "capacity",
    }
    assert (team["id"], team["name"], team["queue_depth"]) == (world.support.pk, "Support", 3)
    assert team["oldest_waiting_seconds"] == pytest.approx(600, abs=2)
    assert (team["handoffs_waiting"], team["sla_warning"], team["sla_breached"]) == (1, 1, 1)
    assert (team["predicted_breaches"], team["agents_available"]) == (1, 1)
    assert (team["open"], team["capacity"]) == (4, 18)
    agents = {a["username"]: a for a in data["agents"]}
    assert set(agents) == {"maria", "root", "alice", "bob"}
    assert set(agents["alice"]) == {
        "username",
        "name",
        "presence",
        "on_shift",
        "shift_ends_at",
        "open",
        "capacity",
        "oldest_unanswered_seconds",
    }
    alice = agents["alice"]
    assert (alice["presence"], alice["on_shift"], alice["open"], alice["capacity"]) == (
        "available",
        True,
        3,
        3,
    )
    assert alice["oldest_unanswered_seconds"] == pytest.approx(240, abs=2)


def test_another_manager_sees_only_their_team(client, world):
    client.force_login(world.max)
    data = client.get("/api/v1/dashboard").json()
    assert [t["name"] for t in data["teams"]] == ["Sales"]
    assert {a["username"] for a in data["agents"]} == {"max", "sam"}


def test_admins_see_every_team(client, world):
    client.force_login(world.admin)
    data = client.get("/api/v1/dashboard").json()
    assert [t["name"] for t in data["teams"]] == ["Sales", "Support"]


def test_agents_are_refused_with_403(client, world):
    client.force_login(world.alice)
    response = client.get("/api/v1/dashboard")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_anonymous_callers_are_refused(client, db):
    assert client.get("/api/v1/dashboard").status_code == 401


def test_a_token_works_too(client, world):
    from baton.agents.actions import do_create_api_token

    key = do_create_api_token(world.max)
    response = client.get("/api/v1/dashboard", headers={"Authorization": f"Token {key}"})
    assert [t["name"] for t in response.json()["teams"]] == ["Sales"]


def test_it_is_in_the_openapi_document(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/dashboard"]


def test_the_api_costs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    client.force_login(world.admin)
    with django_assert_max_num_queries(14):
        assert client.get("/api/v1/dashboard").status_code == 200
