"""Manager pages: permissions, list in order, edit with errors shown, toggle, move, delete,
dry run."""

from __future__ import annotations

import pytest

from baton.agents.models import Team
from baton.conversations.models import AuditEvent, EventKind
from baton.routing.models import RoutingRule
from tests.conftest import make_user, post_webhook
from tests.routing.factories import inbound, make_rule

EVERYTHING = {"all": []}
SALES_BUTTON = {"field": "message.reply_id", "op": "equals", "value": "callback_data"}


@pytest.fixture
def sales(db):
    return Team.objects.create(name="Sales")


@pytest.fixture
def rule(inbox, sales):
    return make_rule("Sales button", SALES_BUTTON, {"team": "Sales"}, inbox=inbox)


@pytest.fixture
def manager_client(client, sales):
    # Created after Sales exists, so maria manages Support and Sales (team walls:
    # tests/routing/test_team_walls.py).
    client.force_login(make_user("maria", role="manager"))
    return client


PAGES = [
    ("get", "/routing/"),
    ("get", "/routing/new"),
    ("get", "/routing/dry-run"),
    ("get", "/routing/{id}/"),
    ("post", "/routing/{id}/move/up"),
    ("post", "/routing/{id}/toggle"),
    ("post", "/routing/{id}/delete"),
]


@pytest.mark.parametrize(("method", "path"), PAGES)
@pytest.mark.parametrize(
    ("caller", "expected"), [("anonymous", 302), ("agent", 403), ("manager", None), ("admin", None)]
)
def test_permissions(client, rule, method, path, caller, expected):
    if caller != "anonymous":
        client.force_login(make_user(f"u-{caller}", role=caller))
    response = getattr(client, method)(path.format(id=rule.pk))
    if caller == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    elif expected == 403:
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 302)
    if caller in ("anonymous", "agent"):
        assert RoutingRule.objects.filter(pk=rule.pk, enabled=True, position=0).exists()


def test_header_links_to_routing_for_managers_only(client, db):
    client.force_login(make_user("agent1"))
    assert b"/routing/" not in client.get("/").content
    client.force_login(make_user("boss", role="manager"))
    assert b'href="/routing/"' in client.get("/").content


def test_list_shows_rules_per_inbox_in_order(
    manager_client, inbox, sales, django_assert_max_num_queries
):
    for name in ("first", "second", "third"):
        make_rule(name, EVERYTHING, {"team": "Sales"}, inbox=inbox)
    make_rule("everywhere", EVERYTHING, {"team": "Sales"})
    # The team walls cost a fixed four queries (teams, inboxes, memberships, the viewer's).
    with django_assert_max_num_queries(12):
        page = manager_client.get("/routing/").content.decode()
    assert page.index("first") < page.index("second") < page.index("third")
    assert "everywhere" not in page
    assert "Every inbox" not in page
    manager_client.force_login(make_user("root", role="admin"))
    with django_assert_max_num_queries(12):
        page = manager_client.get("/routing/").content.decode()
    assert page.index("third") < page.index("Every inbox") < page.index("everywhere")


def test_create_with_errors_shown_then_fixed(manager_client, inbox, sales):
    bad = {
        "name": "Refunds",
        "inbox": inbox.pk,
        "enabled": "on",
        "conditions": '{"field": "message.text", "op": "contains_any", "value": "refund"}',
        "actions": '{"team": "Nobody"}',
    }
    response = manager_client.post("/routing/new", bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "value must be a non-empty list of keywords" in page
    assert "there is no team &#x27;Nobody&#x27;" in page
    assert not RoutingRule.objects.exists()
    good = {
        **bad,
        "conditions": '{"field": "message.text", "op": "contains_any", "value": ["refund"]}',
        "actions": '{"team": "Sales", "priority": "high"}',
    }
    response = manager_client.post("/routing/new", good)
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.inbox, rule.actions["priority"], rule.created_by.username) == (
        inbox,
        "high",
        "maria",
    )
    assert AuditEvent.objects.filter(kind=EventKind.CONFIG, actor__username="maria").exists()


