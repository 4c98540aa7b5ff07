"""The stale scan: alerts for customers left waiting raise, escalate and clear once."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from baton.conversations import ownership
from baton.conversations.models import Alert, Conversation
from baton.routing.alerts import do_scan_stale_conversations, stale_level
from baton.whatsapp.outbound import do_queue_outbound_message


def test_stale_level_policy():
    assert [stale_level(s, 300) for s in (0, 299, 300, 599, 600, 5000)] == [0, 0, 1, 1, 2, 2]


def test_unassigned_conversation_raises_then_escalates_then_clears(conversation, agent):
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(waiting_since=now)
    assert do_scan_stale_conversations(now + timedelta(seconds=200)) == 0
    assert do_scan_stale_conversations(now + timedelta(seconds=301)) == 1
    assert do_scan_stale_conversations(now + timedelta(seconds=400)) == 0  # recorded once
    assert do_scan_stale_conversations(now + timedelta(seconds=601)) == 1
    alert = Alert.objects.get()
    assert (alert.kind, alert.level) == ("unassigned_waiting", 2)
    ownership.do_claim_conversation(conversation.pk, agent)
    do_scan_stale_conversations(now + timedelta(seconds=602))
    alert.refresh_from_db()
    assert alert.cleared_at is not None


def test_owner_silent_alert_clears_when_owner_answers(owned_conversation, agent):
    now = timezone.now()
    Conversation.objects.filter(pk=owned_conversation.pk).update(waiting_since=now)
    do_scan_stale_conversations(now + timedelta(seconds=301))
    assert Alert.objects.get().kind == "owner_silent"
    do_queue_outbound_message(owned_conversation, agent, text="Sorry for the wait")
    do_scan_stale_conversations(now + timedelta(seconds=302))
    assert Alert.objects.get().cleared_at is not None
