"""Slow clients cannot starve the request threads of a real ``baton serve``.

Before: Django's request threads (4) read request bodies themselves, so six connections
trickling a body held them all and every webhook, login and /healthz timed out. Now bodies
are read on the event loop first; 50 trickling connections do not delay a webhook.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from baton.whatsapp.signature import sign
from tests.conftest import APP_SECRET, load_sample, meta_bytes
from tests.core.subprocesses import start_baton, stop, wait_until_serving
from tests.live import free_port

TRICKLERS = 50


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """``baton serve`` with its own SQLite database in a temporary data directory."""
    data_dir = tmp_path_factory.mktemp("slow-clients")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        BATON_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
        WHATSAPP_APP_SECRET=APP_SECRET,
        WHATSAPP_PHONE_NUMBER_ID="1122334455667",
        WHATSAPP_ACCESS_TOKEN="test-token",
        WHATSAPP_API_BASE_URL="http://127.0.0.1:9",  # nothing listens: sends fail fast
        BATON_HTTP_HEADER_TIMEOUT_SECONDS="2",
        BATON_REQUEST_BODY_IDLE_SECONDS="2",
    )
    log = data_dir / "serve.log"
    migrate = start_baton(["migrate", "-v0"], env, log)
    assert migrate.wait(timeout=120) == 0, log.read_text()
    port = free_port()
    process = start_baton(["serve", "--port", str(port)], env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
        yield base
    finally:
        stop(process)


class Tricklers:
    """Connections that send headers and a Content-Length, then one body byte at a time."""

    def __init__(self, base_url: str, count: int) -> None:
        port = int(base_url.rsplit(":", 1)[1])
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(
                b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
            )
            self.sockets.append(sock)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        while not self.stopped.wait(0.5):
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(b" ")

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def _timed(request) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    response = request()
    return response, time.monotonic() - began


def test_fifty_trickling_bodies_do_not_delay_a_webhook_or_healthz(server):
    body = meta_bytes(load_sample("inbound_text.json"))
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, APP_SECRET)}
    tricklers = Tricklers(server, TRICKLERS)
    try:
        time.sleep(1.5)  # every trickler has its request under way
        with httpx.Client(timeout=10) as client:
            webhook, webhook_seconds = _timed(
                lambda: client.post(f"{server}/webhooks/whatsapp", content=body, headers=headers)
            )
            health, health_seconds = _timed(lambda: client.get(f"{server}/healthz"))
            login, login_seconds = _timed(lambda: client.get(f"{server}/login/"))
    finally:
        tricklers.close()
    assert webhook.status_code == 200
    assert webhook_seconds < 1.0
    assert health.status_code == 200
    assert health_seconds < 1.0
    assert login.status_code == 200
    assert login_seconds < 1.0


def _raw(server: str, request: bytes) -> bytes:
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def test_body_over_the_cap_is_refused_before_it_is_read(server):
    answer = _raw(
        server,
        b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 999999999\r\n\r\n{",
    )
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"too_large"' in answer


def test_headers_that_never_end_are_cut_off(server):
    began = time.monotonic()
    answer = _raw(server, b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert answer == b""  # closed without a request ever reaching the app
    assert 1.5 < time.monotonic() - began < 10


def test_body_that_stops_arriving_is_answered_408(server):
    began = time.monotonic()
    answer = _raw(
        server,
        b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{",
    )
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"timeout"' in answer
    assert 1.5 < time.monotonic() - began < 10
