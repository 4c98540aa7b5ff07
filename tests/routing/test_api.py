"""API v1 routing endpoints: permissions, typed errors, CRUD, dry run, OpenAPI."""

from __future__ import annotations

import json

import pytest

from baton.agents.actions import do_create_api_token
from baton.agents.models import Team
from baton.conversations.models import AuditEvent, EventKind
from baton.routing.models import RoutingRule
from tests.conftest import make_user, post_webhook
from tests.routing.factories import inbound, make_rule

RULE = {
    "name": "Sales button",
    "conditions": {"field": "message.reply_id", "op": "equals", "value": "callback_data"},
    "actions": {"team": "Sales", "strategy": "round_robin"},
}


@pytest.fixture
def sales(db):
    return Team.objects.create(name="Sales")


def auth(username, role):
    return {"Authorization": f"Token {do_create_api_token(make_user(username, role=role))}"}


@pytest.fixture
def manager(db):
    return auth("maria", "manager")


def send(client, method, path, headers, body=None):
    kwargs = {"headers": headers}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/routing/rules", None),
        ("post", "/routing/rules", RULE),
        ("put", "/routing/rules/{id}", RULE),
        ("delete", "/routing/rules/{id}", None),
        ("post", "/routing/dry-run", {}),
    ],
)
def test_only_managers(client, sales, method, path, body):
    rule = make_rule("existing", {"all": []}, {"team": "Sales"})
    path = path.format(id=rule.pk)
    assert send(client, method, path, {}, body).status_code == 401
    response = send(client, method, path, auth("alice", "agent"), body)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert send(client, method, path, auth("root", "admin"), body).status_code in (200, 201, 204)


def test_crud(client, sales, inbox, manager):
    response = send(client, "post", "/routing/rules", manager, {**RULE, "inbox_id": inbox.pk})
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["position"], created["inbox_id"], created["created_by"]) == (
        0,
        inbox.pk,
        "maria",
    )
    make_rule("global", {"all": []}, {"team": "Sales"})
    admin = auth("root", "admin")
    listed = send(client, "get", "/routing/rules", admin).json()
    assert [r["name"] for r in listed] == ["Sales button", "global"]
    # Every-inbox rules reach every team: admins only, not even listed to managers.
    listed = send(client, "get", "/routing/rules", manager).json()
    assert [r["name"] for r in listed] == ["Sales button"]
    assert [
        r["name"]
        for r in send(client, "get", f"/routing/rules?inbox_id={inbox.pk}", manager).json()
    ] == ["Sales button"]
    changed = {**RULE, "name": "Renamed", "enabled": False, "actions": {"priority": 3}}
    response = send(client, "put", f"/routing/rules/{created['id']}", manager, changed)
    assert response.status_code == 403  # to every inbox: admins only
    response = send(client, "put", f"/routing/rules/{created['id']}", admin, changed)
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["enabled"], response.json()["inbox_id"]) == (
        "Renamed",
        False,
        None,
    )
    assert response.json()["position"] == 1  # moved to the every-inbox list, at its end
    assert send(client, "delete", f"/routing/rules/{created['id']}", manager).status_code == 403
    assert send(client, "delete", f"/routing/rules/{created['id']}", admin).status_code == 204
    assert send(client, "delete", f"/routing/rules/{created['id']}", admin).status_code == 404
    assert send(client, "put", "/routing/rules/999", manager, RULE).status_code == 404
    rule_changes = AuditEvent.objects.filter(kind=EventKind.CONFIG, data__has_key="before")
    assert rule_changes.count() == 4


