"""Configuration writes: validation on save, audit rows (actions and admin), ordering."""

from __future__ import annotations

import pytest

from baton.agents.models import Team
from baton.conversations.models import AuditEvent, EventKind
from baton.core.errors import InvalidInput
from baton.routing.models import BusinessHours, RoutingRule
from baton.routing.rule_actions import (
    do_delete_business_hours,
    do_delete_routing_rule,
    do_move_routing_rule,
    do_save_routing_rule,
)
from tests.conftest import make_inbox, make_user
from tests.routing.factories import make_hours, make_rule

EVERYTHING = {"all": []}


@pytest.fixture
def admin(db):
    # Every-inbox rules are admins' (team walls: tests/routing/test_team_walls.py).
    return make_user("maria", role="admin")


@pytest.fixture
def sales(db):
    return Team.objects.create(name="Sales")


def config_events():
    # Routing's own records (people created by fixtures are audited too, without "before").
    return list(
        AuditEvent.objects.filter(kind=EventKind.CONFIG, data__has_key="before").order_by("id")
    )


def test_create_change_delete_are_audited_with_before_and_after(admin, sales):
    rule = make_rule("Sales", EVERYTHING, {"team": "Sales"}, actor=admin)
    rule.actions = {"team": "Sales", "priority": 2}
    do_save_routing_rule(rule, admin)
    do_delete_routing_rule(rule, admin)
    created, changed, deleted = config_events()
    assert all(e.conversation_id is None and e.actor == admin for e in (created, changed))
    assert created.data["before"] is None
    assert created.data["after"]["actions"] == {"team": "Sales"}
    assert changed.data["before"]["actions"] == {"team": "Sales"}
    assert changed.data["after"]["actions"] == {"team": "Sales", "priority": 2}
    assert deleted.data["after"] is None
    assert deleted.data["before"]["name"] == "Sales"
    assert "deleted" in deleted.reason
    assert not RoutingRule.objects.exists()


def test_invalid_rule_is_refused_and_nothing_is_written(admin):
    rule = RoutingRule(
        name="Broken",
        conditions={"field": "message.body", "op": "equals", "value": "x"},
        actions={"team": "Nope"},
    )
    with pytest.raises(InvalidInput) as info:
        do_save_routing_rule(rule, admin)
    assert len(info.value.details["errors"]) == 2
    assert not RoutingRule.objects.exists()
    assert config_events() == []
    with pytest.raises(InvalidInput, match="needs a name"):
        do_save_routing_rule(RoutingRule(name=" ", conditions=EVERYTHING, actions={}), admin)


def test_new_rules_go_last_and_moving_renumbers(admin, sales):
    inbox = make_inbox()
    a, b, c = (make_rule(n, EVERYTHING, {"team": "Sales"}, inbox=inbox) for n in "abc")
    make_rule("global", EVERYTHING, {"team": "Sales"})
    assert [r.position for r in (a, b, c)] == [0, 1, 2]
    RoutingRule.objects.filter(pk__in=[a.pk, b.pk, c.pk]).update(position=5)  # legacy ties
    do_move_routing_rule(c, admin, -1)
    order = list(RoutingRule.objects.filter(inbox=inbox).order_by("position"))
    assert [r.name for r in order] == ["a", "c", "b"]
    do_move_routing_rule(a, admin, -1)  # already first: nothing happens
    assert config_events()[-1].data["after"]["order"] == [a.pk, c.pk, b.pk]
    moved_to_global = RoutingRule.objects.get(pk=b.pk)
    moved_to_global.inbox = None
    do_save_routing_rule(moved_to_global, admin)
    assert moved_to_global.position == 1  # end of the every-inbox list


