"""SLA end to end in the database: the real webhook, replies, moves, the scan and the task.

Time: the clocks read when Baton stored each record, so a test moves a conversation into
the past by shifting its rows (``backdate``) instead of freezing the clock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from baton.agents.actions import do_set_presence
from baton.conversations.actions import do_set_priority
from baton.conversations.models import AuditEvent, Conversation, Message
from baton.conversations.ownership import (
    do_claim_conversation,
    do_resolve_conversation,
    do_set_pending,
)
from baton.sla.actions import do_create_policy, do_refresh_sla, do_scan_sla
from baton.sla.models import ConversationSla, SlaPolicy, SlaRecord
from baton.whatsapp.outbound import do_queue_outbound_message
from tests.conftest import load_sample, make_user, meta_bytes, post_webhook, run_tasks


def customer_writes(client, text: str = "Where is my order?", wamid: str | None = None) -> None:
    body = load_sample("inbound_text.json")
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message["text"]["body"] = text
    message["id"] = wamid or f"wamid.{timezone.now().timestamp()}{text[:4]}"
    message["timestamp"] = str(int(timezone.now().timestamp()))
    assert post_webhook(client, meta_bytes(body)).status_code == 200


def backdate(conversation: Conversation, minutes: float, *, then_refresh: bool = True) -> None:
    """Move everything this conversation recorded ``minutes`` into the past, and re-read
    its clocks (as the scan would)."""
    shift = timedelta(minutes=minutes)
    for message in Message.objects.filter(conversation=conversation):
        Message.objects.filter(pk=message.pk).update(created_at=message.created_at - shift)
    for event in AuditEvent.objects.filter(conversation=conversation):
        AuditEvent.objects.filter(pk=event.pk).update(created_at=event.created_at - shift)
    if then_refresh:
        refresh(conversation)


def refresh(conversation: Conversation) -> ConversationSla:
    from django.db import transaction

    from baton.conversations.ownership import lock_conversation

    with transaction.atomic():
        return do_refresh_sla(lock_conversation(conversation.pk))


def sla_of(conversation: Conversation) -> ConversationSla:
    return ConversationSla.objects.get(pk=conversation.pk)


def reply(conversation: Conversation, author, text: str = "Let me check") -> Message:
    conversation.refresh_from_db()
    return do_queue_outbound_message(conversation, author, text=text)


@pytest.fixture
def standard(db):
    return do_create_policy(
        None,
        {
            "name": "Standard",
            "first_response_seconds": 600,
            "next_response_seconds": 900,
            "resolution_seconds": 3600,
            "warn_before_seconds": 300,
        },
    )


@pytest.fixture
def alice(db):
    user = make_user("alice", team="Support")
    do_set_presence(user, "available")
    return user


def test_a_customer_message_starts_the_first_response_clock(client, inbox, standard):
    before = timezone.now()
    customer_writes(client)
    conversation = Conversation.objects.get()
    row = sla_of(conversation)
    assert row.policy == standard
    assert row.first_response_state == "running"
    assert before + timedelta(seconds=600) <= row.first_response_due_at
    assert row.first_response_due_at <= timezone.now() + timedelta(seconds=600)
    assert row.first_response_warn_at == row.first_response_due_at - timedelta(seconds=300)
    assert row.next_check_at == row.first_response_warn_at
    assert row.resolution_state == "running"
    assert row.next_response_state == "none"
    assert row.nearest_due_at == row.first_response_due_at
    # The first choice is shown with the clocks; only later changes of policy are recorded.
    assert not AuditEvent.objects.filter(conversation=conversation, kind="sla_policy").exists()


@pytest.mark.django_db(transaction=True)
def test_warning_then_breach_each_recorded_once_with_the_policys_actions(
    client, inbox, standard, alice
):
    SlaPolicy.objects.filter(pk=standard.pk).update(
        on_warning=[{"action": "notify_owner"}],
        on_breach=[
            {"action": "set_priority", "priority": "urgent"},
            {"action": "add_label", "label": "late"},
        ],
    )
    customer_writes(client)
    conversation = Conversation.objects.get()
    backdate(conversation, 6)
    assert sla_of(conversation).first_response_state == "warning"
    for _ in range(3):  # any number of scans and workers: once
        do_scan_sla(now=timezone.now())
    assert SlaRecord.objects.get().kind == "warning"
    for _ in range(3):
        do_scan_sla(now=timezone.now() + timedelta(minutes=5))
    records = SlaRecord.objects.filter(conversation=conversation, metric="first_response")
    assert sorted(records.values_list("kind", flat=True)) == ["breach", "warning"]
    run_tasks()
    conversation.refresh_from_db()
    assert conversation.priority == 3
    assert conversation.labels == ["late"]
    lines = list(
        AuditEvent.objects.filter(conversation=conversation, kind__in=["sla_warning", "sla_breach"])
        .order_by("id")
        .values_list("kind", "reason")
    )
    assert lines == [
        ("sla_warning", "first response due soon → owner notified (policy Standard)"),
        ("sla_breach", "first response breached → priority urgent, label late (policy Standard)"),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_late_answer_is_missed_once_and_escalates_nothing(client, inbox, standard, alice):
    SlaPolicy.objects.filter(pk=standard.pk).update(
        on_breach=[{"action": "set_priority", "priority": "urgent"}]
    )
    customer_writes(client)
    conversation = Conversation.objects.get()
    do_claim_conversation(conversation.pk, alice)
    # The scan has not run yet: the reply finds the breach itself.
    backdate(conversation, 11, then_refresh=False)
    reply(conversation, alice)
    assert sla_of(conversation).first_response_state == "missed"
    records = SlaRecord.objects.filter(conversation=conversation, metric="first_response")
    assert sorted(records.values_list("kind", flat=True)) == ["breach", "missed"]
    assert records.get(kind="missed").owner == alice
    do_scan_sla(now=timezone.now() + timedelta(minutes=30))  # resolution not due yet
    run_tasks()
    assert records.count() == 2
    conversation.refresh_from_db()
    assert conversation.priority == 1  # answered: nothing to escalate
    line = AuditEvent.objects.get(conversation=conversation, kind="sla_breach")
    assert line.reason == "first response breached (policy Standard)"


def test_an_answer_in_time_is_met_and_the_scan_never_breaches_it(client, inbox, standard, alice):
    customer_writes(client)
    conversation = Conversation.objects.get()
    backdate(conversation, 4)
    do_claim_conversation(conversation.pk, alice)
    reply(conversation, alice)
    row = sla_of(conversation)
    assert row.first_response_state == "met"
    record = SlaRecord.objects.get(conversation=conversation, metric="first_response")
    assert record.kind == "met"
    assert 4 * 60 - 5 <= record.elapsed_seconds <= 4 * 60 + 5
    do_scan_sla(now=timezone.now() + timedelta(hours=1))
    assert not SlaRecord.objects.filter(kind="breach", metric="first_response").exists()


def test_notes_and_automation_do_not_stop_the_clock(client, inbox, standard, alice):
    from baton.conversations.actions import do_add_note

    customer_writes(client)
    conversation = Conversation.objects.get()
    do_claim_conversation(conversation.pk, alice)
    do_add_note(conversation, alice, "looking into it")
    refresh(conversation)
    assert sla_of(conversation).first_response_state == "running"


def test_thanks_starts_no_next_response_clock_but_a_question_does(client, inbox, standard, alice):
    customer_writes(client)
    conversation = Conversation.objects.get()
    do_claim_conversation(conversation.pk, alice)
    reply(conversation, alice, "It ships tomorrow")
    customer_writes(client, "Muchas gracias! 👍")
    assert sla_of(conversation).next_response_state == "none"
    customer_writes(client, "and the invoice?")
    row = sla_of(conversation)
    assert row.next_response_state == "running"
    assert row.next_response_due_at is not None
    reply(conversation, alice, "Attached")
    assert sla_of(conversation).next_response_state == "met"


def test_pending_pauses_resolution_and_a_reopen_starts_a_new_cycle(client, inbox, standard, alice):
    customer_writes(client)
    conversation = Conversation.objects.get()
    do_claim_conversation(conversation.pk, alice)
    reply(conversation, alice)
    do_set_pending(conversation.pk, alice)
    row = sla_of(conversation)
    assert row.resolution_state == "paused"
    assert row.resolution_due_at is None  # moves while the pause lasts
    assert row.next_check_at is None
    do_resolve_conversation(conversation.pk, alice)
    row = sla_of(conversation)
    assert row.resolution_state == "met"
    assert SlaRecord.objects.filter(metric="resolution", kind="met").count() == 1
    customer_writes(client, "One more thing, please")
    row = sla_of(conversation)
    assert row.cycle == 2
    assert SlaRecord.objects.filter(metric="resolution", kind="met").get().cycle == 1
    assert row.first_response_state == "running"
    assert row.resolution_state == "running"


def test_the_policy_is_rechosen_when_the_priority_changes(client, inbox, standard):
    urgent = do_create_policy(
        None,
        {
            "name": "Urgent",
            "position": 0,
            "first_response_seconds": 120,
            "conditions": {"field": "conversation.priority", "op": "equals", "value": "urgent"},
        },
    )
    SlaPolicy.objects.filter(pk=standard.pk).update(position=1)
    customer_writes(client)
    conversation = Conversation.objects.get()
    assert sla_of(conversation).policy == standard
    do_set_priority(conversation.pk, 3, actor=None, reason="VIP")
    row = sla_of(conversation)
    assert row.policy == urgent
    assert row.first_response_due_at - row.first_response_started_at == timedelta(seconds=120)
    assert AuditEvent.objects.filter(
        conversation=conversation, kind="sla_policy", reason="SLA policy Standard → Urgent"
    ).exists()


def test_without_a_policy_outcomes_are_still_recorded_for_reports(client, inbox, alice):
    customer_writes(client)
    conversation = Conversation.objects.get()
    row = sla_of(conversation)
    assert row.policy is None
    assert row.first_response_state == "none"
    assert row.next_check_at is None
    backdate(conversation, 3)
    do_claim_conversation(conversation.pk, alice)
    reply(conversation, alice)
    record = SlaRecord.objects.get(metric="first_response")
    assert record.kind == "stopped"
    assert record.due_at is None
    assert 175 <= record.elapsed_seconds <= 185


@pytest.mark.django_db(transaction=True)
def test_a_reassign_action_hands_the_breached_conversation_to_a_teammate(
    client, inbox, standard, alice
):
    bob = make_user("bob", team="Support")
    SlaPolicy.objects.filter(pk=standard.pk).update(on_breach=[{"action": "reassign"}])
    customer_writes(client)
    conversation = Conversation.objects.get()
    do_claim_conversation(conversation.pk, alice)
    do_set_presence(bob, "available")
    do_set_presence(alice, "away")
    backdate(conversation, 11)
    do_scan_sla()
    run_tasks()
    conversation.refresh_from_db()
    assert conversation.owner == bob
    line = AuditEvent.objects.get(conversation=conversation, kind="sla_breach")
    assert "reassigned to" in line.reason
    assert "(policy Standard)" in line.reason


def test_invalid_policies_are_refused_with_the_field(db):
    from baton.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        do_create_policy(
            None,
            {
                "name": "Bad",
                "first_response_seconds": 60,
                "warn_before_seconds": 90,
                "on_breach": [{"action": "explode"}],
                "conditions": {"field": "conversation.mood", "op": "equals", "value": "x"},
            },
        )
    errors = refused.value.details["errors"]
    assert set(errors) == {"warn_before_seconds", "on_breach", "conditions"}


def test_bot_time_is_never_charged_to_people(client, inbox, standard, alice):
    from baton.conversations.ownership import do_assign_conversation

    bot = make_user("frontdesk-bot", role="bot")
    manager = make_user("mona", role="manager", team="Support")
    customer_writes(client)
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(status="bot", owner=bot)
    Message.objects.create(
        conversation=conversation,
        direction="outbound",
        author=bot,
        text="Hi! Menu:",
        timestamp=timezone.now(),
    )
    backdate(conversation, 30)  # half an hour with the bot
    row = sla_of(conversation)
    assert row.first_response_state == "none"  # nobody human owes an answer yet
    assert row.resolution_state == "none"
    handed_at = timezone.now()
    do_assign_conversation(conversation.pk, manager, "alice")
    row = sla_of(conversation)
    assert row.first_response_state == "running"
    assert handed_at <= row.first_response_started_at <= timezone.now()
    assert row.first_response_due_at == row.first_response_started_at + timedelta(seconds=600)


def test_business_hours_stop_the_clock_outside_opening_times(client, inbox, standard):
    from baton.routing.models import BusinessHours

    now = timezone.now()
    # Open only on a day that is not today (in UTC): the clock cannot run before then.
    other_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(now.weekday() + 3) % 7]
    BusinessHours.objects.create(
        inbox=None, time_zone="UTC", weekly={other_day: [["09:00", "10:00"]]}
    )
    SlaPolicy.objects.filter(pk=standard.pk).update(business_hours=True)
    customer_writes(client)
    row = sla_of(Conversation.objects.get())
    opens = (now + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    assert row.first_response_due_at == opens + timedelta(seconds=600)
    assert row.first_response_warn_at == opens + timedelta(seconds=300)


def _clock_columns(conversation: Conversation) -> dict:
    row = sla_of(conversation)
    return {
        field.name: getattr(row, field.name)
        for field in ConversationSla._meta.fields
        if field.name not in ("updated_at", "conversation")
    }


def test_the_ingest_fast_path_agrees_with_a_full_refresh(client, inbox, standard, alice):
    """Messages that move no clock skip the full evaluation; a full one changes nothing."""
    conversation = None
    for text in ["Hi", "anyone?", "hello??", None, "thanks!", "👍", "one more question", "x"]:
        if text is None:
            conversation = Conversation.objects.get()
            do_claim_conversation(conversation.pk, alice)
            reply(conversation, alice, "Here")
            continue
        customer_writes(client, text)
        conversation = Conversation.objects.get()
        before = _clock_columns(conversation)
        refresh(conversation)
        assert _clock_columns(conversation) == before, text
    assert sla_of(conversation).next_response_state == "running"
