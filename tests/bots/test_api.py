"""Bot flows in API v1: CRUD, who may write, errors naming the step (400) and schema
errors (422), versions on replace, audit, and the OpenAPI document."""

from __future__ import annotations

import pytest

from baton.agents.actions import do_create_api_token
from baton.agents.models import Team
from baton.bots.actions import do_create_flow
from baton.bots.models import BotSession, Flow, FlowVersion
from baton.conversations.models import AuditEvent
from tests.bots.flows import front_desk
from tests.bots.helpers import customer_writes
from tests.conftest import make_user

URL = "/api/v1/bots/flows"


@pytest.fixture
def teams(db):
    return {name: Team.objects.get_or_create(name=name)[0] for name in ("Support", "Sales")}


@pytest.fixture
def people(teams):
    return {
        "alice": make_user("alice"),
        "maria": make_user("maria", role="manager"),
        "root": make_user("root", role="admin"),
    }


def as_user(client, user):
    client.force_login(user)
    return client


def test_a_manager_creates_reads_replaces_and_deletes_a_flow(client, people, inbox):
    as_user(client, people["maria"])
    created = client.post(
        URL,
        {"definition": front_desk(), "inbox": inbox.pk},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "Front desk"
    assert body["version"] == 1
    assert body["running"] == 0
    assert body["inbox"] == inbox.pk
    assert body["start_on"] == "new_conversation"
    assert body["definition"]["steps"][0]["buttons"][0]["title"] == "Track my order"
    flow_id = body["id"]

    assert [f["id"] for f in client.get(URL).json()] == [flow_id]
    assert client.get(f"{URL}/{flow_id}").json()["version"] == 1

    changed = front_desk()
    changed["steps"][0]["text"] = "Hello again"
    replaced = client.put(
        f"{URL}/{flow_id}",
        {"definition": changed, "enabled": False, "inbox": None},
        content_type="application/json",
    )
    assert replaced.status_code == 200, replaced.content
    out = replaced.json()
    assert out["version"] == 2
    assert out["enabled"] is False
    assert out["inbox"] is None
    assert out["definition"]["steps"][0]["text"] == "Hello again"

    changes = list(
        AuditEvent.objects.filter(data__model="bots.Flow", data__object_id=flow_id)
        .order_by("id")
        .values_list("data__change", flat=True)
    )
    assert changes == ["created", "changed", "changed"]

    assert client.delete(f"{URL}/{flow_id}").status_code == 204
    assert not Flow.objects.exists()
    assert not FlowVersion.objects.exists()
    assert client.get(f"{URL}/{flow_id}").status_code == 404
    assert AuditEvent.objects.filter(data__model="bots.Flow", data__change="deleted").exists()


def test_replacing_keeps_running_sessions_on_their_version(client, people, inbox):
    flow = do_create_flow(front_desk(), None)
    customer_writes(client, "hi")
    as_user(client, people["root"])
    assert client.get(f"{URL}/{flow.pk}").json()["running"] == 1
    client.put(f"{URL}/{flow.pk}", {"definition": front_desk()}, content_type="application/json")
    assert BotSession.objects.get().flow_version.number == 1
    assert client.get(f"{URL}/{flow.pk}").json()["version"] == 2
    refused = client.delete(f"{URL}/{flow.pk}")
    assert refused.status_code == 409
    assert "disable it instead" in refused.json()["error"]["message"]


def test_invalid_definitions_answer_400_naming_the_step(client, people):
    as_user(client, people["maria"])
    broken = front_desk()
    broken["steps"][0]["buttons"][0]["next"] = "nowhere"
    broken["steps"].append({"id": "odd", "type": "teleport"})
    response = client.post(URL, {"definition": broken}, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert any(e.startswith("step 'odd': unknown step type 'teleport'") for e in error["errors"])
    broken["steps"].pop()
    response = client.post(URL, {"definition": broken}, content_type="application/json")
    assert (
        "step 'menu': button 'track' next 'nowhere' is not a step."
        in (response.json()["error"]["errors"])
    )
    assert not Flow.objects.exists()


def test_a_definition_of_the_wrong_type_answers_422(client, people):
    as_user(client, people["maria"])
    response = client.post(URL, {"definition": "a flow"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


def test_a_duplicate_name_and_an_unknown_inbox_answer_400(client, people, inbox):
    as_user(client, people["maria"])
    do_create_flow(front_desk(), None)
    again = client.post(URL, {"definition": front_desk()}, content_type="application/json")
    assert again.status_code == 400
    assert "already exists" in again.json()["error"]["message"]
    other = client.post(
        URL, {"definition": front_desk(name="B"), "inbox": 999}, content_type="application/json"
    )
    assert other.status_code == 400
    assert "Inbox 999" in other.json()["error"]["message"]


def test_agents_read_but_may_not_write(client, people, inbox):
    flow = do_create_flow(front_desk(), None)
    as_user(client, people["alice"])
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}/{flow.pk}").status_code == 200
    writes = [
        client.post(URL, {"definition": front_desk(name="X")}, content_type="application/json"),
        client.put(f"{URL}/{flow.pk}", {"definition": {}}, content_type="application/json"),
        client.put(f"{URL}/{flow.pk}", "not even json", content_type="application/json"),
        client.delete(f"{URL}/{flow.pk}"),
    ]
    assert [w.status_code for w in writes] == [403, 403, 403, 403]
    assert writes[0].json()["error"]["code"] == "forbidden"
    assert Flow.objects.count() == 1
    assert FlowVersion.objects.count() == 1


def test_a_token_works_and_anonymous_is_refused(client, people):
    token = do_create_api_token(people["maria"])
    anonymous = client.post(URL, {"definition": front_desk()}, content_type="application/json")
    assert anonymous.status_code == 401
    assert client.get(URL).status_code == 401
    with_token = client.post(
        URL,
        {"definition": front_desk()},
        content_type="application/json",
        headers={"Authorization": f"Token {token}"},
    )
    assert with_token.status_code == 201


def test_the_flow_endpoints_are_in_the_openapi_document(client, people):
    as_user(client, people["alice"])
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths[URL]) == {"get", "post"}
    assert set(paths[URL + "/{flow_id}"]) == {"get", "put", "delete"}
    assert "400" in paths[URL]["post"]["responses"]