def test_business_hours_audit_and_one_default(admin):
    hours = make_hours("Europe/Berlin", {"mon": [["09:00", "17:00"]]})
    do_delete_business_hours(hours, admin)
    kinds = [
        (e.data["object"], e.data["before"] is None, e.data["after"] is None)
        for e in config_events()
    ]
    assert kinds == [("business_hours", True, False), ("business_hours", False, True)]
    with pytest.raises(InvalidInput, match="unknown time zone"):
        make_hours("Mars/Olympus", {})
    make_hours("UTC", {})
    with pytest.raises(InvalidInput, match="already has business hours"):
        make_hours("UTC", {})


# ------------------------------------------------------------------------------------------
# Django admin


@pytest.fixture
def admin_client(client, db):
    admin = make_user("root", role="admin")
    client.force_login(admin)
    client.admin = admin
    return client


def test_admin_shows_json_and_validation_errors_in_the_form(admin_client, sales):
    response = admin_client.post(
        "/admin/routing/routingrule/add/",
        {
            "name": "Broken",
            "inbox": "",
            "enabled": "on",
            "conditions": '{"field": "message.text", "op": "matches", "value": "(oops"}',
            "actions": "{not json",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "invalid regular expression" in errors["conditions"][0]
    assert errors["actions"] == ["Enter a valid JSON."]
    assert not RoutingRule.objects.exists()


def test_admin_save_and_delete_go_through_the_actions(admin_client, sales):
    response = admin_client.post(
        "/admin/routing/routingrule/add/",
        {
            "name": "Sales",
            "inbox": "",
            "enabled": "on",
            "conditions": '{"all": []}',
            "actions": '{"team": "Sales"}',
        },
    )
    assert response.status_code == 302, response.content
    rule = RoutingRule.objects.get()
    assert rule.created_by == admin_client.admin
    response = admin_client.post(
        f"/admin/routing/routingrule/{rule.pk}/change/",
        {
            "name": "Sales 2",
            "inbox": "",
            "conditions": '{"all": []}',
            "actions": '{"team": "Sales"}',
        },
    )
    assert response.status_code == 302
    response = admin_client.post(f"/admin/routing/routingrule/{rule.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    reasons = [e.reason for e in config_events()]
    assert reasons == [
        "routing rule “Sales” created",
        "routing rule “Sales 2” changed",
        "routing rule “Sales 2” deleted",
    ]
    assert config_events()[1].data["after"]["enabled"] is False


def test_admin_bulk_delete_is_audited(admin_client, sales):
    rules = [make_rule(n, EVERYTHING, {"team": "Sales"}) for n in "ab"]
    response = admin_client.post(
        "/admin/routing/routingrule/",
        {"action": "delete_selected", "_selected_action": [r.pk for r in rules], "post": "yes"},
    )
    assert response.status_code == 302
    assert [e.data["before"]["name"] for e in config_events() if e.data["after"] is None] == [
        "a",
        "b",
    ]


def test_admin_business_hours(admin_client):
    response = admin_client.post(
        "/admin/routing/businesshours/add/",
        {
            "inbox": "",
            "time_zone": "Nowhere/City",
            "weekly": '{"mon": [["17:00", "09:00"]]}',
            "holidays": "[]",
        },
    )
    errors = response.context["adminform"].form.errors
    assert "unknown time zone" in errors["time_zone"][0]
    assert "start must be before the end" in errors["weekly"][0]
    response = admin_client.post(
        "/admin/routing/businesshours/add/",
        {
            "inbox": "",
            "time_zone": "Europe/Berlin",
            "weekly": '{"mon": [["09:00", "17:00"]]}',
            "holidays": '["2026-12-25"]',
        },
    )
    assert response.status_code == 302
    hours = BusinessHours.objects.get()
    assert hours.updated_by == admin_client.admin
    assert config_events()[0].data["after"]["time_zone"] == "Europe/Berlin"
    # A second default is refused by the form (the unique constraint), not a 500.
    response = admin_client.post(
        "/admin/routing/businesshours/add/",
        {"inbox": "", "time_zone": "UTC", "weekly": "{}", "holidays": "[]"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
