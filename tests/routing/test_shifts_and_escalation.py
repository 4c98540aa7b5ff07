"""Shift boundaries (start, end-of-shift policies), owner silent, overflow, presence timeouts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from baton.agents.actions import (
    do_record_activity,
    do_record_connection,
    do_record_heartbeat,
    do_set_presence,
)
from baton.agents.models import TeamMembership, TimeOff, User
from baton.agents.tasks import do_expire_presence
from baton.conversations.actions import do_add_note
from baton.conversations.models import Alert, AuditEvent, Conversation, Handoff
from baton.routing.actions import do_assign_waiting, do_scan_shift_boundaries
from baton.routing.alerts import do_scan_overflow, do_scan_stale_conversations
from tests.routing.factories import add_shift, make_agent, make_team, queue_conversation

MONDAY_9 = datetime(2026, 11, 23, 9, tzinfo=UTC)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


@pytest.fixture
def team(db):
    return make_team("Support", default_capacity=5)


def day_shift(user, team):
    add_shift(user, team, 0, time(9), time(13))


def test_shift_start_is_seen_once_and_runs_the_queue(team):
    alice = make_agent("alice", team)
    day_shift(alice, team)
    conv = queue_conversation(team, MONDAY_9 - hours(1))
    assert do_scan_shift_boundaries(MONDAY_9 - hours(1)) == (0, 0)
    assert Conversation.objects.get(pk=conv.pk).owner is None
    assert do_scan_shift_boundaries(MONDAY_9) == (1, 0)
    assert Conversation.objects.get(pk=conv.pk).owner == alice
    assert do_scan_shift_boundaries(MONDAY_9 + hours(1)) == (0, 0)  # idempotent
    assert TeamMembership.objects.get(user=alice).on_shift


def test_end_of_shift_keep(team):
    alice = make_agent("alice", team)
    day_shift(alice, team)
    conv = queue_conversation(team, MONDAY_9)
    do_scan_shift_boundaries(MONDAY_9)
    assert do_scan_shift_boundaries(MONDAY_9 + hours(4)) == (0, 1)
    assert Conversation.objects.get(pk=conv.pk).owner == alice


def test_end_of_shift_hands_off_with_notes_to_an_available_teammate(team):
    make_team("Support", end_of_shift="hand_off")
    alice, bob = make_agent("alice", team), make_agent("bob", team)
    day_shift(alice, team)
    add_shift(bob, team, 0, time(12), time(20))
    conv = queue_conversation(team, MONDAY_9)
    do_scan_shift_boundaries(MONDAY_9)
    assert Conversation.objects.get(pk=conv.pk).owner == alice
    do_add_note(conv, alice, "Refund approved, waiting for the bank.")
    do_scan_shift_boundaries(MONDAY_9 + hours(4))
    conv.refresh_from_db()
    assert (conv.owner, conv.last_owner) == (bob, alice)
    handoff = Handoff.objects.get(conversation=conv)
    assert (handoff.from_user, handoff.to_user, handoff.status) == (alice, bob, "accepted")
    assert handoff.reason == "shift ended"
    assert handoff.note == "Refund approved, waiting for the bank."
    event = AuditEvent.objects.get(conversation=conv, kind="handoff_accepted")
    assert event.reason == "shift ended"
    assert event.data["automatic"] is True
    assert event.note == handoff.note


def test_end_of_shift_hand_off_with_nobody_available_returns_to_queue(team):
    make_team("Support", end_of_shift="hand_off")
    alice = make_agent("alice", team)
    make_agent("bob", team, presence="offline")
    day_shift(alice, team)
    conv = queue_conversation(team, MONDAY_9)
    do_scan_shift_boundaries(MONDAY_9)
    do_scan_shift_boundaries(MONDAY_9 + hours(4))
    conv.refresh_from_db()
    assert (conv.status, conv.owner, conv.last_owner) == ("queued", None, alice)
    assert AuditEvent.objects.get(conversation=conv, kind="released").reason == "shift ended"


def test_end_of_shift_return_to_queue_then_teammate_takes_it(team):
    make_team("Support", end_of_shift="return_to_queue")
    alice = make_agent("alice", team)
    bob = make_agent("bob", team, presence="away")
    day_shift(alice, team)
    conv = queue_conversation(team, MONDAY_9)
    do_scan_shift_boundaries(MONDAY_9)
    do_scan_shift_boundaries(MONDAY_9 + hours(4))
    assert Conversation.objects.get(pk=conv.pk).status == "queued"
    User.objects.filter(pk=bob.pk).update(presence="available")
    do_assign_waiting(team.pk, now=MONDAY_9 + hours(4))
    assert Conversation.objects.get(pk=conv.pk).owner == bob


def test_a_day_off_ends_the_shift(team):
    alice = make_agent("alice", team)
    day_shift(alice, team)
    do_scan_shift_boundaries(MONDAY_9)
    TimeOff.objects.create(user=alice, first_day=MONDAY_9.date(), last_day=MONDAY_9.date())
    assert do_scan_shift_boundaries(MONDAY_9 + hours(1)) == (0, 1)
    queue_conversation(team, MONDAY_9)
    assert do_assign_waiting(team.pk, now=MONDAY_9 + hours(1)) == 0


def test_owner_silent_alerts_then_reassigns(team):
    make_team("Support", owner_silent_minutes=5, owner_silent_action="reassign")
    alice = make_agent("alice", team)
    conv = queue_conversation(team, timezone.now() - timedelta(minutes=30))
    do_assign_waiting(team.pk)
    conv.refresh_from_db()
    assert conv.owner == alice
    bob = make_agent("bob", team)
    # Customer waiting 6 minutes on alice: the owner is alerted.
    Conversation.objects.filter(pk=conv.pk).update(
        waiting_since=timezone.now() - timedelta(minutes=6)
    )
    do_scan_stale_conversations()
    alert = Alert.objects.get(conversation=conv, kind="owner_silent")
    assert alert.level == 1
    assert Conversation.objects.get(pk=conv.pk).owner == alice
    # Still silent at twice the threshold: reassigned to bob, recorded.
    do_scan_stale_conversations(now=timezone.now() + timedelta(minutes=5))
    conv.refresh_from_db()
    assert (conv.owner, conv.last_owner) == (bob, alice)
    event = AuditEvent.objects.filter(conversation=conv, kind="auto_assigned").last()
    assert event.reason.startswith("owner silent for")
    assert event.data["owner_silent"]
    # Scanning again neither raises a new alert nor moves it on.
    do_scan_stale_conversations(now=timezone.now() + timedelta(minutes=20))
    assert Conversation.objects.get(pk=conv.pk).owner == bob
    assert AuditEvent.objects.filter(conversation=conv, kind="auto_assigned").count() == 2


def test_owner_silent_alert_managers_keeps_the_owner(team):
    make_team("Support", owner_silent_minutes=5)
    alice = make_agent("alice", team)
    make_agent("bob", team)
    conv = queue_conversation(team, timezone.now() - timedelta(minutes=11))
    Conversation.objects.filter(pk=conv.pk).update(owner=alice, status="assigned")
    do_scan_stale_conversations()
    assert Alert.objects.get(conversation=conv, kind="owner_silent").level == 2
    assert Conversation.objects.get(pk=conv.pk).owner == alice


def test_overflow_to_a_fallback_team_once(team):
    sales = make_team("Sales")
    make_team("Support", overflow_after_minutes=10, fallback_team=sales)
    make_agent("alice", team, presence="away")
    carlos = make_agent("carlos", sales)
    now = timezone.now()
    late = queue_conversation(team, now - timedelta(minutes=11))
    recent = queue_conversation(team, now - timedelta(minutes=2))
    assert do_scan_overflow(now) == 1
    late.refresh_from_db()
    assert (late.team, late.owner) == (sales, carlos)
    event = AuditEvent.objects.get(conversation=late, kind="overflowed")
    assert event.reason == "nobody in Support could take it within 10 minutes"
    assert Conversation.objects.get(pk=recent.pk).team == team
    assert do_scan_overflow(now) == 0


def test_overflow_without_fallback_alerts_managers_once_and_clears(team):
    make_team("Support", overflow_after_minutes=10)
    now = timezone.now()
    conv = queue_conversation(team, now - timedelta(minutes=11))
    assert do_scan_overflow(now) == 1
    assert do_scan_overflow(now) == 0
    # The stale scan leaves the overflow alert to the routing scan.
    do_scan_stale_conversations(now)
    alert = Alert.objects.get(conversation=conv, kind="overflow")
    assert alert.cleared_at is None
    alice = make_agent("alice", team)
    do_assign_waiting(team.pk)
    assert Conversation.objects.get(pk=conv.pk).owner == alice
    assert do_scan_overflow(now) == 1  # the clearing
    alert.refresh_from_db()
    assert alert.cleared_at is not None


def test_presence_timeouts_follow_connections_and_activity(team, settings):
    settings.BATON_AWAY_AFTER_SECONDS = 600
    settings.BATON_OFFLINE_AFTER_SECONDS = 120
    alice = make_agent("alice", team)
    api_only = make_agent("robot", team)
    do_record_connection(alice.pk, +1)
    do_record_connection(alice.pk, +1)
    now = timezone.now()

    def tabs_beat(at):  # the open tabs' heartbeats, every 30 s up to ``at``
        for second in range(0, int((at - now).total_seconds()) + 1, 30):
            do_record_heartbeat(alice.pk, now + timedelta(seconds=second))

    tabs_beat(now + timedelta(seconds=300))
    assert do_expire_presence(now + timedelta(seconds=300)) == 0
    do_record_activity(alice.pk, now + timedelta(seconds=300))
    tabs_beat(now + timedelta(seconds=700))
    assert do_expire_presence(now + timedelta(seconds=700)) == 0  # active 400 s ago
    tabs_beat(now + timedelta(seconds=1000))
    assert do_expire_presence(now + timedelta(seconds=1000)) == 1
    assert User.objects.get(pk=alice.pk).presence == "away"
    do_record_connection(alice.pk, -1)
    assert do_expire_presence(now + timedelta(seconds=1000)) == 0  # one tab still open
    do_record_connection(alice.pk, -1)
    do_record_connection(alice.pk, -1)  # never below zero
    assert User.objects.get(pk=alice.pk).live_connections == 0
    assert do_expire_presence(timezone.now() + timedelta(seconds=60)) == 0
    assert do_expire_presence(timezone.now() + timedelta(seconds=200)) == 1
    assert User.objects.get(pk=alice.pk).presence == "offline"
    # Someone who never opened the web app keeps the presence they set (API use).
    assert User.objects.get(pk=api_only.pk).presence == "available"


def test_an_agent_whose_tabs_went_silent_goes_offline_despite_a_stale_count(team, settings):
    """A server process that died never ran its disconnect handlers: the connection count
    stays up, but the heartbeats stop, and that is what counts."""
    settings.BATON_OFFLINE_AFTER_SECONDS = 120
    alice = make_agent("alice", team)
    do_record_connection(alice.pk, +1)  # ...then the process holding that socket dies
    now = timezone.now()
    assert do_expire_presence(now + timedelta(seconds=60)) == 0
    assert do_expire_presence(now + timedelta(seconds=200)) == 1
    alice.refresh_from_db()
    assert (alice.presence, alice.live_connections) == ("offline", 1)
    # Her tab reconnects to another process and she sets herself available again.
    do_record_connection(alice.pk, +1)
    do_set_presence(alice, "available")
    do_record_heartbeat(alice.pk, now + timedelta(seconds=230))
    assert do_expire_presence(now + timedelta(seconds=300)) == 0
