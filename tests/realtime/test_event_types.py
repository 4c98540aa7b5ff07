"""Every live event has a schema (realtime.event_types), and what the actions send fits it.

Like Zulip's ``event_types.py`` checks: each event round-trips through JSON, and running the
real actions that send each event type yields payloads their schema accepts.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client
from django.utils import timezone
from pydantic import ValidationError

from baton.agents.actions import do_add_team_member, do_set_presence
from baton.agents.models import Team
from baton.bots.actions import do_create_flow, do_return_to_bot
from baton.conversations.models import Conversation
from baton.conversations.ownership import (
    do_assign_conversation,
    do_claim_conversation,
    do_decline_handoff,
    do_handoff_conversation,
    do_resolve_conversation,
)
from baton.realtime import events
from baton.realtime.event_types import (
    EVENT_CLASSES,
    ConversationGone,
    ConversationUpdated,
    EventType,
    build_event,
    parse_event,
)
from baton.routing.alerts import do_scan_stale_conversations
from baton.sla.actions import do_scan_sla
from baton.sla.escalation import do_run_sla_actions
from baton.sla.models import SlaPolicy, SlaRecord
from tests.bots.flows import closing
from tests.conftest import load_sample, make_inbox, make_user, meta_bytes, post_webhook
from tests.realtime.test_access import opened, session_cookie

TIME = "2026-11-23T09:30:00.123456+00:00"
OWNER = {"kind": "agent", "username": "alice", "name": "Alice"}
CONVERSATION = {
    "id": 7,
    "status": "assigned",
    "owner": OWNER,
    "team": "Support",
    "priority": 1,
    "contact": {
        "id": 3,
        "name": "Rosa",
        "wa_id": "34600999000",
        "user_id": None,
        "username": "",
        "phone": "+34600999000",
    },
    "inbox": {"id": 1, "name": "Support line", "phone_number_id": "1122334455667"},
    "created_at": TIME,
    "last_inbound_at": TIME,
    "last_message_at": TIME,
    "first_response_at": None,
    "window_ends_at": "2026-11-24T09:30:00+01:00",
    "last_message_preview": "Hola",
}
MESSAGE = {
    "id": 11,
    "conversation_id": 7,
    "direction": "in",
    "type": "image",
    "wamid": "wamid.abc",
    "text": "a caption",
    "content": {"image": {"id": "123"}},
    "context": {},
    "reply_to_id": None,
    "reactions": {"customer": "👍"},
    "author": None,
    "media": {"mime_type": "image/jpeg", "filename": "", "state": "ready", "url": "/media/11"},
    "status": "failed",
    "error": {"code": 131047, "title": "Re-engagement message", "details": ""},
    "timestamp": TIME,
}
ALERT = {"id": 5, "kind": "stale", "level": 2, "waiting_since": TIME}
USER = {"username": "alice", "name": "Alice"}

SAMPLES: dict[EventType, dict[str, Any]] = {
    EventType.CONVERSATION_CREATED: {"conversation": CONVERSATION},
    EventType.CONVERSATION_UPDATED: {"conversation": {**CONVERSATION, "owner": None}},
    EventType.MESSAGE_CREATED: {"conversation_id": 7, "message": MESSAGE},
    EventType.MESSAGE_UPDATED: {"conversation_id": 7, "message": {**MESSAGE, "media": None}},
    EventType.HANDOFF_REQUESTED: {"conversation_id": 7, "handoff_id": 2, "from": "alice"},
    EventType.HANDOFF_DECLINED: {"conversation_id": 7, "by": "bob", "reason": "on a break"},
    EventType.ALERT_RAISED: {"conversation_id": 7, "alert": ALERT},
    EventType.ALERT_CLEARED: {"conversation_id": 7, "alert": {**ALERT, "level": 1}},
    EventType.PRESENCE_CHANGED: {"user": {**USER, "presence": "available"}},
    EventType.SLA_CHANGED: {
        "conversation_id": 7,
        "sla": {
            "policy": "Gold",
            "predicted_to_breach": False,
            "predicted_answer_at": None,
            "first_response": {
                "state": "met",
                "due_at": "2026-05-01T10:10:00+00:00",
                "met_at": "2026-05-01T10:03:00+00:00",
                "breached_at": None,
            },
            "next_response": {"state": "none", "due_at": None, "met_at": None, "breached_at": None},
            "resolution": {
                "state": "running",
                "due_at": "2026-05-02T10:00:00+00:00",
                "met_at": None,
                "breached_at": None,
            },
        },
    },
    EventType.SLA_ALERT: {
        "conversation_id": 7,
        "kind": "breach",
        "metric": "first_response",
        "due_at": "2026-05-01T10:10:00+00:00",
        "text": "first response breached → priority urgent (policy Gold)",
    },
    EventType.CSAT_LOW: {
        "conversation_id": 7,
        "score": 1,
        "comment": "nobody helped",
        "agents": ["alice"],
        "text": "Rated 1/5 by Ana",
    },
    EventType.ACCESS_CHANGED: {},
    EventType.CONVERSATION_VIEWING: {"conversation_id": 7, "user": USER},
    EventType.CONVERSATION_TYPING: {"conversation_id": 7, "user": USER},
}


def test_every_event_type_has_one_schema_and_a_sample():
    assert set(EVENT_CLASSES) == set(EventType) == set(SAMPLES)
    for event_type, cls in EVENT_CLASSES.items():
        assert cls.model_fields["type"].default == event_type


@pytest.mark.parametrize("event_type", list(EventType))
def test_round_trip_through_json(event_type):
    event = build_event(event_type, copy.deepcopy(SAMPLES[event_type]))
    wire = json.loads(json.dumps(event.wire()))
    # What the browser gets is the payload as the senders wrote it, with the type first.
    assert wire == {"type": str(event_type), **SAMPLES[event_type]}
    assert next(iter(wire)) == "type"
    assert parse_event(wire) == event
    assert parse_event(json.dumps(wire)) == event
    assert type(event).model_validate_json(json.dumps(wire)) == event


def test_the_previous_owner_hears_only_that_it_left():
    event = ConversationUpdated(conversation=ConversationGone(id=7, owner=None))
    assert event.wire() == {
        "type": "conversation.updated",
        "conversation": {"id": 7, "owner": None},
    }
    assert parse_event(event.wire()) == event


@pytest.mark.parametrize(
    ("event_type", "payload", "problem"),
    [
        (EventType.HANDOFF_DECLINED, {"conversation_id": 7, "by": "bob"}, "missing"),
        (EventType.ACCESS_CHANGED, {"user_id": 3}, "extra_forbidden"),
        (
            EventType.CONVERSATION_CREATED,
            {"conversation": {**CONVERSATION, "secret": "x"}},
            "extra_forbidden",
        ),
        (
            EventType.MESSAGE_CREATED,
            {"conversation_id": 7, "message": {**MESSAGE, "timestamp": "2026-11-23T09:30:00"}},
            "UTC offset",
        ),
        (EventType.ALERT_RAISED, {"conversation_id": "seven", "alert": ALERT}, "int_parsing"),
    ],
)
def test_missing_unknown_and_malformed_fields_fail_loudly(event_type, payload, problem):
    with pytest.raises(ValidationError, match=problem):
        build_event(event_type, payload)


def test_unknown_event_types_are_refused():
    with pytest.raises(ValidationError):
        parse_event({"type": "conversation.exploded", "conversation_id": 7})


# ------------------------------------------------------------------------------------------
# What the real actions send


@pytest.fixture
def sent(monkeypatch):
    """Every event published after commit, as it leaves for the channel layer."""
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(
        events, "publish", lambda message, groups: published.append(message["event"])
    )
    return published


def check(sent: list[dict[str, Any]]) -> set[EventType]:
    """Each sent payload, through JSON, fits the schema of its type; returns the types."""
    for event in sent:
        parse_event(json.dumps(event))
    return {EventType(event["type"]) for event in sent}


def test_the_actions_send_payloads_that_fit_their_schemas(transactional_db, sent):
    make_inbox()
    SlaPolicy.objects.create(
        name="Standard", first_response_seconds=600, warn_before_seconds=300, on_breach=[]
    )
    support = Team.objects.get(is_default=True)
    alice = make_user("alice", team="Support")
    bob = make_user("bob", team="Support")
    manager = make_user("mona", role="manager", team="Support")
    do_add_team_member(manager, support, is_manager=True)

    # A customer writes, then reacts to what they wrote.
    post_webhook_sample("inbound_text.json")
    reaction = load_sample("inbound_reaction.json")
    message = reaction["entry"][0]["changes"][0]["value"]["messages"][0]
    message["id"], message["reaction"]["message_id"] = "wamid.reaction", "wamid.xyzxyz"
    post_webhook_sample(reaction)
    conversation = Conversation.objects.get()

    # Nobody answers in time: the scan records a warning and a breach, each announced.
    do_scan_sla(now=timezone.now() + timedelta(minutes=20))
    for record in SlaRecord.objects.filter(kind__in=["warning", "breach"]):
        do_run_sla_actions(record.pk)

    do_set_presence(alice, "available")
    do_claim_conversation(conversation.pk, alice)
    do_handoff_conversation(conversation.pk, alice, to_username="bob", reason="shift ends")
    do_decline_handoff(conversation.pk, bob, "on a break")
    do_assign_conversation(conversation.pk, manager, "bob")  # alice hears it left her queue

    Conversation.objects.filter(pk=conversation.pk).update(
        waiting_since=timezone.now() - timedelta(hours=2)
    )
    do_scan_stale_conversations()
    do_resolve_conversation(conversation.pk, bob)
    do_scan_stale_conversations()

    # A manager hands it to a closing flow; the customer rates it 1: managers hear it.
    do_create_flow(closing(), None)
    Conversation.objects.filter(pk=conversation.pk).update(
        window_ends_at=timezone.now() + timedelta(hours=1)
    )
    do_return_to_bot(conversation.pk, manager, "Closing")
    rating = load_sample("inbound_interactive_list_reply.json")
    rating["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"]["list_reply"] = {
        "id": "csat_1",
        "title": "1 ⭐ Very poor",
    }
    post_webhook_sample(rating)

    assert {"id": conversation.pk, "owner": None} in [
        e["conversation"] for e in sent if e["type"] == "conversation.updated"
    ]
    ephemeral = {EventType.CONVERSATION_VIEWING, EventType.CONVERSATION_TYPING}
    assert check(sent) == set(EventType) - ephemeral


def post_webhook_sample(sample: str | dict[str, Any]) -> None:
    body = load_sample(sample) if isinstance(sample, str) else sample
    assert post_webhook(Client(), meta_bytes(body)).status_code == 200


def test_the_socket_sends_viewing_and_typing_that_fit_their_schemas(transactional_db):
    make_inbox()
    alice = make_user("alice", team="Support")
    post_webhook_sample("inbound_text.json")
    conversation = Conversation.objects.get()
    cookie = session_cookie(alice)

    async def announce() -> list[dict[str, Any]]:
        socket = await opened(cookie)
        try:
            received = []
            for action in ("viewing", "typing"):
                text = json.dumps({"action": action, "conversation_id": conversation.pk})
                await socket.send_input({"type": "websocket.receive", "text": text})
                received.append(await socket.receive_json_from(timeout=5))
            return received
        finally:
            await socket.disconnect()
            layer = get_channel_layer()
            if hasattr(layer, "flush"):  # the in-memory layer keeps its groups otherwise
                await layer.flush()

    received = async_to_sync(announce)()
    assert check(received) == {EventType.CONVERSATION_VIEWING, EventType.CONVERSATION_TYPING}
