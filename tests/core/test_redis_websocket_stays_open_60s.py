"""Redis mode keeps WebSockets open (the slow test of the suite: one minute, REDIS_URL only).

redis-py's default 5 s socket timeout equalled channels-redis's 5 s BZPOPMIN, so every
consumer's wait for a message ended in ``TimeoutError: Timeout reading from …`` and the
socket was dropped every 5 to 16 s. A real ``baton serve`` on Redis must hold two sockets
open for a minute, log no error, and still carry an event at the end.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import ExitStack

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import make_user
from tests.core.subprocesses import baton_env, start_baton, stop, wait_until_serving
from tests.live import free_port
from tests.web.test_collisions import _conversation, events, open_socket

HOLD_OPEN_SECONDS = 60

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(HOLD_OPEN_SECONDS + 90),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL"),
]


def test_websockets_on_redis_stay_open_for_a_minute(transactional_db, tmp_path):
    conv = _conversation()
    alice = make_user("alice")
    bob = make_user("bob")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    server = start_baton(
        ["serve", "--no-worker", "--port", str(port), "--log-level", "info"],
        baton_env(tmp_path),
        log,
    )
    try:
        wait_until_serving(base, server)
        with ExitStack() as stack:
            a = open_socket(stack, base, alice)
            b = open_socket(stack, base, bob)
            b.send(json.dumps({"action": "watch", "conversation_id": conv.pk}))
            deadline = time.monotonic() + HOLD_OPEN_SECONDS
            while time.monotonic() < deadline:
                for socket in (a, b):
                    try:
                        socket.recv(timeout=0.5)  # presence noise is fine; a close is not
                    except TimeoutError:
                        pass
                    except ConnectionClosed as exc:
                        pytest.fail(f"socket closed after a while on Redis: {exc!r}")
            a.send(json.dumps({"action": "viewing", "conversation_id": conv.pk}))
            got = [e for e in events(b) if e["type"] == "conversation.viewing"]
            assert [e["user"]["username"] for e in got] == ["alice"]
    finally:
        stop(server)
    output = log.read_text()
    assert "Error" not in output, output
    assert "Traceback" not in output, output
    # Both sockets connected once, and never again: no reconnect.
    assert output.count("WebSocket /ws/events") == 2, output
