"""Every timeline kind (audit events and message types, with their variants) rendered, and
compared with the recording of the one-template-for-all timeline (``pane_snapshots.py``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from baton.conversations.models import AuditEvent, EventKind, Message, MessageType
from tests.conftest import make_user
from tests.web.pane_snapshots import check_snapshot, squeeze

START = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

# (kind, actor?, extra fields): the branches each kind's line takes.
EVENTS = [
    ("claimed", True, {}),
    ("assigned", True, {"to_owner": "bob"}),
    ("assigned", False, {"to_owner": "bob"}),
    ("auto_assigned", False, {"to_owner": "bob"}),
    ("overflowed", False, {"reason": "nobody available"}),
    ("handoff_requested", True, {"to_owner": "bob", "reason": "Spanish", "note": "be kind"}),
    ("handoff_accepted", True, {"from_owner": "bob"}),
    ("handoff_accepted", True, {}),
    ("handoff_declined", True, {"reason": "busy"}),
    ("handoff_expired", False, {"from_owner": "bob", "data": {"offered_to": "carol"}}),
    ("handoff_expired", False, {"from_owner": "bob"}),
    ("handed_to_team", True, {"to_team": True}),
    ("released", True, {"note": "lunch"}),
    ("taken_over", True, {"from_owner": "bob", "reason": "manager take-over"}),
    ("taken_over", True, {}),
    ("resolved", True, {}),
    ("resolved", False, {}),
    ("reopened", True, {"to_owner": "bob"}),
    ("reopened", False, {}),
    ("snoozed", True, {"data": {"until": "2025-03-05T10:30:00+00:00"}}),
    ("snoozed", True, {}),
    ("woke_up", False, {}),
    ("pending", True, {}),
    ("customer_replied", False, {}),
    ("alert", False, {"reason": "waiting 20 minutes"}),
    ("alert", False, {}),
    ("config", True, {"reason": "rule edited"}),
    ("routed", False, {}),
    ("routed", True, {"note": "by hand"}),
    # A kind this version does not know (a newer release wrote it): the generic line.
    ("from_the_future", True, {}),
]
# Kinds added after the snapshot was first recorded: they come after every message, so the
# recorded items keep their times.
LATER_EVENTS = [
    ("priority_changed", False, {"reason": "first response breached (policy Gold)"}),
    ("labeled", True, {"reason": ""}),
    ("sla_policy", False, {"reason": "SLA policy Gold applies"}),
    ("sla_warning", False, {"reason": "first response due soon (policy Gold)"}),
    (
        "sla_breach",
        False,
        {"reason": "first response breached → priority urgent, reassigned to Bob (policy Gold)"},
    ),
    ("sla_breach", False, {"reason": "<script>alert(1)</script>"}),
    ("bot_started", False, {"reason": "flow “Front desk” greets new conversations"}),
    ("bot_handoff", False, {"reason": "handed off by bot: Order 1234", "to_team": True}),
    ("bot_returned", True, {"reason": "returned to the bot: flow “Closing”"}),
    ("csat", False, {"reason": "rated 5/5", "note": "Ana was great", "data": {"score": 5}}),
    ("csat", False, {"reason": "rating not asked: the 24-hour window is closed"}),
    ("intent_corrected", True, {"reason": "order_status → refund_return"}),
]

# (direction, type, fields): every message type, and the states that change its look.
MESSAGES = [
    ("inbound", "text", {"text": "Hello\nsee https://example.com", "wamid": "w1"}),
    ("inbound", "text", {"text": "edited", "content": {"edited": True}}),
    ("inbound", "text", {"text": "gone", "content": {"revoked": True}}),
    ("inbound", "text", {"text": "fwd", "context": {"forwarded": True}}),
    ("inbound", "text", {"text": "fwd", "context": {"frequently_forwarded": True}}),
    ("inbound", "text", {"text": "loved", "reactions": {"customer": "❤", "business": "👍"}}),
    ("inbound", "text", {"text": "quoting", "reply_to": 0}),
    (
        "inbound",
        "image",
        {"media_state": "ready", "media_mime_type": "image/jpeg", "text": "a cap"},
    ),
    ("inbound", "image", {"media_state": "ready", "media_mime_type": "image/svg+xml"}),
    ("inbound", "sticker", {"media_state": "ready", "media_mime_type": "image/webp"}),
    ("inbound", "audio", {"media_state": "ready", "content": {"voice": True}}),
    ("inbound", "audio", {"media_state": "ready"}),
    ("inbound", "video", {"media_state": "ready"}),
    ("inbound", "document", {"media_state": "ready", "media_filename": "a.pdf"}),
    ("inbound", "document", {"media_state": "ready", "media_mime_type": "application/pdf"}),
    ("inbound", "image", {"media_state": "pending"}),
    ("inbound", "video", {"media_state": "failed"}),
    (
        "inbound",
        "location",
        {"content": {"latitude": 52.52, "longitude": 13.405, "name": "Home", "address": "Str 1"}},
    ),
    ("inbound", "location", {"content": {"latitude": 1.5, "longitude": 2.25}}),
    (
        "inbound",
        "contacts",
        {
            "content": {
                "contacts": [
                    {
                        "name": {"formatted_name": "Ann Lee"},
                        "phones": [{"phone": "+1 555"}],
                        "org": {"company": "ACME"},
                    },
                    {"name": {}},
                ]
            }
        },
    ),
    ("inbound", "contacts", {"text": "a card"}),
    ("inbound", "interactive", {"text": "Yes", "content": {"description": "the yes one"}}),
    ("inbound", "interactive", {}),
    ("inbound", "button", {"text": "Stop"}),
    ("inbound", "order", {"content": {"product_items": [{"a": 1}, {"b": 2}]}, "text": "asap"}),
    ("inbound", "order", {"content": {"product_items": [{"a": 1}]}}),
    ("inbound", "order", {}),
    ("inbound", "unsupported", {"content": {"unsupported_type": "poll"}}),
    ("inbound", "unsupported", {}),
    ("inbound", "system", {"text": "number changed"}),
    ("inbound", "reaction", {"text": "👍"}),
    ("outbound", "reaction", {"text": "👍", "status": "failed", "error_title": "Too late"}),
    ("inbound", "edit", {"text": "new text"}),
    ("inbound", "revoke", {}),
    ("outbound", "template", {"text": "Your order shipped", "author": True, "status": "sent"}),
    ("outbound", "template", {"text": "gone", "content": {"revoked": True}, "status": "read"}),
    ("outbound", "text", {"text": "queued", "author": True, "status": "queued"}),
    ("outbound", "text", {"text": "sending", "author": True, "status": "sending"}),
    ("outbound", "text", {"text": "delivered", "author": True, "status": "delivered"}),
    ("outbound", "text", {"text": "read", "status": "read"}),
    ("outbound", "audio", {"media_state": "ready", "status": "played"}),
    (
        "outbound",
        "text",
        {
            "text": "refused",
            "author": True,
            "status": "failed",
            "error_title": "Re-engagement message",
            "error_details": "More than 24 hours",
            "error_code": 131047,
        },
    ),
    ("outbound", "text", {"text": "lost", "status": "failed", "wamid": "w2"}),
    ("outbound", "image", {"media_state": "ready", "media_mime_type": "image/png"}),
    ("note", "text", {"text": "internal", "author": True}),
    ("activity", "system", {"text": "Customer opted out"}),
    ("inbound", "from_the_future", {"text": "a type this version does not know"}),
]


def test_the_cases_cover_every_kind_and_type():
    assert {kind for kind, _, _ in EVENTS + LATER_EVENTS} >= set(EventKind.values)
    assert {type_ for _, type_, _ in MESSAGES} >= set(MessageType.values)


@pytest.fixture
def timeline(conversation, agent, default_team):
    bob, carol = make_user("bob"), make_user("carol")
    people = {"bob": bob, "carol": carol}
    messages = list(Message.objects.filter(conversation=conversation))
    at = START
    for kind, with_actor, fields in EVENTS:
        at += timedelta(minutes=1)
        fields = dict(fields)
        for role in ("to_owner", "from_owner"):
            if role in fields:
                fields[role] = people[fields[role]]
        if fields.pop("to_team", False):
            fields["to_team"] = default_team
        AuditEvent.objects.create(
            conversation=conversation,
            kind=kind,
            actor=agent if with_actor else None,
            created_at=at,
            **fields,
        )
    for direction, type_, fields in MESSAGES:
        at += timedelta(minutes=1)
        fields = dict(fields)
        if fields.pop("author", False):
            fields["author"] = agent
        if "reply_to" in fields:
            fields["reply_to"] = messages[fields["reply_to"]]
        status = fields.pop("status", "received" if direction == "inbound" else "sent")
        messages.append(
            Message.objects.create(
                conversation=conversation,
                direction=direction,
                type=type_,
                timestamp=at,
                status=status,
                **fields,
            )
        )
    for kind, with_actor, fields in LATER_EVENTS:
        at += timedelta(minutes=1)
        fields = dict(fields)
        if fields.pop("to_team", False):
            fields["to_team"] = default_team
        AuditEvent.objects.create(
            conversation=conversation,
            kind=kind,
            actor=agent if with_actor else None,
            created_at=at,
            **fields,
        )
    return conversation, messages, bob


def _named_ids(html: str, conversation, messages) -> str:
    """Row ids differ between databases and runs: each message is named by its position."""
    names = {str(m.pk): f"M{i}" for i, m in enumerate(messages)}
    html = html.replace(f"/c/{conversation.pk}/", "/c/C/")
    pattern = r'(id="m|href="#m|data-message-id="|data-reply-to="|/media/|/messages/)(\d+)'
    return re.sub(pattern, lambda m: m.group(1) + names.get(m.group(2), "?"), html)


@pytest.mark.parametrize("viewer", ["owner", "colleague"])
def test_every_kind_renders_as_recorded(client, timeline, agent, viewer):
    conversation, messages, bob = timeline
    conversation.owner = agent
    type(conversation).objects.filter(pk=conversation.pk).update(owner=agent, status="assigned")
    client.force_login(agent if viewer == "owner" else bob)
    response = client.get(f"/c/{conversation.pk}/?part=timeline", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = _named_ids(squeeze(response.content.decode()), conversation, messages)
    items = re.split(r"(?=<div class=\"activity|<article )", html)
    check_snapshot("timeline.json", viewer, items)
