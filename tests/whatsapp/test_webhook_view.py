"""The webhook endpoint end to end on the real schema."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from baton.conversations.models import Contact, Conversation, Message
from baton.conversations.ownership import do_claim_conversation
from baton.whatsapp.models import DeadLetter, Inbox
from baton.whatsapp.outbound import do_queue_outbound_message
from tests.conftest import (
    SAMPLES_DIR,
    VERIFY_TOKEN,
    load_sample,
    make_inbox,
    make_user,
    meta_bytes,
    post_webhook,
)


def nothing_stored() -> bool:
    return not (
        Message.objects.exists()
        or Contact.objects.exists()
        or Conversation.objects.exists()
        or DeadLetter.objects.exists()
    )


def test_verification_handshake(client, db):
    ok = client.get(
        "/webhooks/whatsapp",
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert ok.status_code == 200
    assert ok.content == b"1158201444"
    assert ok["Content-Type"].startswith("text/plain")
    wrong = client.get(
        "/webhooks/whatsapp",
        {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
    )
    assert wrong.status_code == 403


def test_missing_signature_is_refused_and_nothing_stored(client, inbox):
    body = meta_bytes(load_sample("inbound_text.json"))
    response = client.post("/webhooks/whatsapp", data=body, content_type="application/json")
    assert response.status_code == 401
    assert nothing_stored()


def test_forged_signature_is_refused_and_nothing_stored(client, inbox):
    body = meta_bytes(load_sample("inbound_text.json"))
    response = post_webhook(client, body, secret="forged")
    assert response.status_code == 403
    assert nothing_stored()


def test_tampered_body_is_refused(client, inbox):
    body = meta_bytes(load_sample("inbound_text.json"))
    from baton.whatsapp.signature import sign

    response = client.post(
        "/webhooks/whatsapp",
        data=body.replace(b"Body Text", b"Evil Text"),
        content_type="application/json",
        headers={"X-Hub-Signature-256": sign(body, "test-app-secret")},
    )
    assert response.status_code == 403
    assert nothing_stored()


def test_malformed_json_is_400_with_message(client, inbox):
    response = post_webhook(client, b'{"object": "whatsapp_business_account", "entry": [')
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    assert nothing_stored()


def test_wrong_envelope_is_400(client, inbox):
    response = post_webhook(client, b'{"object": "page", "entry": []}')
    assert response.status_code == 400
    assert "envelope" in response.json()["error"]
    assert nothing_stored()


def test_unknown_number_is_200_and_dead_lettered(client, db):
    response = post_webhook(client, meta_bytes(load_sample("inbound_text.json")))
    assert response.status_code == 200
    letter = DeadLetter.objects.get()
    assert letter.reason == "unknown_number"
    assert letter.phone_number_id == "1122334455667"
    assert letter.payload["value"]["messages"][0]["id"] == "wamid.xyzxyz"
    assert not Message.objects.exists()


INBOUND_SAMPLES = sorted(p.name for p in SAMPLES_DIR.glob("inbound_*.json"))


@pytest.mark.parametrize("name", INBOUND_SAMPLES)
def test_every_inbound_sample_is_stored_with_its_type(client, db, name):
    payload = load_sample(name)
    for entry in payload["entry"]:
        for change in entry["changes"]:
            pnid = change["value"]["metadata"]["phone_number_id"]
            if not Inbox.objects.filter(phone_number_id=pnid).exists():
                make_inbox(pnid)
    response = post_webhook(client, meta_bytes(payload))
    assert response.status_code == 200
    sent = [m for e in payload["entry"] for c in e["changes"] for m in c["value"]["messages"]]
    stored = {m.wamid: m for m in Message.objects.all()}
    # The batch sample reuses one placeholder wamid for both changes: stored once.
    assert set(stored) == {m["id"] for m in sent}
    for raw in sent:
        expected = raw["type"] if raw["type"] != "unknown" else "unsupported"
        assert stored[raw["id"]].type == expected
        assert stored[raw["id"]].raw["id"] == raw["id"]


def test_redelivery_is_stored_once(client, inbox):
    body = meta_bytes(load_sample("inbound_text.json"))
    assert post_webhook(client, body).json()["stored"] == 1
    second = post_webhook(client, body).json()
    assert second["stored"] == 0
    assert second["duplicates"] == 1
    assert Message.objects.count() == 1


def test_same_wamid_twice_in_one_post_is_stored_once(client, inbox):
    payload = load_sample("inbound_text.json")
    value = payload["entry"][0]["changes"][0]["value"]
    value["messages"].append(copy.deepcopy(value["messages"][0]))
    result = post_webhook(client, meta_bytes(payload)).json()
    assert (result["stored"], result["duplicates"]) == (1, 1)


def test_same_customer_by_bsuid_with_and_without_phone(client, inbox):
    with_phone = load_sample("inbound_text.json")
    post_webhook(client, meta_bytes(with_phone))
    username_only = load_sample("inbound_text_username_only_bsuid.json")
    username_only["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = (
        "1122334455667"
    )
    post_webhook(client, meta_bytes(username_only))
    contact = Contact.objects.get()
    assert contact.user_id == "US.13491208655302741918"
    assert contact.wa_id == "972987654321"
    assert contact.username == "@testusername"
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 2


def test_username_only_contact_has_no_phone(client, db):
    make_inbox("123456123")
    post_webhook(client, meta_bytes(load_sample("inbound_text_username_only_bsuid.json")))
    contact = Contact.objects.get()
    assert contact.wa_id is None
    assert contact.send_address == "US.13491208655302741918"


def test_window_and_reopen(client, inbox):
    post_webhook(client, meta_bytes(load_sample("inbound_text.json")))
    conversation = Conversation.objects.get()
    assert conversation.window_ends_at - conversation.last_inbound_at == timedelta(hours=24)
    Conversation.objects.filter(pk=conversation.pk).update(status="resolved")
    later = load_sample("inbound_text.json")
    later["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = "wamid.later"
    post_webhook(client, meta_bytes(later))
    reopened = Conversation.objects.get()
    assert reopened.pk == conversation.pk
    assert reopened.status == "queued"


def claimed(conversation: Conversation) -> Conversation:
    owner = make_user("owner")
    return do_claim_conversation(conversation.pk, owner)


def outbound_with_wamid(client, wamid: str) -> Message:
    post_webhook(client, meta_bytes(load_sample("inbound_text.json")))
    conversation = claimed(Conversation.objects.get())
    message = do_queue_outbound_message(
        conversation, conversation.owner, template={"name": "hello_world"}
    )
    Message.objects.filter(pk=message.pk).update(wamid=wamid, status="sent", status_rank=2)
    return message


def status_payload(wamid: str, status: str, **extra) -> dict:
    payload = load_sample("meta_sample_v25_status_read.json")
    value = payload["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = "1122334455667"
    value["statuses"][0].update({"id": wamid, "status": status, **extra})
    return payload


def test_statuses_never_move_backwards(client, inbox):
    message = outbound_with_wamid(client, "wamid.out1")
    post_webhook(client, meta_bytes(status_payload("wamid.out1", "read")))
    post_webhook(client, meta_bytes(status_payload("wamid.out1", "delivered")))
    post_webhook(client, meta_bytes(status_payload("wamid.out1", "sent")))
    message.refresh_from_db()
    assert message.status == "read"


def test_reordered_statuses_keep_the_earliest_time_of_each_step(client, inbox):
    message = outbound_with_wamid(client, "wamid.out2")
    post_webhook(client, meta_bytes(status_payload("wamid.out2", "read", timestamp="1700000300")))
    message.refresh_from_db()
    # Read proves delivery: a missing `delivered` webhook leaves no hole in the ticks.
    assert message.delivered_at == message.read_at
    post_webhook(
        client, meta_bytes(status_payload("wamid.out2", "delivered", timestamp="1700000100"))
    )
    message.refresh_from_db()
    assert message.status == "read"
    assert (message.read_at - message.delivered_at).total_seconds() == 200


def test_failed_status_keeps_code_title_details(client, inbox):
    message = outbound_with_wamid(
        client, "wamid.HBgNN5NzAzMDkTUyNzkzNhUEjA1MjUwNCAUIyNEYUQ0OTVGNTY0MwA="
    )
    payload = load_sample("status_failed_131047_reengagement.json")
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "1122334455667"
    post_webhook(client, meta_bytes(payload))
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.error_code == 131047
    assert message.error_title == "Re-engagement message"
    assert "24 hours" in message.error_details


def test_status_for_unknown_message_is_dead_lettered(client, inbox):
    post_webhook(client, meta_bytes(status_payload("wamid.nobody", "delivered")))
    assert DeadLetter.objects.get().reason == "unknown_message"


def test_status_matched_by_callback_data_when_response_was_lost(client, inbox):
    post_webhook(client, meta_bytes(load_sample("inbound_text.json")))
    conversation = claimed(Conversation.objects.get())
    message = do_queue_outbound_message(conversation, conversation.owner, template={"name": "x"})
    payload = status_payload(
        "wamid.fromwhatsapp", "delivered", biz_opaque_callback_data=f"baton:{message.pk}"
    )
    post_webhook(client, meta_bytes(payload))
    message.refresh_from_db()
    assert message.wamid == "wamid.fromwhatsapp"
    assert message.status == "delivered"


def test_reaction_and_its_removal(client, inbox):
    message = outbound_with_wamid(
        client, "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA="
    )
    reaction = load_sample("inbound_reaction.json")
    reaction_msg = reaction["entry"][0]["changes"][0]["value"]["messages"][0]
    reaction_msg["id"] = "wamid.reaction1"  # the sample reuses the text sample's id
    target = reaction_msg["reaction"]["message_id"]
    Message.objects.filter(pk=message.pk).update(wamid=target)
    post_webhook(client, meta_bytes(reaction))
    message.refresh_from_db()
    assert message.reactions == {"customer": "😮"}
    removal = load_sample("inbound_reaction_removed_no_emoji.json")
    removal_msg = removal["entry"][0]["changes"][0]["value"]["messages"][0]
    removal_msg["id"] = "wamid.reaction2"
    removal_msg["reaction"]["message_id"] = target
    post_webhook(client, meta_bytes(removal))
    message.refresh_from_db()
    assert message.reactions == {}


def test_customer_number_change_updates_contact(client, inbox):
    post_webhook(client, meta_bytes(load_sample("inbound_text.json")))
    change = load_sample("inbound_system_user_changed_number.json")
    change["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "1122334455667"
    post_webhook(client, meta_bytes(change))
    assert Contact.objects.get().wa_id == "972912345678"
