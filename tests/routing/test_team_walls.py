"""Team walls for routing rules: a manager configures only rules that stay within the teams
they manage, on the web pages, the API, the dry run and the Django admin (issue 9, item 11).

The world: Support (the default team) and Sales, each with its own inbox; sue manages
Support, sam manages Sales, bea manages both, root is an admin.
"""

from __future__ import annotations

import json

import pytest

from baton.agents.actions import do_create_api_token
from baton.agents.models import Team, TeamMembership
from baton.conversations.models import AuditEvent, Conversation, EventKind
from baton.routing.models import RoutingRule
from baton.routing.queries import TeamWalls
from tests.conftest import make_inbox, make_user, post_webhook
from tests.routing.factories import inbound, make_rule

EVERYTHING = {"all": []}


@pytest.fixture
def world(db):
    support = Team.objects.get(is_default=True)
    sales = Team.objects.create(name="Sales")
    support_line = make_inbox("1122334455667", name="Support line", default_team=support)
    sales_line = make_inbox("2233445566778", name="Sales line", default_team=sales)
    make_user("alice", team="Support")
    make_user("bob", team="Sales")
    bea = make_user("bea", role="manager", team="Sales")
    TeamMembership.objects.create(team=support, user=bea, is_manager=True)
    support_rule = make_rule(
        "Support: all urgent",
        EVERYTHING,
        {"team": "Support", "priority": "urgent"},
        inbox=support_line,
    )
    return {
        "support": support,
        "sales": sales,
        "support_line": support_line,
        "sales_line": sales_line,
        "support_rule": support_rule,
        "users": {
            "sue": make_user("sue", role="manager", team="Support"),
            "sam": make_user("sam", role="manager", team="Sales"),
            "bea": bea,
            "root": make_user("root", role="admin"),
        },
    }


def snapshot() -> list[tuple]:
    return list(
        RoutingRule.objects.order_by("id").values_list(
            "id", "inbox_id", "position", "name", "enabled", "conditions", "actions"
        )
    )


def config_writes() -> int:
    return AuditEvent.objects.filter(kind=EventKind.CONFIG, data__object="routing_rule").count()


# --- The attacks, over the web pages and the API ------------------------------------------


def web(client, user, method: str, path: str, data: dict | None = None):
    client.force_login(user)
    return getattr(client, method)(path, data or {})


def api(client, user, method: str, path: str, body: dict | None = None):
    headers = {"Authorization": f"Token {do_create_api_token(user)}"}
    kwargs: dict = {"headers": headers}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


def rule_form(name: str, inbox, actions: dict, conditions: dict = EVERYTHING) -> dict:
    return {
        "name": name,
        "inbox": inbox.pk if inbox is not None else "",
        "enabled": "on",
        "conditions": json.dumps(conditions),
        "actions": json.dumps(actions),
    }


def rule_body(name: str, inbox, actions: dict, conditions: dict = EVERYTHING) -> dict:
    return {
        "name": name,
        "inbox_id": inbox.pk if inbox is not None else None,
        "conditions": conditions,
        "actions": actions,
    }


def attacks(world) -> dict[str, tuple[tuple, tuple]]:
    """Each attack by sam (Sales manager), as (web request, API request)."""
    rule = world["support_rule"]
    support_line, sales_line = world["support_line"], world["sales_line"]
    steal = {"team": "Sales"}
    return {
        "rewrite Support's rule to send to Sales": (
            ("post", f"/routing/{rule.pk}/", rule_form("mine now", support_line, steal)),
            ("put", f"/routing/rules/{rule.pk}", rule_body("mine now", support_line, steal)),
        ),
        "move Support's rule to the Sales inbox": (
            ("post", f"/routing/{rule.pk}/", rule_form("moved", sales_line, steal)),
            ("put", f"/routing/rules/{rule.pk}", rule_body("moved", sales_line, steal)),
        ),
        "create a global rule": (
            ("post", "/routing/new", rule_form("every customer", None, steal)),
            ("post", "/routing/rules", rule_body("every customer", None, steal)),
        ),
        "point a Support-inbox rule at Sales": (
            ("post", "/routing/new", rule_form("grab", support_line, steal)),
            ("post", "/routing/rules", rule_body("grab", support_line, steal)),
        ),
        "hand Sales customers to a Support agent": (
            ("post", "/routing/new", rule_form("to alice", sales_line, {"agent": "alice"})),
            ("post", "/routing/rules", rule_body("to alice", sales_line, {"agent": "alice"})),
        ),
        "disable Support's rule": (
            ("post", f"/routing/{rule.pk}/toggle", None),
            (
                "put",
                f"/routing/rules/{rule.pk}",
                {**rule_body(rule.name, support_line, rule.actions), "enabled": False},
            ),
        ),
        "delete Support's rule": (
            ("post", f"/routing/{rule.pk}/delete", None),
            ("delete", f"/routing/rules/{rule.pk}", None),
        ),
    }


