"""Rules applied through the real webhook endpoint, inside the ingest transaction."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from baton.agents.models import Team
from baton.conversations.models import AuditEvent, Contact, Conversation, EventKind
from baton.conversations.ownership import do_claim_conversation, do_resolve_conversation
from baton.realtime.events import ADMINS_GROUP
from tests.conftest import make_inbox, make_user, post_webhook
from tests.routing.factories import inbound, make_hours, make_rule

REPLY_IS_SALES = {"field": "message.reply_id", "op": "equals", "value": "callback_data"}


@pytest.fixture
def teams(db):
    return {name: Team.objects.create(name=name) for name in ("Sales", "Billing", "Night")}


def routed_events(conversation):
    return list(AuditEvent.objects.filter(conversation=conversation, kind=EventKind.ROUTED))


@pytest.mark.parametrize(
    "sample",
    [
        "inbound_interactive_button_reply.json",
        "inbound_interactive_list_reply.json",
        "inbound_button_template_quick_reply.json",
    ],
)
def test_button_or_list_reply_routes_to_a_team(client, inbox, teams, sample):
    rule = make_rule("Sales button", REPLY_IS_SALES, {"team": "Sales"})
    assert post_webhook(client, inbound(sample)).status_code == 200
    conversation = Conversation.objects.get()
    assert conversation.team == teams["Sales"]
    assert conversation.routing_rule == rule
    [event] = routed_events(conversation)
    assert event.to_team == teams["Sales"]
    assert "Sales button" in event.reason
    assert event.data["rule_id"] == rule.pk
    assert event.data["message_id"] == conversation.messages.get().pk


def test_every_action_is_applied(client, inbox, teams):
    alice = make_user("alice", team="Billing")
    make_rule(
        "Refunds",
        {"field": "message.text", "op": "contains_any", "value": ["refund", "money back"]},
        {
            "team": "Billing",
            "priority": "urgent",
            "labels": ["refund"],
            "agent": "alice",
            "strategy": "least_loaded",
        },
    )
    post_webhook(client, inbound(text="I want my MONEY BACK now"))
    conversation = Conversation.objects.get()
    assert conversation.team == teams["Billing"]
    assert conversation.priority == 3
    assert conversation.labels == ["refund"]
    assert conversation.preferred_agent == alice
    assert conversation.assignment_strategy == "least_loaded"
    assert conversation.owner is None  # the assignment engine decides, not the rule
    assert conversation.status == "queued"


def test_no_match_keeps_the_default_team_and_records_nothing(client, inbox, teams, default_team):
    make_rule("Sales button", REPLY_IS_SALES, {"team": "Sales"})
    post_webhook(client, inbound(text="just saying hi"))
    conversation = Conversation.objects.get()
    assert conversation.team == default_team
    assert conversation.routing_rule is None
    assert routed_events(conversation) == []


def test_first_matching_rule_wins_and_inbox_rules_come_before_global_ones(client, inbox, teams):
    everything = {"all": []}
    make_rule("Global catch-all", everything, {"team": "Night"})
    make_rule("Disabled", everything, {"team": "Sales"}, inbox=inbox, enabled=False)
    own = make_rule("Own catch-all", everything, {"team": "Billing"}, inbox=inbox)
    make_rule("Own second", everything, {"team": "Sales"}, inbox=inbox)
    other_inbox = make_inbox("999000", name="Other")
    make_rule("Other inbox", everything, {"team": "Sales"}, inbox=other_inbox)
    post_webhook(client, inbound())
    conversation = Conversation.objects.get()
    assert conversation.routing_rule == own
    assert conversation.team == teams["Billing"]


def test_global_rule_applies_when_the_inbox_has_none_matching(client, inbox, teams):
    make_rule("Own", REPLY_IS_SALES, {"team": "Sales"}, inbox=inbox)
    make_rule("Global", {"all": []}, {"team": "Night"})
    post_webhook(client, inbound())
    assert Conversation.objects.get().team == teams["Night"]


def test_contact_labels_and_attributes_are_read(client, inbox, teams):
    make_rule(
        "VIP",
        {
            "all": [
                {"field": "contact.labels", "op": "contains", "value": "vip"},
                {"field": "contact.attributes.tier", "op": "equals", "value": "gold"},
            ]
        },
        {"team": "Sales", "priority": 2},
    )
    post_webhook(client, inbound(wamid="wamid.first"))
    first = Conversation.objects.get()
    assert first.routing_rule is None  # not labelled yet
    Contact.objects.update(labels=["vip"], attributes={"tier": "gold"})
    do_resolve_conversation(first.pk, do_claim_conversation(first.pk, make_user("bob")).owner)
    # Another inbox: a brand-new conversation of the same (now labelled) contact.
    make_inbox("777000", name="Second")
    post_webhook(client, inbound(wamid="wamid.second", phone_number_id="777000"))
    second = Conversation.objects.exclude(pk=first.pk).get()
    assert second.team == teams["Sales"]
    assert second.priority == 2


def test_returning_customer_new_conversation_runs_rules_but_reopen_does_not(client, inbox, teams):
    make_rule(
        "Returning",
        {"field": "customer.is_returning", "op": "is_true"},
        {"team": "Sales"},
    )
    make_rule(
        "First timers",
        {"field": "customer.is_returning", "op": "is_false"},
        {"team": "Billing"},
    )
    post_webhook(client, inbound(wamid="wamid.1"))
    first = Conversation.objects.get()
    assert first.team == teams["Billing"]
    # A later message in the same conversation does not route it again.
    post_webhook(client, inbound(wamid="wamid.2"))
    assert len(routed_events(first)) == 1
    # Resolved, then the customer writes again: reopened to its queue, no rules.
    bob = make_user("bob", team="Billing")
    do_claim_conversation(first.pk, bob)
    do_resolve_conversation(first.pk, bob)
    post_webhook(client, inbound(wamid="wamid.3"))
    first.refresh_from_db()
    assert first.status == "queued"
    assert first.team == teams["Billing"]
    assert len(routed_events(first)) == 1
    assert AuditEvent.objects.filter(conversation=first, kind=EventKind.REOPENED).count() == 1
    # The same customer on another number: a brand-new conversation, rules run.
    make_inbox("777000", name="Second")
    post_webhook(client, inbound(wamid="wamid.4", phone_number_id="777000"))
    second = Conversation.objects.exclude(pk=first.pk).get()
    assert second.team == teams["Sales"]
    assert second.routing_rule.name == "Returning"


def test_outside_business_hours(client, inbox, teams):
    make_rule(
        "Night shift",
        {"field": "time.within_business_hours", "op": "is_false"},
        {"team": "Night"},
    )
    # Closed every day: the webhook certainly arrives outside business hours.
    make_hours("Europe/Berlin", {}, inbox=inbox)
    post_webhook(client, inbound(wamid="wamid.a"))
    assert Conversation.objects.get().team == teams["Night"]


def test_inbox_hours_override_the_default(client, inbox, teams, default_team):
    make_rule(
        "Night shift",
        {"field": "time.within_business_hours", "op": "is_false"},
        {"team": "Night"},
    )
    make_hours("UTC", {})  # default: always closed
    always = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    make_hours("Asia/Tokyo", always, inbox=inbox)
    post_webhook(client, inbound())
    assert Conversation.objects.get().team == default_team


def test_a_team_deleted_after_saving_is_skipped_and_said_so(client, inbox, teams, default_team):
    make_rule("Sales", {"all": []}, {"team": "Sales", "priority": 2})
    teams["Sales"].delete()
    post_webhook(client, inbound())
    conversation = Conversation.objects.get()
    assert conversation.team == default_team
    assert conversation.priority == 2
    [event] = routed_events(conversation)
    assert event.data["skipped"] == ["team 'Sales' no longer exists"]


def test_live_created_event_carries_the_rules_team(
    client, inbox, teams, django_capture_on_commit_callbacks
):
    make_rule("Sales button", REPLY_IS_SALES, {"team": "Sales"})
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(ADMINS_GROUP, channel)
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, inbound("inbound_interactive_button_reply.json"))
    first = async_to_sync(layer.receive)(channel)
    assert first["event"]["type"] == "conversation.created"
    assert first["event"]["conversation"]["team"] == "Sales"
    async_to_sync(layer.group_discard)(ADMINS_GROUP, channel)


def test_rules_cost_a_fixed_number_of_queries(client, inbox, teams):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_user("carol", team="Billing")
    last = {"team": "Billing", "labels": ["x"], "agent": "carol"}
    make_rule("last", {"all": []}, last)

    def queries_for_new_conversation(wa_id):
        with CaptureQueriesContext(connection) as ctx:
            post_webhook(client, inbound(wamid=f"wamid.{wa_id}", wa_id=wa_id))
        assert Conversation.objects.get(contact__wa_id=wa_id).team == teams["Billing"]
        return len(ctx.captured_queries)

    with_one_rule = queries_for_new_conversation("491000000001")
    for i in range(30):
        reply = {"field": "message.reply_id", "op": "equals", "value": f"x{i}"}
        make_rule(f"r{i}", reply, {"team": "Sales"}, inbox=inbox)
    assert queries_for_new_conversation("491000000002") == with_one_rule


def test_returning_and_business_hours_are_only_looked_up_when_a_rule_reads_them(
    client, inbox, teams
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rule = make_rule(
        "Text", {"field": "message.text", "op": "contains", "value": "zzz"}, {"team": "Sales"}
    )

    def queries(wa_id):
        with CaptureQueriesContext(connection) as ctx:
            post_webhook(client, inbound(wamid=f"wamid.{wa_id}", wa_id=wa_id))
        return [q["sql"] for q in ctx.captured_queries]

    text_only = queries("491000000011")
    rule.conditions = {
        "all": [
            {"field": "customer.is_returning", "op": "is_false"},
            {"field": "time.within_business_hours", "op": "is_true"},
        ]
    }
    rule.save()
    both = queries("491000000012")
    # The two lookups, then the team lookup, the conversation update and the audit row.
    assert len(both) == len(text_only) + 2 + 3
    assert not any("routing_businesshours" in sql for sql in text_only)
    assert any("routing_businesshours" in sql for sql in both)
    assert Conversation.objects.get(contact__wa_id="491000000012").team == teams["Sales"]
