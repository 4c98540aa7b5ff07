"""A webhook item only ever reaches the chats of its own customer on its own number (#9, 10).

Each attack has a control: the same item from the right customer on the right number works.
"""

from __future__ import annotations

from typing import Any

import pytest

from baton.conversations.models import Message
from baton.conversations.ownership import do_claim_conversation
from baton.whatsapp.models import DeadLetter
from baton.whatsapp.outbound import do_queue_outbound_message
from tests.conftest import make_inbox, make_user, meta_bytes, post_webhook

NUMBER_A = "100000000000001"
NUMBER_B = "200000000000002"
VICTIM = "34600000001"
ATTACKER = "34600000002"


def webhook(number: str, value: dict[str, Any]) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000000", "phone_number_id": number},
        **value,
    }
    return meta_bytes(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
        }
    )


def customer_sends(client, number: str, wa_id: str, wamid: str, kind: str, body: dict, **extra):
    message = {"from": wa_id, "id": wamid, "timestamp": "1700000000", "type": kind, kind: body}
    message.update(extra)
    contacts = [{"profile": {"name": f"Customer {wa_id}"}, "wa_id": wa_id}]
    response = post_webhook(client, webhook(number, {"contacts": contacts, "messages": [message]}))
    assert response.status_code == 200, response.content


def status_arrives(client, number: str, wamid: str, status: str = "read", **extra) -> None:
    item = {"id": wamid, "status": status, "timestamp": "1700000100", "recipient_id": VICTIM}
    item.update(extra)
    response = post_webhook(client, webhook(number, {"statuses": [item]}))
    assert response.status_code == 200, response.content


@pytest.fixture
def victim_message(client, db) -> Message:
    """Customer V wrote to number A; another number B exists on the same Baton."""
    make_inbox(NUMBER_A, name="Sales")
    make_inbox(NUMBER_B, name="Support")
    customer_sends(client, NUMBER_A, VICTIM, "wamid.victim", "text", {"body": "my address"})
    return Message.objects.get(wamid="wamid.victim")


def reply_to_victim(victim_message: Message) -> Message:
    """Our outbound message to V from number A, accepted by WhatsApp (it has a wamid)."""
    owner = make_user("owner")
    conversation = do_claim_conversation(victim_message.conversation_id, owner)
    reply = do_queue_outbound_message(conversation, owner, template={"name": "hello_world"})
    Message.objects.filter(pk=reply.pk).update(wamid="wamid.ours", status="sent", status_rank=2)
    reply.refresh_from_db()
    return reply


# Who sends the item, through which number, and whether it may touch V's message.
SENDERS = [
    pytest.param(ATTACKER, NUMBER_A, False, id="another-customer"),
    pytest.param(VICTIM, NUMBER_B, False, id="same-customer-other-number"),
    pytest.param(VICTIM, NUMBER_A, True, id="control-the-author"),
]


@pytest.mark.parametrize(("sender", "number", "allowed"), SENDERS)
def test_edit_reaches_only_the_authors_own_message(client, victim_message, sender, number, allowed):
    customer_sends(
        client,
        number,
        sender,
        "wamid.edit",
        "edit",
        {
            "original_message_id": "wamid.victim",
            "message": {"type": "text", "text": {"body": "send the refund to IBAN X"}},
        },
    )
    victim_message.refresh_from_db()
    assert (victim_message.text == "send the refund to IBAN X") is allowed
    assert bool(victim_message.content.get("edited")) is allowed


@pytest.mark.parametrize(("sender", "number", "allowed"), SENDERS)
def test_revoke_reaches_only_the_authors_own_message(
    client, victim_message, sender, number, allowed
):
    customer_sends(
        client, number, sender, "wamid.revoke", "revoke", {"original_message_id": "wamid.victim"}
    )
    victim_message.refresh_from_db()
    assert bool(victim_message.content.get("revoked")) is allowed


@pytest.mark.parametrize("target", ["customer's message", "our reply"])
@pytest.mark.parametrize(("sender", "number", "allowed"), SENDERS)
def test_reaction_reaches_only_the_senders_own_chat(
    client, victim_message, sender, number, allowed, target
):
    reacted_to = (
        victim_message if target == "customer's message" else reply_to_victim(victim_message)
    )
    customer_sends(
        client,
        number,
        sender,
        "wamid.reaction",
        "reaction",
        {"message_id": reacted_to.wamid, "emoji": "💩"},
    )
    reacted_to.refresh_from_db()
    assert (reacted_to.reactions == {"customer": "💩"}) is allowed


@pytest.mark.parametrize(("sender", "number", "allowed"), SENDERS)
def test_reply_context_links_only_the_senders_own_chat(
    client, victim_message, sender, number, allowed
):
    customer_sends(
        client,
        number,
        sender,
        "wamid.quote",
        "text",
        {"body": "what did you write?"},
        context={"from": VICTIM, "id": "wamid.victim"},
    )
    quoting = Message.objects.get(wamid="wamid.quote")
    assert (quoting.reply_to_id == victim_message.pk) is allowed


@pytest.mark.parametrize(("number", "allowed"), [(NUMBER_B, False), (NUMBER_A, True)])
def test_status_changes_only_a_message_sent_from_its_own_number(
    client, victim_message, number, allowed
):
    reply = reply_to_victim(victim_message)
    status_arrives(client, number, "wamid.ours", "read")
    reply.refresh_from_db()
    assert (reply.status == "read") is allowed
    assert DeadLetter.objects.filter(reason="unknown_message").exists() is not allowed


@pytest.mark.parametrize(("number", "allowed"), [(NUMBER_B, False), (NUMBER_A, True)])
def test_callback_data_adopts_only_an_in_flight_message_of_its_own_number(
    client, victim_message, number, allowed
):
    owner = make_user("owner")
    conversation = do_claim_conversation(victim_message.conversation_id, owner)
    in_flight = do_queue_outbound_message(conversation, owner, template={"name": "hello_world"})
    status_arrives(
        client,
        number,
        "wamid.from-elsewhere",
        "delivered",
        biz_opaque_callback_data=f"baton:{in_flight.pk}",
    )
    in_flight.refresh_from_db()
    assert (in_flight.wamid == "wamid.from-elsewhere") is allowed
    assert (in_flight.status == "delivered") is allowed
    assert DeadLetter.objects.filter(reason="unknown_message").exists() is not allowed