ATTACKS = [
    "rewrite Support's rule to send to Sales",
    "move Support's rule to the Sales inbox",
    "create a global rule",
    "point a Support-inbox rule at Sales",
    "hand Sales customers to a Support agent",
    "disable Support's rule",
    "delete Support's rule",
]


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("channel", ["web", "api"])
def test_a_sales_manager_cannot_reach_support_through_a_rule(client, world, attack, channel):
    web_request, api_request = attacks(world)[attack]
    request = web_request if channel == "web" else api_request
    before, writes = snapshot(), config_writes()
    method, path, data = request
    sam = world["users"]["sam"]
    response = (web if channel == "web" else api)(client, sam, method, path, data)
    assert response.status_code == 403, response.content
    if channel == "api":
        error = response.json()["error"]
        assert error["code"] == "forbidden"
        message = error["message"]
    else:
        message = response.content.decode()
    assert "teams you manage" in message or "Only admins" in message
    assert snapshot() == before
    assert config_writes() == writes
    # And the customer is where Support's rule sends them.
    post_webhook(client, inbound(phone_number_id=world["support_line"].phone_number_id))
    conversation = Conversation.objects.get()
    assert (conversation.team, conversation.priority) == (world["support"], 3)


@pytest.mark.parametrize("channel", ["web", "api"])
@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("root", set(ATTACKS)),
        # A manager of both teams: everything but the every-inbox rule.
        ("bea", set(ATTACKS) - {"create a global rule"}),
    ],
)
def test_admins_and_managers_of_every_team_touched_can(client, world, channel, who, allowed):
    user = world["users"][who]
    for attack in ATTACKS:
        world["support_rule"] = RoutingRule.objects.filter(name="Support: all urgent").first()
        if world["support_rule"] is None:
            world["support_rule"] = make_rule(
                "Support: all urgent",
                EVERYTHING,
                {"team": "Support", "priority": "urgent"},
                inbox=world["support_line"],
            )
        web_request, api_request = attacks(world)[attack]
        request = web_request if channel == "web" else api_request
        method, path, data = request
        before = snapshot()
        response = (web if channel == "web" else api)(client, user, method, path, data)
        if attack in allowed:
            assert response.status_code in (200, 201, 204, 302), (attack, response.content)
            assert snapshot() != before, attack
        else:
            assert response.status_code == 403, attack
            assert snapshot() == before, attack


def test_managers_see_only_rules_within_their_teams(client, world):
    sales_rule = make_rule("Sales: vip", EVERYTHING, {"labels": ["vip"]}, inbox=world["sales_line"])
    make_rule("Everyone: low", EVERYTHING, {"priority": "low"})
    users = world["users"]
    page = web(client, users["sam"], "get", "/routing/").content.decode()
    assert "Sales: vip" in page
    assert "Support: all urgent" not in page
    assert "Support line" not in page
    assert "Everyone: low" not in page
    assert "Every inbox" not in page
    listed = api(client, users["sam"], "get", "/routing/rules").json()
    assert [r["name"] for r in listed] == ["Sales: vip"]
    listed = api(client, users["sue"], "get", "/routing/rules").json()
    assert [r["name"] for r in listed] == ["Support: all urgent"]
    listed = api(client, users["root"], "get", "/routing/rules").json()
    assert len(listed) == 3
    # Another team's rule by its address: a 403 that says why, on the page and the API.
    rule = world["support_rule"]
    response = web(client, users["sam"], "get", f"/routing/{rule.pk}/")
    assert response.status_code == 403
    assert "within the teams you manage" in response.content.decode()
    assert web(client, users["sam"], "get", f"/routing/{sales_rule.pk}/").status_code == 200


