"""The lock at send time (issue 9, item 15): a message waiting for an automatic retry is not
delivered once its author lost the conversation; it fails visibly, and the new owner may
resend it. Against the simulator's Graph API over real HTTP; tasks run as the worker would.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from baton.conversations.models import Conversation, Message
from baton.conversations.ownership import (
    do_accept_handoff,
    do_claim_conversation,
    do_handoff_conversation,
    do_release_conversation,
    do_resolve_conversation,
    do_take_over_conversation,
)
from baton.core.errors import Conflict, InvalidInput
from baton.whatsapp.delivery import do_requeue_failed_message
from baton.whatsapp.outbound import do_queue_outbound_message
from tests.conftest import load_sample, make_inbox, make_user, meta_bytes, post_webhook, run_tasks


def outbox(simulator) -> list[dict]:
    return httpx.get(f"{simulator.base_url}/_sim/outbox", timeout=5).json()["items"]


def inject(simulator, *faults: dict) -> None:
    httpx.post(f"{simulator.base_url}/_sim/faults", json=list(faults), timeout=5).raise_for_status()


RATE_LIMITED = {"kind": "error", "code": 130429, "http_status": 400, "title": "Rate limit hit"}


@pytest.fixture
def conversation(transactional_db, client, simulator, settings) -> Conversation:
    # The automatic retry waits an hour: the take-over happens meanwhile.
    settings.BATON_SEND_RETRY_BASE_SECONDS = 3600
    make_inbox(access_token="test-token")
    post_webhook(client, meta_bytes(load_sample("inbound_text.json")))
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(
        last_inbound_at=timezone.now(), window_ends_at=timezone.now() + timedelta(hours=24)
    )
    return do_claim_conversation(conversation.pk, make_user("rita"))


def failed_once_and_waiting(conversation: Conversation, simulator) -> Message:
    """Rita's reply: WhatsApp answers "rate limit", so it waits in the queue for its retry."""
    inject(simulator, RATE_LIMITED)
    message = do_queue_outbound_message(conversation, conversation.owner, text="Let me check.")
    run_tasks()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.next_attempt_at is not None) == (
        "queued",
        1,
        True,
    )
    assert outbox(simulator) == []
    return message


def run_due_retries() -> None:
    """The hour has passed: the worker picks up the retry."""
    DBTaskResult.objects.filter(task_path__endswith="send_outbound_message", status="READY").update(
        run_after=timezone.now() - timedelta(seconds=1)
    )
    run_tasks()


def test_a_retry_after_a_take_over_is_not_delivered_and_the_new_owner_resends_it(
    conversation, simulator, client
):
    message = failed_once_and_waiting(conversation, simulator)
    maria = make_user("maria", role="manager")
    do_take_over_conversation(conversation.pk, maria, "customer escalated")
    run_due_retries()

    assert outbox(simulator) == []  # nothing reached the Graph API
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.error_title == "Conversation taken over by @maria"
    assert message.attempts == 1  # refused before any attempt
    client.force_login(maria)
    page = client.get(f"/c/{conversation.pk}/").content.decode()
    assert "Not delivered: Conversation taken over by @maria" in page
    assert f"/messages/{message.pk}/retry" in page  # the new owner is offered a resend

    response = client.post(f"/c/{conversation.pk}/messages/{message.pk}/retry")
    assert response.status_code == 302  # back to the conversation, no error shown
    run_tasks()
    [sent] = outbox(simulator)
    assert sent["body"]["text"]["body"] == "Let me check."
    resent = Message.objects.get(pk=sent["body"]["biz_opaque_callback_data"].split(":")[1])
    assert (resent.author, resent.status, resent.wamid) == (maria, "sent", sent["wamid"])
    message.refresh_from_db()
    assert (message.status, message.content["resent_as"]) == ("failed", resent.pk)
    page = client.get(f"/c/{conversation.pk}/").content.decode()
    assert f"/messages/{message.pk}/retry" not in page  # resent once, not twice
    with pytest.raises(InvalidInput, match="nobody resent yet"):
        do_requeue_failed_message(message, maria)
    with pytest.raises(Conflict):  # and rita is not the owner any more
        do_requeue_failed_message(message, conversation.owner)
    assert len(outbox(simulator)) == 1


@pytest.mark.parametrize(
    ("move", "reason"),
    [
        (
            lambda c, rita, bob: do_handoff_conversation(
                c.pk, rita, to_team_name="Sales", reason="x"
            ),
            "Conversation handed to team Sales",
        ),
        (
            lambda c, rita, bob: do_release_conversation(c.pk, rita),
            "Conversation released to the queue",
        ),
        (
            lambda c, rita, bob: (
                do_handoff_conversation(c.pk, rita, to_username="bob", reason="billing"),
                do_accept_handoff(c.pk, bob),
            ),
            "Conversation handed to @bob",
        ),
    ],
)
def test_a_retry_after_a_handoff_or_release_fails_with_the_reason(
    conversation, simulator, move, reason
):
    from baton.agents.models import Team

    Team.objects.create(name="Sales")
    bob = make_user("bob")
    message = failed_once_and_waiting(conversation, simulator)
    move(conversation, conversation.owner, bob)
    run_due_retries()
    assert outbox(simulator) == []
    message.refresh_from_db()
    assert (message.status, message.error_title) == ("failed", reason)


def test_a_reply_still_goes_out_when_its_author_resolved_the_conversation(conversation, simulator):
    message = failed_once_and_waiting(conversation, simulator)
    do_resolve_conversation(conversation.pk, conversation.owner)
    run_due_retries()
    [sent] = outbox(simulator)
    assert sent["body"]["biz_opaque_callback_data"] == f"baton:{message.pk}"
    message.refresh_from_db()
    assert message.status == "sent"
