"""The WebSocket consumer counts an agent's live connections and records activity, which
presence timeouts read (real server, real WebSocket client)."""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.test import Client
from websockets.sync.client import connect

from baton.agents.models import User
from tests.conftest import make_user
from tests.live import running_baton


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached")


def connections_of(user: User) -> int:
    return User.objects.get(pk=user.pk).live_connections


def test_connections_are_counted_and_pings_are_activity(transactional_db):
    alice = make_user("alice")
    client = Client()
    client.force_login(alice)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    with running_baton(with_worker=False) as url:
        ws_url = url.replace("http://", "ws://") + "/ws/events"
        headers = {"Cookie": cookie, "Origin": url}
        with connect(ws_url, additional_headers=headers) as first:
            assert json.loads(first.recv(timeout=5))["type"] == "hello"
            wait_for(lambda: connections_of(alice) == 1)
            with connect(ws_url, additional_headers=headers) as second:
                second.recv(timeout=5)
                wait_for(lambda: connections_of(alice) == 2)
                # An old heartbeat is refreshed by a ping.
                User.objects.filter(pk=alice.pk).update(last_active_at="2020-01-01T00:00Z")
                second.send(json.dumps({"action": "ping"}))
                assert json.loads(second.recv(timeout=5))["type"] == "pong"
                assert User.objects.get(pk=alice.pk).last_active_at.year > 2020
                # A tab's heartbeat says it is still there (no reply is sent).
                User.objects.filter(pk=alice.pk).update(last_seen_at="2020-01-01T00:00Z")
                second.send(json.dumps({"action": "heartbeat"}))
                wait_for(lambda: User.objects.get(pk=alice.pk).last_seen_at.year > 2020)
            wait_for(lambda: connections_of(alice) == 1)
        wait_for(lambda: connections_of(alice) == 0)