def test_moving_a_rule_past_another_teams_rule_is_refused(client, world):
    # Support's inbox: an admin's rule sending refunds to Sales, then sue's own rule.
    to_sales = make_rule(
        "Refunds to Sales",
        {"field": "message.text", "op": "contains", "value": "refund"},
        {"team": "Sales"},
        inbox=world["support_line"],
    )
    mine = make_rule("Mine", EVERYTHING, {"labels": ["support"]}, inbox=world["support_line"])
    sue = world["users"]["sue"]
    before = snapshot()
    response = web(client, sue, "post", f"/routing/{mine.pk}/move/up")
    assert response.status_code == 403
    assert "belongs to a team you do not manage" in response.content.decode()
    assert snapshot() == before
    # Past her own rule she can.
    web(client, sue, "post", f"/routing/{to_sales.pk}/move/up")  # not hers: refused
    assert snapshot() == before
    root = world["users"]["root"]
    assert web(client, root, "post", f"/routing/{mine.pk}/move/up").status_code == 302
    assert snapshot() != before


def test_dry_run_samples_stay_within_the_managers_inboxes(client, world):
    sam = world["users"]["sam"]
    support_line, sales_line = world["support_line"], world["sales_line"]
    response = web(client, sam, "get", "/routing/dry-run", {"inbox": support_line.pk, "text": "x"})
    assert response.status_code == 403
    assert "Support: all urgent" not in response.content.decode()
    response = web(client, sam, "get", "/routing/dry-run", {"text": "x"})
    assert response.status_code == 403
    response = web(client, sam, "get", "/routing/dry-run", {"inbox": sales_line.pk, "text": "x"})
    assert response.status_code == 200
    body = {"sample": {"inbox_id": support_line.pk, "text": "x"}}
    assert api(client, sam, "post", "/routing/dry-run", body).status_code == 403
    body = {"sample": {"inbox_id": sales_line.pk, "text": "x"}}
    assert api(client, sam, "post", "/routing/dry-run", body).status_code == 200
    sue = world["users"]["sue"]
    body = {"sample": {"inbox_id": support_line.pk, "text": "x"}}
    assert api(client, sue, "post", "/routing/dry-run", body).json()["sample_matched"] is True


def test_the_django_admin_is_for_admins_only(client, world):
    from django.contrib.auth.models import Permission

    sam = world["users"]["sam"]
    sam.is_staff = True
    sam.save()
    sam.user_permissions.set(Permission.objects.filter(codename__endswith="routingrule"))
    client.force_login(sam)
    assert client.get("/admin/routing/routingrule/").status_code == 403
    rule = world["support_rule"]
    response = client.post(
        f"/admin/routing/routingrule/{rule.pk}/change/",
        rule_form("mine now", world["support_line"], {"team": "Sales"}),
    )
    assert response.status_code == 403
    client.force_login(world["users"]["root"])
    assert client.get("/admin/routing/routingrule/").status_code == 200


# --- The definition, without a database ------------------------------------------------------

WALLS = TeamWalls(
    inbox_team={1: 10, 2: 20, 3: None},
    team_ids={"Support": 10, "Sales": 20, "Billing": 30},
    team_names={10: "Support", 20: "Sales", 30: "Billing"},
    agent_teams={"alice": frozenset({10}), "bob": frozenset({20, 30}), "loner": frozenset()},
)


@pytest.mark.parametrize(
    ("inbox_id", "actions", "touched"),
    [
        (None, {"priority": "high"}, None),  # every inbox: every team
        (3, {"priority": "high"}, None),  # an inbox without any team
        (1, {"priority": "high", "labels": ["x"], "strategy": "manual"}, {10}),
        (1, {"team": "Sales"}, {10, 20}),
        (1, {"team": "Nowhere"}, {10}),  # refused by validation anyway
        (1, {"agent": "alice"}, {10}),
        (1, {"agent": "bob"}, {10, 20, 30}),  # outside the rule's teams: all of bob's count
        (2, {"team": "Sales", "agent": "bob"}, {20}),
        (1, {"team": "Sales", "agent": "bob"}, {10, 20}),
        (1, {"agent": "loner"}, None),  # in no team at all
        (1, "not even a dict", {10}),
    ],
)
def test_teams_a_rule_touches(inbox_id, actions, touched):
    expected = None if touched is None else frozenset(touched)
    assert WALLS.teams_touched(inbox_id, actions) == expected
