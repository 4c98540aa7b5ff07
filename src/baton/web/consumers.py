"""The WebSocket every logged-in browser holds open to receive live events."""

from __future__ import annotations

import asyncio
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user

from baton.agents.actions import do_record_activity, do_record_connection, do_record_heartbeat
from baton.conversations.queries import managed_team_ids, visible_conversations
from baton.core.inputs import whole_number
from baton.realtime.event_types import ConversationTyping, ConversationViewing, UserRef
from baton.realtime.events import (
    ADMINS_GROUP,
    CONVERSATION_GROUP_PREFIX,
    EVERYONE_GROUP,
    MANAGERS_GROUP,
    EventType,
    conversation_group,
    is_conversation_group,
    register_server_loop,
    team_group,
    team_managers_group,
    user_group,
)


@database_sync_to_async
def groups_for_user(user: Any) -> list[str]:
    """The groups whose events this user may hear (the same rules as ``visible_conversations``)."""
    groups = [user_group(user.pk), EVERYONE_GROUP]
    groups += [
        team_group(team_id) for team_id in user.memberships.values_list("team_id", flat=True)
    ]
    managed = managed_team_ids(user)
    if managed is None:
        groups += [ADMINS_GROUP, MANAGERS_GROUP]
    elif user.is_manager:
        groups.append(MANAGERS_GROUP)
        groups += [team_managers_group(team_id) for team_id in managed]
    return groups


@database_sync_to_async
def _current_user(session_key: str | None) -> Any:
    """Who the socket's session authenticates *now*, exactly as Django would for a request:
    anonymous once the user is deactivated or deleted, logged out, or changed password.

    Reads the session afresh: the one in the scope was loaded when the socket connected.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]


@database_sync_to_async
def _record_connection(user_id: int, delta: int) -> None:
    do_record_connection(user_id, delta)


@database_sync_to_async
def _record_activity(user_id: int) -> None:
    do_record_activity(user_id)


@database_sync_to_async
def _record_heartbeat(user_id: int) -> None:
    do_record_heartbeat(user_id)


@database_sync_to_async
def _may_view(user: Any, conversation_id: int) -> bool:
    return visible_conversations(user).filter(pk=conversation_id).exists()


# Close code for "this session may not listen": live.js reloads, which lands on the login page.
CLOSE_SIGNED_OUT = 4401


class EventsConsumer(AsyncJsonWebsocketConsumer):
    """Joins the groups the user may hear; the client subscribes, then fetches state.

    Access is re-checked whenever it changes (``EventType.ACCESS_CHANGED`` to the user's
    group, sent by ``agents.signals``): a deactivated or signed-out user's socket is closed,
    a user removed from a team or demoted stops hearing what they may no longer see.
    """

    revoked = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept first so the browser sees the close code (a refused handshake arrives as
            # 1006, which live.js would retry for ever) — nothing is joined or sent.
            await self.accept()
            await self.close(code=CLOSE_SIGNED_OUT)
            return
        register_server_loop(asyncio.get_running_loop())
        self.groups_joined = await groups_for_user(user)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        # Presence: "offline" once every connection of the agent has been gone a while.
        await _record_connection(user.pk, +1)
        self.counted = True
        await self.send_json({"type": "hello", "user": user.username})

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []
        if getattr(self, "counted", False):
            self.counted = False
            await _record_connection(self.scope["user"].pk, -1)

    async def _recheck_access(self) -> bool:
        """Re-scope the socket to what the user may hear now; close it if nothing. Returns
        whether the socket stays open."""
        session = self.scope.get("session")
        user = await _current_user(getattr(session, "session_key", None))
        if not user.is_authenticated or user.pk != self.scope["user"].pk:
            # Stop hearing before anything else: events queued behind this one are dropped.
            self.revoked = True
            await self.disconnect(CLOSE_SIGNED_OUT)
            await self.close(code=CLOSE_SIGNED_OUT)
            return False
        self.scope["user"] = user
        wanted = await groups_for_user(user)
        for group in list(self.groups_joined):
            if is_conversation_group(group):
                conversation_id = whole_number(group.removeprefix(CONVERSATION_GROUP_PREFIX))
                keep = conversation_id is not None and await _may_view(user, conversation_id)
            else:
                keep = group in wanted
            if not keep:
                await self._leave(group)
        for group in wanted:
            if group not in self.groups_joined:
                await self.channel_layer.group_add(group, self.channel_name)
                self.groups_joined.append(group)
        return True

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.revoked:
            return
        action = content.get("action") if isinstance(content, dict) else None
        conversation_id = whole_number(str(content.get("conversation_id", ""))) if action else None
        if action in ("watch", "viewing", "typing") and conversation_id is not None:
            if not await self._watch(conversation_id):
                return
            if action != "watch":
                await self._announce(action, conversation_id)
        elif action == "ping":
            # The client pings on user activity: it keeps an available agent from going away.
            await _record_activity(self.scope["user"].pk)
            await self.send_json({"type": "pong"})
        elif action == "heartbeat":
            # Sent by every open tab every 30 s: the agent is still here (see do_expire_presence).
            await _record_heartbeat(self.scope["user"].pk)

    async def _watch(self, conversation_id: int) -> bool:
        """Join the conversation's group if the user may see it; False if not.

        A tab has one conversation open: watching another one leaves the previous group,
        so the socket never keeps hearing a conversation it is no longer showing.
        """
        group = conversation_group(conversation_id)
        if group in self.groups_joined:
            return True
        if not await _may_view(self.scope["user"], conversation_id):
            return False
        for previous in [g for g in self.groups_joined if is_conversation_group(g)]:
            await self._leave(previous)
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)
        return True

    async def _leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.remove(group)

    async def _announce(self, action: str, conversation_id: int) -> None:
        """Tell the others watching this conversation that we view it, or type in it.

        Ephemeral on purpose: nothing is stored, clients expire the hint after a few
        seconds, so a closed tab or a dropped connection simply stops announcing. Only a
        user who may see the conversation gets here (``_watch`` checked), and only those
        in its group (who were checked the same way) hear it.
        """
        user = self.scope["user"]
        announcement = ConversationTyping if action == "typing" else ConversationViewing
        event = announcement(
            conversation_id=conversation_id, user=UserRef(username=user.username, name=user.name)
        )
        await self.channel_layer.group_send(
            conversation_group(conversation_id), {"type": "baton.event", "event": event.wire()}
        )

    async def baton_event(self, message: dict[str, Any]) -> None:
        if self.revoked:
            return
        event = message["event"]
        if event.get("type") == EventType.ACCESS_CHANGED and not await self._recheck_access():
            return
        if event.get("type") == EventType.CONVERSATION_UPDATED:
            # An ownership or team change may have taken the watched conversation out of
            # this user's sight (handed to another team, a declined cross-team handoff).
            conversation_id = (event.get("conversation") or {}).get("id")
            group = conversation_group(conversation_id) if conversation_id else ""
            if group in self.groups_joined and not await _may_view(
                self.scope["user"], conversation_id
            ):
                await self._leave(group)
        await self.send_json(event)