def test_invalid_rule_is_a_typed_400_listing_every_problem(client, sales, inbox, manager):
    body = {
        "name": "Broken",
        "inbox_id": inbox.pk,
        "conditions": {
            "any": [
                {"field": "message.body", "op": "equals", "value": "x"},
                {"field": "message.text", "op": "matches", "value": "("},
            ]
        },
        "actions": {"team": "Nobody", "strategy": "random"},
    }
    response = send(client, "post", "/routing/rules", manager, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert len(error["errors"]) == 4
    assert error["errors"][0].startswith("conditions.any[0]: unknown field 'message.body'")
    response = send(client, "post", "/routing/rules", manager, {**RULE, "inbox_id": 12345})
    assert response.status_code == 400
    assert response.json()["error"]["errors"] == ["inbox_id: not found."]
    assert not RoutingRule.objects.exists()


def test_dry_run(client, sales, inbox, manager):
    make_rule("Sales button", RULE["conditions"], RULE["actions"], inbox=inbox)
    post_webhook(client, inbound("inbound_interactive_list_reply.json"))
    response = send(
        client,
        "post",
        "/routing/dry-run",
        manager,
        {
            "limit": 5,
            "sample": {
                "inbox_id": inbox.pk,
                "reply_id": "callback_data",
                "contact_labels": ["vip"],
                "is_returning": True,
            },
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    [row] = body["conversations"]
    assert row["routed_by"] == "Sales button"
    assert row["decision"]["team"] == "Sales"
    assert row["decision"]["strategy"] == "round_robin"
    assert body["sample_matched"] is True
    assert body["sample"]["rule"] == "Sales button"
    # A sample without an inbox tries the every-inbox rules: admins only.
    response = send(client, "post", "/routing/dry-run", manager, {"sample": {"text": "hi"}})
    assert response.status_code == 403
    admin = auth("root", "admin")
    response = send(client, "post", "/routing/dry-run", admin, {"sample": {"text": "hi"}})
    assert response.json()["sample_matched"] is False
    assert send(client, "post", "/routing/dry-run", manager, {"limit": 0}).status_code == 422


def test_openapi_documents_the_endpoints_and_errors(client):
    schema = client.get("/api/v1/openapi.json").json()
    rules = schema["paths"]["/api/v1/routing/rules"]
    assert {"get", "post"} <= set(rules)
    assert {"201", "400", "403"} <= set(rules["post"]["responses"])
    assert {"put", "delete"} <= set(schema["paths"]["/api/v1/routing/rules/{rule_id}"])
    assert "200" in schema["paths"]["/api/v1/routing/dry-run"]["post"]["responses"]


def test_conversation_timeline_says_which_rule_routed_it(client, sales, inbox, manager):
    rule = make_rule("Sales button", RULE["conditions"], RULE["actions"], inbox=inbox)
    post_webhook(client, inbound("inbound_interactive_button_reply.json"))
    from baton.conversations.models import Conversation

    conversation = Conversation.objects.get()
    items = send(client, "get", f"/conversations/{conversation.pk}/timeline", manager).json()[
        "items"
    ]
    [routed] = [i for i in items if i["kind"] == "routed"]
    assert routed["reason"] == "rule “Sales button” matched"
    assert routed["to_team"] == "Sales"
    assert routed["data"]["rule_id"] == rule.pk
    assert routed["data"]["strategy"] == "round_robin"


def test_dry_run_costs_the_same_queries_for_any_number_of_conversations(
    client, sales, inbox, manager
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_rule("Sales button", RULE["conditions"], RULE["actions"], inbox=inbox)
    make_rule("Returning", {"field": "customer.is_returning", "op": "is_true"}, {"priority": 2})

    def customers(start, count):
        for i in range(start, start + count):
            post_webhook(client, inbound(wamid=f"wamid.n{i}", wa_id=f"4917000000{i:02d}"))

    def dry_run_queries():
        with CaptureQueriesContext(connection) as ctx:
            response = send(client, "post", "/routing/dry-run", manager, {"limit": 50})
        return len(ctx.captured_queries), len(response.json()["conversations"])

    customers(0, 2)
    dry_run_queries()  # the token's first use records last_used_at: not part of the count
    few = dry_run_queries()
    customers(2, 8)
    many = dry_run_queries()
    assert (few[1], many[1]) == (2, 10)
    assert few[0] == many[0]
