"""An external agent bot over real HTTP: Baton POSTs it signed events for the
conversations it owns; it answers through the API and hands off with ``…/handoff``."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from baton.agents.models import Team
from baton.bots.actions import do_create_agent_bot
from baton.bots.agent_bot import is_valid_signature, signature
from baton.conversations.models import (
    AuditEvent,
    Conversation,
    ConversationStatus,
    EventKind,
    Message,
)
from baton.core.errors import InvalidInput
from tests.live import wait_for
from tests.simulator.conftest import NUMBER, baton_url, start_simulator  # noqa: F401

CUSTOMER = "351911111111"


class ExternalBot:
    """A tiny bot server: checks each event's signature itself, answers "Echo: …" through
    Baton's API, and hands off to Support when the customer asks for a person."""

    def __init__(self, baton: str) -> None:
        self.baton = baton
        self.secret = ""
        self.token = ""
        self.events: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.fail_next = 0
        bot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = (
                    "sha256=" + hmac.new(bot.secret.encode(), body, hashlib.sha256).hexdigest()
                )
                if not hmac.compare_digest(expected, self.headers.get("X-Baton-Signature-256", "")):
                    bot.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                if bot.fail_next:
                    bot.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                event = json.loads(body)
                bot.events.append(event)
                self.send_response(200)
                self.end_headers()
                # Answer after acknowledging, as a real bot would from its own queue.
                threading.Thread(target=bot.answer, args=(event,), daemon=True).start()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, event: dict[str, Any]) -> None:
        headers = {"Authorization": f"Token {self.token}"}
        text = event["message"]["text"]
        if "person" in text:
            url, body = event["links"]["handoff"], {"to_team": "Support", "reason": "asked"}
        else:
            url, body = event["links"]["messages"], {"text": f"Echo: {text}"}
        httpx.post(self.baton + url, json=body, headers=headers, timeout=10).raise_for_status()


@pytest.fixture
def external_bot(baton_url):  # noqa: F811
    bot = ExternalBot(baton_url)
    yield bot
    bot.server.shutdown()
    bot.server.server_close()


def customer_writes(simulator, text: str) -> None:
    httpx.post(
        f"{simulator.base_url}/_sim/customers/{CUSTOMER}/messages",
        json={"text": text, "name": "Rui"},
        timeout=10,
    ).raise_for_status()


def test_the_external_bot_gets_signed_events_answers_and_hands_off(
    external_bot,
    start_simulator,  # noqa: F811
):
    Team.objects.get_or_create(name="Support")
    _, external_bot.secret, external_bot.token = do_create_agent_bot(
        "rasa", external_bot.url, None, greets_new_conversations=True
    )
    simulator = start_simulator()
    external_bot.fail_next = 1  # the first delivery meets a 503 and is retried

    customer_writes(simulator, "Hello bot")
    conversation = wait_for(lambda: Conversation.objects.first(), timeout=10)
    assert (conversation.status, conversation.owner.username) == (ConversationStatus.BOT, "rasa")
    echo = wait_for(
        lambda: Message.objects.filter(direction="outbound", text="Echo: Hello bot").first(),
        timeout=20,
    )
    assert echo.author.username == "rasa"
    first = external_bot.events[0]
    assert (first["event"], first["conversation"]["opened"]) == ("message.received", "created")
    assert first["conversation"]["contact"]["wa_id"] == CUSTOMER
    wait_for(lambda: echo_delivered(simulator, "Echo: Hello bot"), timeout=10)

    customer_writes(simulator, "I want a person")
    wait_for(
        lambda: Conversation.objects.filter(
            pk=conversation.pk, status=ConversationStatus.QUEUED
        ).exists(),
        timeout=20,
    )
    conversation.refresh_from_db()
    assert conversation.team.name == "Support"
    handoff = AuditEvent.objects.get(conversation=conversation, kind=EventKind.BOT_HANDOFF)
    assert handoff.reason == "handed off by bot: asked"
    assert [e["message"]["text"] for e in external_bot.events] == ["Hello bot", "I want a person"]
    assert external_bot.bad_signatures == 0

    # Once people hold it, the bot hears nothing more.
    customer_writes(simulator, "Hello?")
    wait_for(lambda: Message.objects.filter(text="Hello?").exists(), timeout=10)
    assert len(external_bot.events) == 2


def echo_delivered(simulator, text: str) -> bool:
    items = httpx.get(f"{simulator.base_url}/_sim/outbox", timeout=10).json()["items"]
    return any(i["body"].get("text", {}).get("body") == text for i in items)


def test_signatures_are_hmac_sha256_of_the_exact_body():
    body = b'{"event":"message.received"}'
    expected = hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
    assert signature(body, "k3y") == f"sha256={expected}"
    assert is_valid_signature(body, "k3y", f"sha256={expected}")
    assert not is_valid_signature(body + b" ", "k3y", f"sha256={expected}")
    assert not is_valid_signature(body, "other", f"sha256={expected}")


def test_an_agent_bot_needs_an_http_url(db):
    with pytest.raises(InvalidInput):
        do_create_agent_bot("typebot", "ftp://example.com/hook", None)
