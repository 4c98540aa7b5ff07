"""Dead letters are replayed through the webhook intake (issue #9, item 1)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from baton.conversations.models import Conversation, Message
from baton.conversations.ownership import do_claim_conversation
from baton.whatsapp.models import DeadLetter
from baton.whatsapp.outbound import do_queue_outbound_message
from tests.conftest import load_sample, make_inbox, make_user, meta_bytes, post_webhook

PNID = "1122334455667"


def deadletters(*args: str) -> str:
    out = StringIO()
    call_command("deadletters", *args, stdout=out)
    return out.getvalue()


def status_webhook(wamid: str, status: str = "delivered") -> bytes:
    payload = load_sample("meta_sample_v25_status_read.json")
    value = payload["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = PNID
    value["statuses"][0].update(id=wamid, status=status)
    return meta_bytes(payload)


@pytest.fixture
def letter_for_unknown_number(client, db) -> DeadLetter:
    """A message that came before its number was connected to Baton."""
    post_webhook(client, meta_bytes(load_sample("inbound_text.json")))
    return DeadLetter.objects.get(reason="unknown_number")


def test_replay_stores_the_message_once_the_number_is_connected(letter_for_unknown_number):
    make_inbox(PNID)
    output = deadletters("replay")
    message = Message.objects.get(wamid="wamid.xyzxyz")
    assert message.text == "Body Text"
    assert message.conversation.contact.profile_name == "Test Name"
    letter = DeadLetter.objects.get()
    assert letter.replayed_at is not None
    assert (letter.replay_outcome, letter.replay_count) == ("stored", 1)
    assert f"[1/1] #{letter.pk} unknown_number: stored" in output
    assert "Replayed 1 dead letter(s): 1 stored, 0 already stored, 0 still failing." in output


def test_replaying_twice_is_harmless(letter_for_unknown_number):
    make_inbox(PNID)
    deadletters("replay")
    # A resolved letter is left alone unless asked for by id.
    assert "No dead letters to replay." in deadletters("replay")
    output = deadletters("replay", "--id", str(letter_for_unknown_number.pk))
    assert "1 already stored" in output
    assert Message.objects.count() == 1
    letter = DeadLetter.objects.get()
    assert (letter.replay_outcome, letter.replay_count) == ("duplicate", 2)


def test_a_letter_that_still_fails_is_reported_and_not_copied(letter_for_unknown_number):
    output = deadletters("replay")
    assert "0 stored, 0 already stored, 1 still failing." in output
    letter = DeadLetter.objects.get()  # no second letter for the same payload
    assert letter.replay_outcome == "failed"
    assert "no active inbox has this phone_number_id" in letter.replay_detail
    assert not Message.objects.exists()


def test_a_status_that_came_before_its_send_was_recorded_is_applied_on_replay(client, inbox):
    post_webhook(client, meta_bytes(load_sample("inbound_text.json")))
    owner = make_user("owner")
    conversation = do_claim_conversation(Conversation.objects.get().pk, owner)
    post_webhook(client, status_webhook("wamid.early"))
    assert DeadLetter.objects.get().reason == "unknown_message"
    reply = do_queue_outbound_message(conversation, owner, template={"name": "hello_world"})
    Message.objects.filter(pk=reply.pk).update(wamid="wamid.early", status="sent", status_rank=2)
    deadletters("replay", "--reason", "unknown_message")
    reply.refresh_from_db()
    assert reply.status == "delivered"
    assert DeadLetter.objects.get().replay_outcome == "stored"


def test_a_message_that_failed_is_replayed_with_its_number_and_profile(client, inbox):
    letter = DeadLetter.objects.create(
        reason="processing_error",
        phone_number_id=PNID,
        detail="OperationalError: the database went away",
        payload={
            "message": load_sample("inbound_text.json")["entry"][0]["changes"][0]["value"][
                "messages"
            ][0],
            "metadata": {"phone_number_id": PNID},
            "contacts": [{"profile": {"name": "Kept Profile"}, "wa_id": "972987654321"}],
        },
    )
    deadletters("replay", "--id", str(letter.pk))
    message = Message.objects.get(wamid="wamid.xyzxyz")
    assert message.conversation.inbox == inbox
    assert message.conversation.contact.profile_name == "Kept Profile"


def test_filters_select_by_reason_id_and_age(client, inbox):
    post_webhook(client, status_webhook("wamid.nobody"))
    old = DeadLetter.objects.create(reason="api_error", payload={"errors": []}, detail="old")
    DeadLetter.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    deadletters("replay", "--reason", "api_error")
    assert list(DeadLetter.objects.exclude(replayed_at=None).values_list("pk", flat=True)) == [
        old.pk
    ]
    assert "No dead letters to replay." in deadletters(
        "replay", "--since", "1d", "--reason", "api_error"
    )
    output = deadletters("replay", "--since", "1d")
    assert "unknown_message: still cannot be applied" in output
    assert DeadLetter.objects.filter(replayed_at=None).count() == 0


def test_list_shows_letters_and_their_replay(letter_for_unknown_number):
    output = deadletters("list")
    assert f"#{letter_for_unknown_number.pk}" in output
    assert "unknown_number" in output
    assert "not replayed" in output
    assert "1 dead letter(s)." in output
    deadletters("replay")
    assert "(failed)" in deadletters("list", "--reason", "unknown_number")
    assert "0 dead letter(s)." in deadletters("list", "--reason", "api_error")


def test_an_unreadable_body_is_reported_as_not_replayable(db):
    DeadLetter.objects.create(
        reason="processing_error",
        payload={"body": "[" * 100_000 + "]" * 100_000},
        detail="body nested too deeply to decode",
    )
    output = deadletters("replay")
    assert "cannot replay" in output
    assert DeadLetter.objects.get().replay_outcome == "failed"


def test_a_wrong_since_is_a_usage_error(db):
    with pytest.raises(CommandError):
        deadletters("replay", "--since", "last tuesday")


def test_admin_action_replays_the_selected_letters(client, letter_for_unknown_number):
    make_inbox(PNID)
    untouched = DeadLetter.objects.create(reason="api_error", payload={"errors": []})
    client.force_login(make_user("root", role="admin"))
    response = client.post(
        "/admin/whatsapp/deadletter/",
        {"action": "replay_selected", "_selected_action": [letter_for_unknown_number.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Replayed 1: 1 stored, 0 already stored, 0 still failing" in response.text
    assert Message.objects.filter(wamid="wamid.xyzxyz").exists()
    letter_for_unknown_number.refresh_from_db()
    assert letter_for_unknown_number.replay_outcome == "stored"
    untouched.refresh_from_db()
    assert untouched.replayed_at is None
