"""Open sockets never outlive access (issue 9, item 12): deactivation closes them, a team or
role change re-scopes them, on the socket that is already open. An in-process WebSocket
client against the real ASGI application (session cookie, origin check), with the in-memory
channel layer, or Redis when REDIS_URL is set.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.forms import MultiWidget
from django.test import Client

from baton.agents.actions import (
    do_add_team_member,
    do_deactivate_user,
    do_remove_team_member,
    do_set_role,
)
from baton.agents.models import Team, User
from baton.asgi import application
from tests.conftest import make_inbox, make_user, post_webhook
from tests.realtime.communicator import SocketClient
from tests.routing.factories import inbound

SUPPORT_NUMBER = "1122334455667"
SALES_NUMBER = "2233445566778"


@pytest.fixture
def world(transactional_db):
    support = Team.objects.get(is_default=True)
    sales = Team.objects.create(name="Sales")
    make_inbox(SUPPORT_NUMBER, name="Support line", default_team=support)
    make_inbox(SALES_NUMBER, name="Sales line", default_team=sales)
    alice = make_user("alice", team="Support")
    do_add_team_member(alice, sales)
    yield {"support": support, "sales": sales, "alice": alice}
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        async_to_sync(layer.flush)()


def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def socket_for(cookie: bytes | None, origin: bytes | None = b"http://testserver"):
    headers = [(b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie))
    if origin is not None:
        headers.append((b"origin", origin))
    return SocketClient(application, "/ws/events", headers=headers)


async def opened(cookie: bytes) -> SocketClient:
    socket = socket_for(cookie)
    assert await socket.connect()
    assert (await socket.receive_json_from(timeout=5))["type"] == "hello"
    return socket


_customers = iter(range(10**6))


@database_sync_to_async
def customer_writes(number: str) -> str:
    """A new customer writes to the number; returns their WhatsApp id."""
    wa_id = f"3460{next(_customers):07d}"
    response = post_webhook(
        Client(), inbound(phone_number_id=number, wa_id=wa_id, wamid=f"wamid.{wa_id}")
    )
    assert response.status_code == 200
    return wa_id


async def heard(socket: SocketClient, wa_id: str, timeout: float = 5) -> bool:
    """Whether the socket hears the new conversation of ``wa_id`` within ``timeout``."""
    return await got(
        socket, lambda e: e.get("type") == "conversation.created" and wa_id in str(e), timeout
    )


async def rescoped(socket: SocketClient) -> None:
    """Wait for the socket to say it was re-scoped (the browser then re-fetches)."""
    assert await got(socket, lambda e: e.get("type") == "access.changed")


async def got(socket: SocketClient, predicate, timeout: float = 5) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        # (A receive that times out would cancel the application: poll instead.)
        if await socket.receive_nothing(timeout=0.05):
            continue
        if predicate(await socket.receive_json_from()):
            return True
    return False


async def closed_with(socket: SocketClient, timeout: float = 5) -> int | None:
    """The close code, skipping the events still in flight before it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await socket.receive_nothing(timeout=0.05):
            continue
        output: dict[str, Any] = await socket.receive_output()
        if output["type"] == "websocket.close":
            return output.get("code")
    return None


def test_a_deactivated_users_socket_is_closed_and_hears_nothing_after(world):
    alice = world["alice"]
    cookie = session_cookie(alice)

    async def scenario():
        socket = await opened(cookie)
        assert await heard(socket, await customer_writes(SUPPORT_NUMBER))
        await database_sync_to_async(do_deactivate_user)(alice)
        assert await closed_with(socket) == 4401  # live.js: reload, i.e. the login page
        await customer_writes(SUPPORT_NUMBER)
        assert await socket.receive_nothing(timeout=1)
        # Reconnecting with the same cookie: told to sign in, nothing joined.
        again = socket_for(cookie)
        assert await again.connect()
        assert await closed_with(again) == 4401
        await customer_writes(SUPPORT_NUMBER)
        assert await again.receive_nothing(timeout=1)

    async_to_sync(scenario)()


