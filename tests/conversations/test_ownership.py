"""Ownership actions on the real schema: who may do what, and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from baton.agents.actions import do_set_presence
from baton.conversations import ownership
from baton.conversations.actions import do_add_note
from baton.conversations.models import AuditEvent, Conversation, Handoff
from baton.core.errors import Conflict, InvalidInput, PermissionDenied
from baton.whatsapp.outbound import do_queue_outbound_message
from tests.conftest import load_sample, make_user, meta_bytes, post_webhook


def kinds(conversation) -> list[str]:
    return list(AuditEvent.objects.filter(conversation=conversation).values_list("kind", flat=True))


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def manager(db):
    return make_user("maria", role="manager")


def test_claim_records_and_conflicts_name_the_owner(conversation, agent, bob):
    claimed = ownership.do_claim_conversation(conversation.pk, agent)
    assert claimed.owner == agent
    assert claimed.status == "assigned"
    with pytest.raises(Conflict) as lost:
        ownership.do_claim_conversation(conversation.pk, bob)
    assert lost.value.status == 409
    assert lost.value.details["owner"] == "alice"
    assert "alice" in lost.value.message
    assert kinds(conversation) == ["claimed"]


def test_agent_of_another_team_cannot_claim(conversation):
    outsider = make_user("olga", team="Sales")
    with pytest.raises(PermissionDenied):
        ownership.do_claim_conversation(conversation.pk, outsider)


def test_only_the_owner_may_reply_but_anyone_may_add_notes(owned_conversation, bob, manager):
    with pytest.raises(Conflict, match="owned by @alice"):
        do_queue_outbound_message(owned_conversation, bob, text="I'll answer!")
    with pytest.raises(Conflict):
        do_queue_outbound_message(owned_conversation, manager, text="Manager here")
    assert do_add_note(owned_conversation, bob, "customer is VIP").direction == "note"
    assert do_queue_outbound_message(owned_conversation, owned_conversation.owner, text="Hi").pk


def test_unassigned_conversation_cannot_be_replied_to(conversation, agent):
    with pytest.raises(Conflict, match="claim it"):
        do_queue_outbound_message(conversation, agent, text="hello")


def test_assign_is_for_managers(conversation, agent, bob, manager):
    with pytest.raises(PermissionDenied):
        ownership.do_assign_conversation(conversation.pk, bob, "alice")
    assigned = ownership.do_assign_conversation(conversation.pk, manager, "alice", note="VIP")
    assert assigned.owner == agent
    event = AuditEvent.objects.get(conversation=conversation)
    assert (event.kind, event.actor, event.to_owner, event.note) == (
        "assigned",
        manager,
        agent,
        "VIP",
    )


def test_handoff_to_agent_waits_for_accept_and_records_time(owned_conversation, agent, bob):
    handoff = ownership.do_handoff_conversation(
        owned_conversation.pk, agent, to_username="bob", reason="Spanish speaker", note="order #12"
    )
    assert isinstance(handoff, Handoff)
    owned_conversation.refresh_from_db()
    assert owned_conversation.owner == agent  # still locked to the sender until accepted
    with pytest.raises(Conflict):
        do_queue_outbound_message(owned_conversation, bob, text="hola")
    accepted = ownership.do_accept_handoff(owned_conversation.pk, bob)
    assert accepted.owner == bob
    event = AuditEvent.objects.filter(kind="handoff_accepted").get()
    assert (event.from_owner, event.to_owner, event.actor) == (agent, bob, bob)
    assert (event.reason, event.note) == ("Spanish speaker", "order #12")
    assert event.data["seconds_to_accept"] >= 0
    assert kinds(owned_conversation) == ["claimed", "handoff_requested", "handoff_accepted"]


def test_declined_handoff_stays_with_sender_with_reason(owned_conversation, agent, bob):
    ownership.do_handoff_conversation(
        owned_conversation.pk, agent, to_username="bob", reason="busy"
    )
    with pytest.raises(InvalidInput):
        ownership.do_decline_handoff(owned_conversation.pk, bob, "")
    ownership.do_decline_handoff(owned_conversation.pk, bob, "I'm off in 5 minutes")
    owned_conversation.refresh_from_db()
    assert owned_conversation.owner == agent
    assert Handoff.objects.get().response_reason == "I'm off in 5 minutes"
    assert kinds(owned_conversation)[-1] == "handoff_declined"


def test_handoff_needs_reason_and_owner(owned_conversation, agent, bob):
    with pytest.raises(InvalidInput):
        ownership.do_handoff_conversation(
            owned_conversation.pk, agent, to_username="bob", reason=" "
        )
    with pytest.raises(Conflict):
        ownership.do_handoff_conversation(
            owned_conversation.pk, bob, to_username="alice", reason="x"
        )
    with pytest.raises(Conflict):
        ownership.do_accept_handoff(owned_conversation.pk, bob)  # nothing offered


def test_unanswered_handoff_expires_back_to_sender(owned_conversation, agent, bob):
    handoff = ownership.do_handoff_conversation(
        owned_conversation.pk, agent, to_username="bob", reason="lunch"
    )
    assert not ownership.do_expire_handoff(handoff.pk)  # not yet due
    Handoff.objects.filter(pk=handoff.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ownership.do_expire_handoff(handoff.pk)
    assert Handoff.objects.get().status == "expired"
    with pytest.raises(Conflict):
        ownership.do_accept_handoff(owned_conversation.pk, bob)
    owned_conversation.refresh_from_db()
    assert owned_conversation.owner == agent


def test_handoff_to_team_goes_to_its_queue(owned_conversation, agent):
    moved = ownership.do_handoff_conversation(
        owned_conversation.pk, agent, to_team_name="Support", reason="end of my shift"
    )
    assert (moved.owner, moved.status, moved.team.name) == (None, "queued", "Support")
    event = AuditEvent.objects.filter(kind="handed_to_team").get()
    assert event.to_team.name == "Support"


def test_release_takeover_resolve(owned_conversation, agent, bob, manager):
    with pytest.raises(Conflict):
        ownership.do_release_conversation(owned_conversation.pk, bob)
    taken = ownership.do_take_over_conversation(owned_conversation.pk, manager, "escalation")
    assert taken.owner == manager
    with pytest.raises(PermissionDenied):
        ownership.do_take_over_conversation(owned_conversation.pk, bob)
    with pytest.raises(Conflict):
        ownership.do_resolve_conversation(owned_conversation.pk, agent)
    resolved = ownership.do_resolve_conversation(owned_conversation.pk, manager)
    assert (resolved.status, resolved.owner, resolved.last_owner) == ("resolved", None, manager)
    assert kinds(owned_conversation) == ["claimed", "taken_over", "resolved"]


def test_customer_writing_again_goes_back_to_last_owner(client, owned_conversation, agent):
    do_set_presence(agent, "available")
    ownership.do_resolve_conversation(owned_conversation.pk, agent)
    payload = load_sample("inbound_text.json")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = "wamid.again"
    post_webhook(client, meta_bytes(payload))
    conversation = Conversation.objects.get()
    assert (conversation.status, conversation.owner) == ("assigned", agent)
    assert kinds(conversation)[-1] == "reopened"


@pytest.mark.parametrize("gone", ["deactivated", "away", "offline"])
def test_customer_writing_again_goes_to_queue_when_owner_gone(
    client, owned_conversation, agent, gone
):
    do_set_presence(agent, "available")
    ownership.do_resolve_conversation(owned_conversation.pk, agent)
    if gone == "deactivated":
        agent.is_active = False
        agent.save()
    else:
        do_set_presence(agent, gone)
    payload = load_sample("inbound_text.json")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = "wamid.again"
    post_webhook(client, meta_bytes(payload))
    conversation = Conversation.objects.get()
    assert (conversation.status, conversation.owner) == ("queued", None)


def test_snooze_and_wake_up(owned_conversation, agent):
    with pytest.raises(InvalidInput):
        ownership.do_snooze_conversation(owned_conversation.pk, agent, timezone.now())
    until = timezone.now() + timedelta(hours=1)
    snoozed = ownership.do_snooze_conversation(owned_conversation.pk, agent, until)
    assert snoozed.status == "snoozed"
    assert not ownership.do_wake_up_conversation(owned_conversation.pk)  # not yet
    Conversation.objects.filter(pk=owned_conversation.pk).update(
        snoozed_until=timezone.now() - timedelta(seconds=1)
    )
    assert ownership.do_wake_up_conversation(owned_conversation.pk)
    owned_conversation.refresh_from_db()
    assert (owned_conversation.status, owned_conversation.owner) == ("assigned", agent)


def test_pending_then_customer_replies(client, owned_conversation, agent):
    ownership.do_set_pending(owned_conversation.pk, agent)
    payload = load_sample("inbound_text.json")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = "wamid.answer"
    post_webhook(client, meta_bytes(payload))
    owned_conversation.refresh_from_db()
    assert owned_conversation.status == "assigned"
    assert kinds(owned_conversation)[-1] == "customer_replied"
