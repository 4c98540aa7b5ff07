"""``baton demo`` seeds on every start: a restart (the seed run again on the same database)
keeps what exists and fills in only what is missing."""

from __future__ import annotations

import json
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from baton.agents.actions import do_record_connection, do_record_heartbeat
from baton.agents.models import Shift, Team, User
from baton.agents.tasks import do_expire_presence
from baton.bots.actions import do_set_flow_enabled, do_set_on_resolve_flow, do_update_flow
from baton.bots.models import Flow
from baton.conversations.models import (
    AuditEvent,
    Conversation,
    ConversationStatus,
    EventKind,
    Message,
    Priority,
)
from baton.demo.seed import DEMO_NUMBERS, FRONT_DESK_FLOW, seed_demo
from baton.sla.models import ConversationSla
from baton.whatsapp.models import Inbox
from tests.bots.helpers import customer_taps, customer_writes


def shifts_of(username: str) -> set[tuple[int, time, time]]:
    return set(Shift.objects.filter(user__username=username).values_list("weekday", "start", "end"))


def test_a_restart_keeps_the_shifts_and_settings_a_manager_changed(db):
    seed_demo()
    alice = User.objects.get(username="alice")
    support = Team.objects.get(name="Support")
    # A manager plans alice's week on top of the demo's shift, and retunes the routing.
    for weekday in range(5):
        Shift.objects.create(
            user=alice, team=support, weekday=weekday, start=time(9), end=time(9, 5)
        )
    Team.objects.filter(pk=support.pk).update(default_capacity=5, end_of_shift="keep")
    shop = Inbox.objects.get(phone_number_id=DEMO_NUMBERS[0].phone_number_id)
    Inbox.objects.filter(pk=shop.pk).update(default_team=support)
    planned = shifts_of("alice")

    seed_demo()  # the demo restarted

    assert shifts_of("alice") == planned
    support.refresh_from_db()
    assert (support.default_capacity, support.end_of_shift) == (5, "keep")
    shop.refresh_from_db()
    assert shop.default_team == support
    assert Shift.objects.filter(user__username="bob").count() == 1


def test_a_restart_adds_a_shift_only_for_an_agent_off_shift_now(db):
    seed_demo()
    bob = User.objects.get(username="bob")
    support = Team.objects.get(name="Support")
    # Bob's only shift is three days away: the demo would route nothing to him today.
    local_now = timezone.now().astimezone(ZoneInfo(support.time_zone))
    Shift.objects.filter(user=bob).delete()
    elsewhere = Shift.objects.create(
        user=bob, team=support, weekday=(local_now.weekday() + 3) % 7, start=time(9), end=time(10)
    )
    seed_demo()
    seed_demo()
    shifts = list(Shift.objects.filter(user=bob))
    assert len(shifts) == 2  # his own, kept, and one running now, added once
    assert elsewhere in shifts


def test_an_agent_made_available_by_a_restart_stays_available(db, settings):
    """Bob used the web app in the previous run, and the server was stopped with his tab
    open (its disconnect never counted). Three hours later the demo restarts and makes him
    available; its first presence scans must not take him offline for that old tab."""
    settings.BATON_OFFLINE_AFTER_SECONDS = 120
    seed_demo()
    bob = User.objects.get(username="bob")
    previous_run = timezone.now()
    do_record_connection(bob.pk, +1)
    do_record_heartbeat(bob.pk, previous_run + timedelta(seconds=30))

    seed_demo()  # the restart, three hours later
    restart = previous_run + timedelta(hours=3)
    for seconds in (1, 2, 15, 30, 200):  # the embedded worker scans from its first second
        do_expire_presence(restart + timedelta(seconds=seconds))
        assert User.objects.get(pk=bob.pk).presence == "available", seconds

    # The timeouts still apply once he is back: a tab opened, then closed for good.
    do_record_connection(bob.pk, +1)
    do_record_connection(bob.pk, -1)
    assert do_expire_presence(timezone.now() + timedelta(seconds=200)) == 1
    assert User.objects.get(pk=bob.pk).presence == "offline"


def test_the_bot_flows_are_seeded_once_and_a_managers_edits_are_kept(db):
    seed_demo()
    desk = Flow.objects.get(name="Front desk")
    closing = Flow.objects.get(name="Closing")
    assert (desk.start_on, desk.enabled, closing.start_on) == ("new_conversation", True, "manual")
    support = Team.objects.get(name="Support")
    assert support.on_resolve_flow == "Closing"
    # A manager rewrites the greeting, switches the rating off and clears the setting.
    edited = json.loads(json.dumps(FRONT_DESK_FLOW))
    edited["steps"][2]["text"] = "Welcome back!"
    do_update_flow(desk.pk, edited, None)
    do_set_flow_enabled(closing.pk, False, None)
    do_set_on_resolve_flow(support, "", None)

    seed_demo()
    seed_demo()

    assert Flow.objects.filter(name__in=["Front desk", "Closing"]).count() == 2
    desk.refresh_from_db()
    assert desk.versions.count() == 2
    assert desk.current_version.definition["steps"][2]["text"] == "Welcome back!"
    closing.refresh_from_db()
    assert closing.enabled is False
    support.refresh_from_db()
    assert support.on_resolve_flow == ""


def test_order_tracking_lands_in_support_with_the_order_number_and_the_standard_clock(
    client, inbox
):
    seed_demo()
    customer_writes(client, "Hi there")
    conversation = Conversation.objects.get()
    assert conversation.status == ConversationStatus.BOT
    assert ConversationSla.objects.get(pk=conversation.pk).first_response_state == "none"
    customer_taps(client, "track", "Track my order")
    customer_writes(client, "12x")  # not an order number: asked again
    customer_writes(client, "4711")
    conversation.refresh_from_db()
    assert conversation.status != ConversationStatus.BOT
    assert conversation.team.name == "Support"
    assert conversation.attributes["order_number"] == "4711"
    sla = ConversationSla.objects.get(pk=conversation.pk)
    assert (sla.policy.name, sla.first_response_state) == ("Standard", "running")
    texts = list(
        Message.objects.filter(direction="outbound").order_by("pk").values_list("text", flat=True)
    )
    assert "Only digits, please: what is your order number?" in texts
    assert texts[-1].endswith("takes over for order 4711.")


def test_a_billing_problem_skips_the_menu_and_runs_the_urgent_clock_from_the_handoff(client, inbox):
    seed_demo()
    customer_writes(client, "I was charged twice for order 1234")
    conversation = Conversation.objects.get()
    assert conversation.status != ConversationStatus.BOT
    assert (conversation.team.name, conversation.priority) == ("Support", Priority.URGENT)
    assert "billing" in conversation.labels
    handoff = AuditEvent.objects.get(conversation=conversation, kind=EventKind.BOT_HANDOFF)
    sla = ConversationSla.objects.get(pk=conversation.pk)
    assert (sla.policy.name, sla.first_response_started_at) == ("Urgent", handoff.created_at)


def test_talk_to_sales_goes_to_sales(client, inbox):
    seed_demo()
    customer_writes(client, "Hello")
    customer_taps(client, "sales", "Talk to sales")
    conversation = Conversation.objects.get()
    assert (conversation.status != ConversationStatus.BOT, conversation.team.name) == (
        True,
        "Sales",
    )
