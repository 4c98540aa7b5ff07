"""Routing under concurrent ingest: a new customer's burst is routed exactly once."""

from __future__ import annotations

from baton.agents.models import Team
from baton.conversations.models import AuditEvent, Conversation, EventKind, Message
from tests.conftest import make_inbox
from tests.races.test_inbound_bursts import PNID, text_webhook
from tests.races.test_receive_races import ingest_concurrently
from tests.routing.factories import make_rule


def test_a_burst_from_a_new_customer_is_routed_once(transactional_db):
    make_inbox(PNID)
    Team.objects.create(name="Billing")
    make_rule(
        "Refunds",
        {"field": "message.text", "op": "contains_any", "value": ["refund"]},
        {"team": "Billing", "labels": ["refund"]},
    )
    bodies = [text_webhook("34633333333", f"wamid.b{i}", f"refund {i}") for i in range(12)]
    ingest_concurrently(bodies)
    conversation = Conversation.objects.select_related("team").get()
    assert conversation.team.name == "Billing"
    assert conversation.labels == ["refund"]
    assert Message.objects.count() == 12
    routed = AuditEvent.objects.filter(kind=EventKind.ROUTED)
    assert routed.count() == 1
    assert routed.get().data["message_id"] == Message.objects.order_by("id").first().pk
