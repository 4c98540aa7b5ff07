"""SLA in API v1: policy CRUD and its errors, who may write, the breaches list and its
scope, and the ``sla`` object of conversation JSON (without N+1 queries)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from baton.agents.actions import do_create_api_token
from baton.agents.models import Team
from baton.conversations.models import AuditEvent
from baton.conversations.ownership import do_claim_conversation
from baton.sla.models import ConversationSla, SlaPolicy, SlaRecord
from baton.whatsapp.outbound import do_queue_outbound_message
from tests.conftest import make_user
from tests.sla.factories import breach, customer_conversation, make_policy

BODY = {
    "name": "Gold",
    "first_response_seconds": 300,
    "next_response_seconds": 600,
    "resolution_seconds": None,
    "warn_before_seconds": 60,
    "business_hours": False,
    "conditions": {"field": "conversation.priority", "op": "equals", "value": "urgent"},
    "on_warning": [{"action": "notify_owner"}],
    "on_breach": [{"action": "set_priority", "priority": "urgent"}, {"action": "reassign"}],
}


@pytest.fixture
def sales(db):
    return Team.objects.create(name="Sales")


@pytest.fixture
def people(inbox, sales):
    return {
        "alice": make_user("alice"),  # agent, Support
        "olga": make_user("olga", team="Sales"),  # agent, Sales
        "sam": make_user("sam", role="manager", team="Sales"),  # manages Sales only
        "maria": make_user("maria", role="manager"),  # manages every team
        "root": make_user("root", role="admin"),
    }


def as_user(client, user):
    client.force_login(user)
    return client


def test_a_manager_creates_reads_replaces_and_deletes_a_policy(client, people):
    as_user(client, people["maria"])
    make_policy("Standard")
    created = client.post("/api/v1/sla/policies", BODY, content_type="application/json")
    assert created.status_code == 201, created.content
    policy = created.json()
    assert policy["name"] == "Gold"
    assert policy["position"] == 1  # after Standard
    assert policy["on_breach"] == BODY["on_breach"]
    assert policy["resolution_seconds"] is None

    listed = client.get("/api/v1/sla/policies").json()
    assert [p["name"] for p in listed] == ["Standard", "Gold"]
    assert client.get(f"/api/v1/sla/policies/{policy['id']}").json() == policy

    replaced = client.put(
        f"/api/v1/sla/policies/{policy['id']}",
        {"name": "Gold", "first_response_seconds": 120, "enabled": False},
        content_type="application/json",
    )
    assert replaced.status_code == 200, replaced.content
    body = replaced.json()
    assert body["first_response_seconds"] == 120
    assert body["next_response_seconds"] is None  # a replacement: left out is the default
    assert body["conditions"] == {"all": []}
    assert body["position"] == 1  # unchanged when not given
    assert body["enabled"] is False

    assert client.delete(f"/api/v1/sla/policies/{policy['id']}").status_code == 204
    missing = client.get(f"/api/v1/sla/policies/{policy['id']}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    records = AuditEvent.objects.filter(kind="config", data__model="sla.SlaPolicy")
    assert sorted(records.values_list("data__change", flat=True)) == [
        "changed",
        "created",
        "created",
        "deleted",
    ]
    assert records.filter(actor=people["maria"]).count() == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"warn_before_seconds": 300}, "warn_before_seconds"),
        ({"first_response_seconds": 0, "warn_before_seconds": None}, "first_response_seconds"),
        ({"resolution_seconds": 31 * 86400}, "resolution_seconds"),
        ({"on_breach": [{"action": "explode"}]}, "on_breach"),
        ({"on_warning": [{"action": "hand_to_team", "team": "Nobody"}]}, "on_warning"),
        ({"conditions": {"field": "conversation.mood", "op": "equals", "value": 1}}, "conditions"),
        ({"name": ""}, "name"),
    ],
)
def test_an_invalid_policy_answers_400_naming_the_field(client, people, change, field):
    as_user(client, people["maria"])
    response = client.post(
        "/api/v1/sla/policies", {**BODY, **change}, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["errors"]) == [field]
    assert field in error["message"]
    assert not SlaPolicy.objects.exists()


def test_a_policy_without_targets_or_with_a_taken_name_is_refused(client, people):
    as_user(client, people["maria"])
    none = {"name": "Empty", "first_response_seconds": None}
    response = client.post("/api/v1/sla/policies", none, content_type="application/json")
    assert response.status_code == 400
    assert "at least one target" in response.json()["error"]["errors"]["first_response_seconds"][0]
    make_policy("Gold")
    taken = client.post("/api/v1/sla/policies", BODY, content_type="application/json")
    assert taken.status_code == 400
    assert list(taken.json()["error"]["errors"]) == ["name"]


def test_agents_may_read_policies_but_every_write_is_403(client, people):
    policy = make_policy()
    as_user(client, people["alice"])
    assert client.get("/api/v1/sla/policies").status_code == 200
    assert client.get(f"/api/v1/sla/policies/{policy.pk}").status_code == 200
    url = f"/api/v1/sla/policies/{policy.pk}"
    for response in (
        client.post("/api/v1/sla/policies", BODY, content_type="application/json"),
        # Refused before the body is read: a broken body still answers 403.
        client.post("/api/v1/sla/policies", {"name": 5}, content_type="application/json"),
        client.put(url, BODY, content_type="application/json"),
        client.delete(url),
    ):
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "forbidden"
    policy.refresh_from_db()
    assert policy.name == "Fast"
    client.logout()
    assert client.get("/api/v1/sla/policies").status_code == 401
    anonymous = client.post("/api/v1/sla/policies", BODY, content_type="application/json")
    assert anonymous.status_code == 401


def test_a_token_user_who_is_a_manager_may_write(client, people):
    token = do_create_api_token(people["sam"])
    response = client.post(
        "/api/v1/sla/policies",
        BODY,
        content_type="application/json",
        headers={"Authorization": f"Token {token}"},
    )
    assert response.status_code == 201, response.content


@pytest.fixture
def breaches(client, people, sales):
    """One breached conversation in Support and one in Sales."""
    make_policy("Fast")
    support = customer_conversation(client, "34600000001")
    in_sales = customer_conversation(client, "34600000002", team=sales)
    breach(support)
    breach(in_sales)
    assert SlaRecord.objects.filter(kind="breach").count() == 2
    return {"support": support, "sales": in_sales}


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [
        ("alice", {"support"}),
        ("olga", {"sales"}),
        ("sam", {"sales"}),
        ("maria", {"support", "sales"}),
        ("root", {"support", "sales"}),
    ],
)
def test_breaches_are_those_of_the_conversations_the_viewer_may_see(
    client, people, breaches, viewer, sees
):
    as_user(client, people[viewer])
    page = client.get("/api/v1/sla/breaches").json()
    ids = {item["conversation_id"] for item in page["items"]}
    assert ids == {breaches[name].pk for name in sees}
    assert page["count"] == len(sees)


def test_a_breach_says_what_broke_and_whether_it_is_still_waiting(client, people, breaches):
    as_user(client, people["alice"])
    conversation = breaches["support"]
    [item] = client.get("/api/v1/sla/breaches").json()["items"]
    record = SlaRecord.objects.get(conversation=conversation, kind="breach")
    assert item["metric"] == "first_response"
    assert item["policy"] == "Fast"
    assert item["team"] == "Support"
    assert item["owner"] is None
    assert item["still_waiting"] is True
    assert item["due_at"].startswith(record.at.isoformat()[:19])

    do_claim_conversation(conversation.pk, people["alice"])
    conversation.refresh_from_db()
    do_queue_outbound_message(conversation, people["alice"], text="Sorry for the wait")
    [item] = client.get("/api/v1/sla/breaches").json()["items"]
    assert item["still_waiting"] is False


def test_breaches_since_and_pages(client, people, breaches):
    as_user(client, people["root"])
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert client.get("/api/v1/sla/breaches", {"since": future}).json()["items"] == []
    first = client.get("/api/v1/sla/breaches", {"limit": 1}).json()
    assert first["count"] == 1
    assert first["next_cursor"] is not None
    second = client.get(
        "/api/v1/sla/breaches", {"limit": 1, "before_id": first["next_cursor"]}
    ).json()
    assert second["next_cursor"] is None
    both = {first["items"][0]["conversation_id"], second["items"][0]["conversation_id"]}
    assert both == {breaches["support"].pk, breaches["sales"].pk}
    # A breach recorded more than 24 hours ago is out of the default range.
    SlaRecord.objects.filter(conversation=breaches["sales"]).update(
        at=timezone.now() - timedelta(hours=25)
    )
    ids = [i["conversation_id"] for i in client.get("/api/v1/sla/breaches").json()["items"]]
    assert ids == [breaches["support"].pk]


def test_conversation_json_has_its_sla(client, people, breaches):
    as_user(client, people["root"])
    conversation = breaches["support"]
    body = client.get(f"/api/v1/conversations/{conversation.pk}").json()
    sla = body["sla"]
    assert sla["policy"] == "Fast"
    assert sla["first_response"]["state"] == "breached"
    assert sla["first_response"]["breached_at"] == sla["first_response"]["due_at"]
    assert sla["first_response"]["met_at"] is None
    assert sla["next_response"] == {
        "state": "none",
        "due_at": None,
        "met_at": None,
        "breached_at": None,
    }
    listed = client.get("/api/v1/conversations").json()["items"]
    assert {item["id"]: item["sla"]["policy"] for item in listed} == {
        breaches["support"].pk: "Fast",
        breaches["sales"].pk: "Fast",
    }
    # An ownership answer carries it too.
    claimed = client.post(f"/api/v1/conversations/{conversation.pk}/claim")
    assert claimed.status_code == 200, claimed.content
    assert claimed.json()["sla"]["policy"] == "Fast"


def test_a_conversation_no_clock_has_run_for_shows_no_sla(client, people):
    conversation = customer_conversation(client, "34600000009")  # no policy: a row anyway
    ConversationSla.objects.filter(pk=conversation.pk).delete()
    as_user(client, people["root"])
    sla = client.get(f"/api/v1/conversations/{conversation.pk}").json()["sla"]
    assert sla["policy"] is None
    assert sla["first_response"]["state"] == "none"


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_lists_cost_the_same_queries_for_one_row_or_many(client, people):
    make_policy("Fast")
    as_user(client, people["root"])
    breach(customer_conversation(client, "34600000011"))
    one_conversation = _queries(client, "/api/v1/conversations")
    one_breach = _queries(client, "/api/v1/sla/breaches")
    for n in range(2, 5):
        breach(customer_conversation(client, f"3460000001{n}"))
    assert _queries(client, "/api/v1/conversations") == one_conversation
    assert _queries(client, "/api/v1/sla/breaches") == one_breach
    assert len(client.get("/api/v1/sla/breaches").json()["items"]) == 4


def test_the_openapi_document_describes_the_sla_endpoints(client):
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    assert set(paths["/api/v1/sla/policies"]) == {"get", "post"}
    assert set(paths["/api/v1/sla/policies/{policy_id}"]) == {"get", "put", "delete"}
    assert "get" in paths["/api/v1/sla/breaches"]
    schemas = document["components"]["schemas"]
    for name in ("PolicyIn", "PolicyOut", "BreachOut", "SlaOut", "SlaMetricOut"):
        assert name in schemas
    assert "sla" in schemas["ConversationOut"]["properties"]
