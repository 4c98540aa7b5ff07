"""Outbound delivery against the simulator over real HTTP: sends, retries, failures, crashes."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from baton.agents.actions import do_create_user
from baton.conversations.models import Conversation, Message
from baton.conversations.ownership import do_claim_conversation
from baton.whatsapp.delivery import do_start_send
from baton.whatsapp.outbound import do_queue_outbound_message
from baton.whatsapp.tasks import check_uncertain_send
from tests.conftest import make_inbox
from tests.live import wait_for

CUSTOMER = "34600111222"


def customer_writes(simulator, text: str = "Hola, ¿tienen envío hoy?", **extra) -> dict:
    response = httpx.post(
        f"{simulator.base_url}/_sim/customers/{CUSTOMER}/messages",
        json={"text": text, "name": "José Gómez", **extra},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def outbox(simulator) -> list[dict]:
    return httpx.get(f"{simulator.base_url}/_sim/outbox", timeout=5).json()["items"]


def inject(simulator, *faults: dict) -> None:
    httpx.post(f"{simulator.base_url}/_sim/faults", json=list(faults), timeout=5).raise_for_status()


@pytest.fixture
def conversation(baton_server, simulator) -> Conversation:
    make_inbox(access_token="test-token")
    result = customer_writes(simulator)
    assert result["status"] == 200
    owner = do_create_user("rita", "agent", password="pw")
    return do_claim_conversation(Conversation.objects.get().pk, owner)


def reply(conversation: Conversation, text: str = "Sí, hasta las 18h 🚚") -> Message:
    return do_queue_outbound_message(conversation, conversation.owner, text=text)


def status_of(message: Message) -> str:
    message.refresh_from_db()
    return message.status


def test_reply_reaches_simulator_and_statuses_come_back(conversation, simulator):
    message = reply(conversation)
    wait_for(lambda: status_of(message) == "read", timeout=15, message="no read status")
    [sent] = outbox(simulator)
    assert sent["body"]["text"]["body"] == "Sí, hasta las 18h 🚚"
    assert sent["body"]["to"] == f"+{CUSTOMER}"
    assert sent["body"]["biz_opaque_callback_data"] == f"baton:{message.pk}"
    message.refresh_from_db()
    assert message.wamid == sent["wamid"]
    assert message.sent_at
    assert message.delivered_at
    assert message.read_at


def test_rate_limits_are_retried_until_sent(conversation, simulator):
    inject(
        simulator,
        {"kind": "error", "code": 130429, "http_status": 400, "title": "Rate limit hit"},
        {"kind": "error", "code": 131056, "http_status": 400, "title": "Pair rate limit hit"},
        {"kind": "error", "http_status": 502, "raw_body": "<html>Bad gateway</html>"},
    )
    message = reply(conversation)
    wait_for(lambda: status_of(message) in ("sent", "delivered", "read"), timeout=15)
    message.refresh_from_db()
    assert message.attempts == 4
    assert len(outbox(simulator)) == 1


@pytest.mark.parametrize(
    ("code", "http_status", "reason"),
    [(190, 401, "access token"), (100, 400, "invalid"), (131026, 400, "could not be delivered")],
)
def test_permanent_errors_fail_with_a_readable_reason(
    conversation, simulator, code, http_status, reason
):
    inject(
        simulator, {"kind": "error", "code": code, "http_status": http_status, "title": "Refused"}
    )
    message = reply(conversation)
    wait_for(lambda: status_of(message) == "failed", timeout=10)
    message.refresh_from_db()
    assert message.error_code == code
    assert reason in message.error_details
    assert message.attempts == 1
    assert outbox(simulator) == []


def test_unknown_template_fails_with_132001(conversation, simulator):
    message = do_queue_outbound_message(
        conversation, conversation.owner, template={"name": "no_such_template"}
    )
    wait_for(lambda: status_of(message) == "failed", timeout=10)
    message.refresh_from_db()
    assert message.error_code == 132001
    assert "template" in message.error_details.lower()


def test_template_with_parameters_is_accepted(conversation, simulator):
    message = do_queue_outbound_message(
        conversation,
        conversation.owner,
        template={"name": "order_update", "parameters": ["#1042", "Friday"]},
    )
    wait_for(lambda: status_of(message) == "read", timeout=15)


def test_24h_rule_enforced_by_whatsapp_arrives_as_failed_status(baton_server, simulator):
    make_inbox(access_token="test-token")
    # The customer's last message is 25 hours old on WhatsApp's side...
    old = int((timezone.now() - timedelta(hours=25)).timestamp())
    customer_writes(simulator, "old message", timestamp=old)
    conversation = do_claim_conversation(
        Conversation.objects.get().pk, do_create_user("rita", "agent", password="pw")
    )
    # ...but Baton's clock says the window is open (e.g. clock skew): WhatsApp decides.
    Conversation.objects.filter(pk=conversation.pk).update(
        window_ends_at=timezone.now() + timedelta(hours=1)
    )
    conversation.refresh_from_db()
    message = reply(conversation)
    wait_for(lambda: status_of(message) == "failed", timeout=15)
    message.refresh_from_db()
    assert message.error_code == 131047
    assert message.wamid  # WhatsApp accepted it first (HTTP 200), then failed it


def test_network_errors_retry_then_fail(conversation, simulator, settings):
    settings.WHATSAPP_API_BASE_URL = "http://127.0.0.1:9/v23.0"  # nothing listens there
    settings.BATON_SEND_MAX_ATTEMPTS = 3
    message = reply(conversation)
    wait_for(lambda: status_of(message) == "failed", timeout=15)
    message.refresh_from_db()
    assert message.attempts == 3
    assert "Gave up after 3 attempts" in message.error_details


def test_lost_response_is_settled_by_status_webhook_without_resend(conversation, simulator):
    # WhatsApp accepts the message but the HTTP answer never arrives in time.
    inject(simulator, {"kind": "hang", "delay_seconds": 4})
    message = reply(conversation)
    wait_for(lambda: status_of(message) == "read", timeout=20, message="status did not settle it")
    [sent] = outbox(simulator)
    message.refresh_from_db()
    assert message.wamid == sent["wamid"]
    assert message.attempts == 1


def test_crash_after_claim_is_shown_unconfirmed_and_never_resent(conversation, simulator, settings):
    """The process dies after 'sending' was recorded but before the request or its answer."""
    settings.BATON_SEND_UNCERTAIN_AFTER_SECONDS = 0
    message = Message.objects.create(
        conversation=conversation,
        direction="outbound",
        type="text",
        text="lost in a crash",
        author=conversation.owner,  # the send-time lock checks the author still owns it
        status="queued",
        request={
            "messaging_product": "whatsapp",
            "to": f"+{CUSTOMER}",
            "type": "text",
            "text": {"body": "x"},
        },
        timestamp=timezone.now(),
    )
    claimed = do_start_send(message.pk)  # ...and then the process "dies"
    assert claimed is not None
    check_uncertain_send.call(message.pk, 1)
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.error_title == "Not confirmed by WhatsApp"
    assert outbox(simulator) == []  # nothing was resent behind the agent's back


def test_image_is_uploaded_then_sent_by_media_id(conversation, simulator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from baton.simulator.media import png

    upload = SimpleUploadedFile("box.png", png(), content_type="image/png")
    message = do_queue_outbound_message(
        conversation, conversation.owner, text="Your parcel", media_file=upload, media_type="image"
    )
    wait_for(lambda: status_of(message) == "read", timeout=15)
    [sent] = outbox(simulator)
    assert sent["body"]["type"] == "image"
    assert sent["body"]["image"]["caption"] == "Your parcel"
    media_id = sent["body"]["image"]["id"]
    message.refresh_from_db()
    assert message.media_id == media_id
    stats = httpx.get(f"{simulator.base_url}/_sim/stats", timeout=5).json()
    assert stats["media_uploaded"] == 1


def test_inbound_image_is_downloaded_with_the_token(baton_server, simulator):
    make_inbox(access_token="test-token")
    result = customer_writes(simulator, type="image", caption="the broken box")
    message = Message.objects.get(wamid=result["wamid"])
    wait_for(lambda: Message.objects.get(pk=message.pk).media_state == "ready", timeout=15)
    message.refresh_from_db()
    assert message.text == "the broken box"
    with message.media_file.open("rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_reaction_and_mark_read(conversation, simulator):
    agent = conversation.owner
    inbound = Message.objects.get(direction="inbound")
    text = do_queue_outbound_message(conversation, agent, text="Claro")
    reaction = do_queue_outbound_message(conversation, agent, reaction=(inbound, "👍"))
    wait_for(lambda: status_of(reaction) in ("sent", "delivered", "read"), timeout=15)
    wait_for(lambda: status_of(text) == "read", timeout=15)
    bodies = [item["body"] for item in outbox(simulator)]
    assert {"message_id": inbound.wamid, "emoji": "👍"} in [b.get("reaction") for b in bodies]
    inbound.refresh_from_db()
    assert inbound.reactions == {"business": "👍"}
    stats = httpx.get(f"{simulator.base_url}/_sim/stats", timeout=5).json()
    assert stats["marked_read"] >= 1
