"""`baton demo`'s seed configures routing once: simulated traffic is assigned by itself."""

from __future__ import annotations

import json

from baton.agents.models import Shift, User
from baton.conversations.models import AuditEvent, Conversation
from baton.demo.seed import DEMO_NUMBERS, seed_demo
from tests.conftest import run_tasks
from tests.races.test_inbound_bursts import text_webhook


def test_demo_traffic_is_distributed_and_explained(transactional_db):
    seed_demo()
    seed_demo()  # idempotent: a second start keeps shifts and people
    assert Shift.objects.filter(user__username="alice").count() == 1
    assert set(
        User.objects.filter(username__in=["alice", "bob", "carlos"]).values_list(
            "presence", flat=True
        )
    ) == {"available"}
    from baton.whatsapp.actions import do_ingest_webhook
    from baton.whatsapp.parsing import parse_webhook

    support = next(n for n in DEMO_NUMBERS if n.name == "Demo Support")
    for i in range(8):
        body = text_webhook(f"34600{i:05d}", f"wamid.demo{i}", "hola").replace(
            b"1122334455667", support.phone_number_id.encode()
        )
        do_ingest_webhook(parse_webhook(json.loads(body)))
    run_tasks(max_rounds=100)
    owners = list(
        Conversation.objects.filter(owner__isnull=False).values_list("owner__username", flat=True)
    )
    # Support: alice and bob, capacity 3 each, least loaded: 3 + 3, two still queued.
    assert sorted(owners) == ["alice"] * 3 + ["bob"] * 3
    assert Conversation.objects.filter(status="queued").count() == 2
    event = AuditEvent.objects.filter(kind="auto_assigned").first()
    assert event.reason.startswith("least loaded: most free capacity")


def test_demo_rules_route_and_the_timeline_names_rule_and_strategy(transactional_db):
    from baton.routing.models import RoutingRule
    from baton.whatsapp.actions import do_ingest_webhook
    from baton.whatsapp.parsing import parse_webhook

    seed_demo()
    seed_demo()
    assert RoutingRule.objects.count() == 3  # seeded once
    support = next(n for n in DEMO_NUMBERS if n.name == "Demo Support")
    body = text_webhook("34600999001", "wamid.stock", "Is the blue jacket back in stock?")
    body = body.replace(b"1122334455667", support.phone_number_id.encode())
    do_ingest_webhook(parse_webhook(json.loads(body)))
    run_tasks(max_rounds=20)
    conversation = Conversation.objects.get()
    assert (conversation.team.name, conversation.owner.username) == ("Sales", "carlos")
    assert conversation.labels == ["presales"]
    event = AuditEvent.objects.get(conversation=conversation, kind="auto_assigned")
    assert event.reason.startswith("rule “Stock and shipping questions” → round robin")