def test_edit_shows_pretty_json_and_saves(manager_client, rule):
    page = manager_client.get(f"/routing/{rule.pk}/").content.decode()
    assert "&quot;field&quot;: &quot;message.reply_id&quot;" in page
    response = manager_client.post(
        f"/routing/{rule.pk}/",
        {
            "name": "Renamed",
            "inbox": rule.inbox_id,
            "conditions": '{"all": []}',
            "actions": '{"team": "Sales"}',
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.enabled, rule.conditions) == ("Renamed", False, {"all": []})


def test_toggle_move_delete(manager_client, inbox, sales):
    a = make_rule("a", EVERYTHING, {"team": "Sales"}, inbox=inbox)
    b = make_rule("b", EVERYTHING, {"team": "Sales"}, inbox=inbox)
    manager_client.post(f"/routing/{b.pk}/move/up")
    assert list(RoutingRule.objects.order_by("position").values_list("name", flat=True)) == [
        "b",
        "a",
    ]
    assert manager_client.post(f"/routing/{b.pk}/move/sideways").status_code == 404
    manager_client.post(f"/routing/{a.pk}/toggle")
    a.refresh_from_db()
    assert a.enabled is False
    assert b"Enable" in manager_client.get("/routing/").content
    manager_client.post(f"/routing/{a.pk}/delete")
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["b"]
    assert manager_client.get("/routing/999/").status_code == 404
    assert manager_client.get(f"/routing/{b.pk}/delete").status_code == 405


def test_re_enabling_a_rule_whose_team_is_gone_says_why(manager_client, rule, sales):
    sales.delete()
    manager_client.post(f"/routing/{rule.pk}/toggle")  # disabling an invalid rule works
    rule.refresh_from_db()
    assert rule.enabled is False
    disabled = AuditEvent.objects.filter(kind=EventKind.CONFIG).latest("id")
    assert disabled.reason == "routing rule “Sales button” disabled"
    assert (disabled.data["before"]["enabled"], disabled.data["after"]["enabled"]) == (True, False)
    response = manager_client.post(f"/routing/{rule.pk}/toggle", follow=True)
    assert "there is no team" in response.content.decode()
    rule.refresh_from_db()
    assert rule.enabled is False


def test_dry_run_lists_latest_conversations_and_a_sample(rule, manager_client, client, inbox):
    # (The manager is created after the Sales team: a manager sees the teams they manage.)
    post_webhook(client, inbound("inbound_interactive_button_reply.json"))
    post_webhook(client, inbound(wamid="wamid.other", wa_id="491700000000", text="hello"))
    make_rule(
        "Later: greetings",
        {"field": "message.text", "op": "contains", "value": "hello"},
        {"team": "Sales", "labels": ["greeting"]},
        inbox=inbox,
    )
    page = manager_client.get("/routing/dry-run").content.decode()
    assert page.count("Sales button") == 2  # routed then and would go now
    assert "Later: greetings" in page  # would now match the second one
    assert "greeting" in page
    response = manager_client.get(
        "/routing/dry-run", {"inbox": inbox.pk, "reply_id": "callback_data", "limit": 1}
    )
    assert response.status_code == 200
    sample = response.content.decode().split('id="sample-result"')[1].split("</p>")[0]
    assert "Sales button" in sample
    assert "team <strong>Sales</strong>" in sample
    response = manager_client.get(
        "/routing/dry-run", {"inbox": inbox.pk, "text": "nothing matches", "limit": 5}
    )
    assert "no rule matches" in response.content.decode()
    assert manager_client.get("/routing/dry-run", {"limit": "0"}).status_code == 400


def test_dry_run_shows_only_the_managers_own_teams(client, inbox, rule):
    post_webhook(client, inbound("inbound_interactive_button_reply.json"))  # → Sales
    client.force_login(make_user("sue", role="manager", team="Support"))
    page = client.get("/routing/dry-run").content.decode()
    assert "Sales button" not in page
    response = client.post(
        "/api/v1/routing/dry-run", {"limit": 20}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["conversations"] == []