def test_a_user_removed_from_a_team_stops_hearing_it_on_the_open_socket(world):
    alice = world["alice"]
    cookie = session_cookie(alice)

    async def scenario():
        socket = await opened(cookie)
        assert await heard(socket, await customer_writes(SUPPORT_NUMBER))
        await database_sync_to_async(do_remove_team_member)(alice, world["support"])
        await rescoped(socket)
        assert await heard(socket, await customer_writes(SALES_NUMBER))  # still in Sales
        assert not await heard(socket, await customer_writes(SUPPORT_NUMBER), timeout=1.5)
        # Added back: she hears Support again, on the same socket.
        await database_sync_to_async(do_add_team_member)(alice, world["support"])
        await rescoped(socket)
        assert await heard(socket, await customer_writes(SUPPORT_NUMBER))
        await socket.disconnect()

    async_to_sync(scenario)()


def test_a_demoted_admin_stops_hearing_every_team(world):
    root = make_user("root", role="admin")
    cookie = session_cookie(root)

    async def scenario():
        socket = await opened(cookie)
        assert await heard(socket, await customer_writes(SALES_NUMBER))
        await database_sync_to_async(do_set_role)(root, "agent")
        await database_sync_to_async(do_add_team_member)(root, world["support"])
        await rescoped(socket)
        await rescoped(socket)
        assert await heard(socket, await customer_writes(SUPPORT_NUMBER))
        assert not await heard(socket, await customer_writes(SALES_NUMBER), timeout=1.5)
        await socket.disconnect()

    async_to_sync(scenario)()


def test_a_password_change_closes_the_other_sessions_sockets(world):
    alice = world["alice"]
    cookie = session_cookie(alice)

    def change_password():
        alice.set_password("a new one")
        alice.save()

    async def scenario():
        socket = await opened(cookie)
        await database_sync_to_async(change_password)()
        assert await closed_with(socket) == 4401

    async_to_sync(scenario)()


def test_django_admin_edits_reach_open_sockets(world):
    """The admin's user page: a membership deleted in its inline, then "active" unticked."""
    alice = world["alice"]
    admin = Client()
    admin.force_login(make_user("root", role="admin"))
    cookie = session_cookie(alice)

    def admin_posts_user_form(**changes):
        page = admin.get(f"/admin/agents/user/{alice.pk}/change/")
        data = form_data(page, changes)
        response = admin.post(f"/admin/agents/user/{alice.pk}/change/", data)
        assert response.status_code == 302, response.context["adminform"].form.errors

    async def scenario():
        socket = await opened(cookie)
        # Removing the Support membership in the user page's inline.
        await database_sync_to_async(admin_posts_user_form)(delete_team=world["support"].pk)
        await rescoped(socket)
        assert await heard(socket, await customer_writes(SALES_NUMBER))
        assert not await heard(socket, await customer_writes(SUPPORT_NUMBER), timeout=1.5)
        # Unticking "active".
        await database_sync_to_async(admin_posts_user_form)(is_active=False)
        assert await closed_with(socket) == 4401

    async_to_sync(scenario)()


def form_data(page, changes: dict) -> dict:
    """The admin change form's current values as a browser would post them, changed."""
    form = page.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name == "password":
            continue
        if isinstance(field.widget, MultiWidget):
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif value is not None:
            data[name] = getattr(value, "pk", value)
    if changes.get("is_active") is False:
        data.pop("is_active", None)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        prefix = formset.prefix
        management = formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{prefix}-{name}"] = management.initial.get(name, management[name].value())
        for index, subform in enumerate(formset.initial_forms):
            for name, field in subform.fields.items():
                value = subform.initial.get(name, field.initial)
                key = f"{prefix}-{index}-{name}"
                if isinstance(value, bool):
                    if value:
                        data[key] = "on"
                elif value is not None:
                    data[key] = getattr(value, "pk", value)
            if subform.initial.get("team") == changes.get("delete_team"):
                data[f"{prefix}-{index}-DELETE"] = "on"
    return data
