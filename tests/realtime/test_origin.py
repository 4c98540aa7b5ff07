"""Only Baton's own pages may open its WebSocket, even with the default ALLOWED_HOSTS="*"
(issue 9, item 12): a page elsewhere would otherwise listen with the agent's cookie."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from baton.asgi import application
from baton.realtime.origin import is_trusted_origin
from tests.conftest import make_user
from tests.live import running_baton
from tests.realtime.communicator import SocketClient


def cookie_of(username: str) -> str:
    client = Client()
    client.force_login(make_user(username))
    return f"sessionid={client.cookies['sessionid'].value}"


def handshake(cookie: str, origin: str | None, host: str = "testserver") -> bool:
    headers = [(b"host", host.encode()), (b"cookie", cookie.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))

    async def attempt() -> bool:
        socket = SocketClient(application, "/ws/events", headers)
        accepted = await socket.connect()
        if accepted:
            assert (await socket.receive_json_from())["type"] == "hello"
            await socket.disconnect()
        return accepted

    return async_to_sync(attempt)()


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        ("http://testserver", True),
        ("http://testserver:80", True),  # the default port, spelled out
        # The same host through a TLS proxy (the Host header carries no scheme).
        ("https://testserver", True),
        ("http://testserver:8080", False),
        ("http://evil.example", False),
        ("http://testserver.evil.example", False),
        ("null", False),  # sandboxed frames, file:// pages
        (None, False),  # browsers always send one: refusing costs nothing
    ],
)
def test_only_same_origin_sockets_are_accepted(transactional_db, settings, origin, accepted):
    assert "*" in settings.ALLOWED_HOSTS  # the default: any Host
    assert handshake(cookie_of("alice"), origin) is accepted


def test_trusted_origins_are_accepted_behind_a_proxy_that_rewrites_host(transactional_db, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://baton.example.com", "https://*.corp.example"]
    cookie = cookie_of("alice")
    assert handshake(cookie, "https://baton.example.com", host="127.0.0.1:8000")
    assert handshake(cookie, "https://inbox.corp.example", host="127.0.0.1:8000")
    assert not handshake(cookie, "http://baton.example.com", host="127.0.0.1:8000")
    assert not handshake(cookie, "https://evil.example", host="127.0.0.1:8000")


def test_allowed_hosts_still_apply(transactional_db, settings):
    settings.ALLOWED_HOSTS = ["baton.example.com"]
    cookie = cookie_of("alice")
    assert handshake(cookie, "http://baton.example.com", host="baton.example.com")
    assert not handshake(cookie, "http://attacker.example", host="attacker.example")


def test_forwarded_host_is_used_only_when_configured(settings):
    assert not is_trusted_origin("https://baton.example.com", "127.0.0.1:8000")
    settings.USE_X_FORWARDED_HOST = True
    # (The middleware reads X-Forwarded-Host then; the comparison itself is the same.)
    assert is_trusted_origin("https://baton.example.com", "baton.example.com:443")


def test_a_real_server_refuses_a_cross_origin_handshake(transactional_db):
    cookie = cookie_of("alice")
    with running_baton(with_worker=False) as url:
        ws_url = url.replace("http://", "ws://") + "/ws/events"
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url, additional_headers={"Cookie": cookie, "Origin": "http://evil.example"})
        assert refused.value.response.status_code == 403
        with connect(ws_url, additional_headers={"Cookie": cookie, "Origin": url}) as socket:
            assert json.loads(socket.recv(timeout=5))["type"] == "hello"
