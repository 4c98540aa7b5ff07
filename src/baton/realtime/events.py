"""Live events: delivered after commit to the groups the action names.

The events themselves and their payloads are typed in ``realtime.event_types``.

Actions decide who receives an event (that is a security decision) by naming groups built
with the helpers below; nothing is published before the transaction commits, so nobody
sees a change that rolled back.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# EventType is named from here by every sender; its members and their schemas live together.
from baton.realtime.event_types import AccessChanged, Event
from baton.realtime.event_types import EventType as EventType

logger = logging.getLogger("baton.realtime")


# The event loop of the ASGI server in this process, set at startup. Code running outside
# that loop's threads (the embedded task worker) hands events to it, because the in-memory
# channel layer's queues belong to that loop.
_server_loop: asyncio.AbstractEventLoop | None = None
_server_thread_id: int | None = None


def register_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop, _server_thread_id
    _server_loop = loop
    _server_thread_id = threading.get_ident()


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def team_group(team_id: int) -> str:
    return f"team-{team_id}"


CONVERSATION_GROUP_PREFIX = "conversation-"


def conversation_group(conversation_id: int) -> str:
    return f"{CONVERSATION_GROUP_PREFIX}{conversation_id}"


def is_conversation_group(group: str) -> bool:
    return group.startswith(CONVERSATION_GROUP_PREFIX)


def team_managers_group(team_id: int) -> str:
    return f"team-{team_id}-managers"


# Every manager and admin: only for what any manager may know (presence, not customers).
MANAGERS_GROUP = "managers"
# Admins see every conversation; managers only their teams' (through the team groups).
ADMINS_GROUP = "admins"
# Conversations outside any team are visible to every agent (see conversations.queries).
EVERYONE_GROUP = "everyone"


def send_event_on_commit(event: Event, groups: Iterable[str]) -> None:
    """Publish ``event`` to ``groups`` once the current transaction commits.

    The event is a schema of ``realtime.event_types``, validated when it was built, so a
    payload with a missing or unknown field never gets this far.
    """
    message = {"type": "baton.event", "event": event.wire()}
    targets = sorted(set(groups))
    transaction.on_commit(lambda: publish(message, targets))


def notify_access_changed(user_ids: Iterable[int]) -> None:
    """After commit, make every open socket of these users re-check what it may hear.

    Carries no access data on purpose: the consumer reads the user, the session and the
    memberships afresh, so an event that arrives late or twice can only be harmless.
    """
    ids = sorted(set(user_ids))
    if ids:
        send_event_on_commit(AccessChanged(), [user_group(i) for i in ids])


# Events waiting to be handed to the server loop. Coalescing them means one loop wake-up
# for a burst of events instead of one per event (measured: the wake-ups alone took 15% of
# the server's CPU during a webhook burst).
_outbox: deque[tuple[dict[str, Any], list[str]]] = deque()
_outbox_lock = threading.Lock()
_flush_scheduled = False


def publish(message: dict[str, Any], groups: list[str]) -> None:
    global _flush_scheduled
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _server_loop
    if loop is not None and loop.is_running() and threading.get_ident() != _server_thread_id:
        # Inside the server process (a request thread or the embedded worker): queue the
        # event for the server's loop and return at once; delivery keeps the order.
        with _outbox_lock:
            _outbox.append((message, groups))
            if _flush_scheduled:
                return
            _flush_scheduled = True
        loop.call_soon_threadsafe(loop.create_task, _flush_outbox(layer))
        return
    try:
        async_to_sync(_send)(layer, message, groups)
    except Exception:
        # A live event is a notification, never the record: the data is committed, and
        # clients re-fetch state on reconnect. Log and carry on.
        logger.exception("could not publish live event %s", message["event"].get("type"))


async def _send(layer: Any, message: dict[str, Any], groups: list[str]) -> None:
    for group in groups:
        await layer.group_send(group, message)


async def _flush_outbox(layer: Any) -> None:
    global _flush_scheduled
    while True:
        with _outbox_lock:
            if not _outbox:
                _flush_scheduled = False
                return
            batch = list(_outbox)
            _outbox.clear()
        for message, groups in batch:
            try:
                await _send(layer, message, groups)
            except Exception:
                logger.exception("could not publish live event %s", message["event"].get("type"))
