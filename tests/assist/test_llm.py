"""The optional drafting provider, against a fake OpenAI-compatible server on 127.0.0.1
(real HTTP): off by default, nothing sent unless configured, the draft never sent."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from baton.assist import llm
from baton.conversations.models import Direction, Message
from tests.conftest import make_user


class FakeChat(BaseHTTPRequestHandler):
    requests: list[dict] = []
    answer: object = None

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeChat.requests.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        payload = json.dumps(FakeChat.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_provider():
    FakeChat.requests = []
    FakeChat.answer = {"choices": [{"message": {"role": "assistant", "content": " Hola Ana! "}}]}
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_off_by_default_nothing_is_sent(client, conversation, fake_provider, settings):
    assert settings.BATON_ASSIST_LLM_URL == ""
    assert not llm.is_configured()
    client.force_login(make_user("alice", role="admin"))
    response = client.post(f"/assist/conversations/{conversation.pk}/draft")
    assert response.status_code == 404
    assert FakeChat.requests == []


def test_a_draft_from_the_configured_server(client, conversation, fake_provider, settings):
    settings.BATON_ASSIST_LLM_URL = fake_provider
    settings.BATON_ASSIST_LLM_MODEL = "tiny"
    settings.BATON_ASSIST_LLM_API_KEY = "local-key"
    Message.objects.create(
        conversation=conversation,
        direction=Direction.NOTE,
        text="internal: VIP",
        timestamp=timezone.now(),
    )
    client.force_login(make_user("alice", role="admin"))
    response = client.post(f"/assist/conversations/{conversation.pk}/draft")
    assert response.status_code == 200
    assert response.json() == {"text": "Hola Ana!"}
    [sent] = FakeChat.requests
    assert sent["path"] == "/v1/chat/completions"
    assert sent["auth"] == "Bearer local-key"
    assert sent["body"]["model"] == "tiny"
    roles = [m["role"] for m in sent["body"]["messages"]]
    assert roles[0] == "system"
    assert roles[-1] == "user"
    assert "internal: VIP" not in json.dumps(sent["body"])  # notes stay home
    # Nothing was sent to the customer: no new outbound message.
    assert not Message.objects.filter(
        conversation=conversation, direction=Direction.OUTBOUND
    ).exists()


def test_a_broken_answer_is_a_502(client, conversation, fake_provider, settings):
    settings.BATON_ASSIST_LLM_URL = fake_provider + "/v1/chat/completions"
    FakeChat.answer = {"choices": []}
    client.force_login(make_user("alice", role="admin"))
    response = client.post(f"/assist/conversations/{conversation.pk}/draft")
    assert response.status_code == 502
    assert len(FakeChat.requests) == 1
