"""Live inbox events across two server processes through Redis (PostgreSQL + REDIS_URL).

One Baton runs in this test process, a second one as a real ``baton serve`` subprocess on
the same database; an agent connected to each must hear the other's viewing hint and the
ownership change made through the first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack

import httpx
import pytest
from django.conf import settings

from baton.conversations.ownership import do_claim_conversation
from tests.conftest import make_user
from tests.live import free_port
from tests.web.test_collisions import _conversation, events, open_socket

pytestmark = pytest.mark.postgres


@pytest.fixture
def second_server(transactional_db):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL: events cross processes through Redis")
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url}
    process = subprocess.Popen(
        [sys.executable, "-m", "baton", "serve", "--no-worker", "--port", str(port)],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("second Baton process did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_events_cross_processes(second_server):
    from tests.live import running_baton

    conv = _conversation()
    alice = make_user("alice")
    bob = make_user("bob")
    with running_baton(with_worker=False) as first, ExitStack() as stack:
        a = open_socket(stack, first, alice)
        b = open_socket(stack, second_server, bob)
        b.send(json.dumps({"action": "watch", "conversation_id": conv.pk}))
        events(b, 0.5)
        a.send(json.dumps({"action": "viewing", "conversation_id": conv.pk}))
        got = events(b)
        assert [(e["type"], e["user"]["username"]) for e in got] == [
            ("conversation.viewing", "alice")
        ]
        # An action committed in this process reaches Bob on the other server.
        do_claim_conversation(conv.pk, alice)
        updates = [e for e in events(b) if e["type"] == "conversation.updated"]
        assert updates
        assert updates[-1]["conversation"]["owner"]["username"] == "alice"
