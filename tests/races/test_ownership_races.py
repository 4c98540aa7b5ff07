"""Single ownership under real concurrency (threads + a barrier, one connection each).

Run on SQLite and on PostgreSQL (where the row locks and compare-and-set really matter).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connections

from baton.conversations import ownership
from baton.conversations.models import AuditEvent, Conversation, Message
from baton.core.errors import DomainError
from baton.whatsapp.outbound import do_queue_outbound_message
from tests.conftest import load_sample, make_inbox, make_user, meta_bytes
from tests.races.test_inbound_bursts import PNID, text_webhook


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at the same instant, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        try:
            barrier.wait()
            return call()
        except DomainError as exc:
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def open_conversations(n: int, *, sent_now: bool = False) -> list[Conversation]:
    """``n`` customers' first messages, dated in 2025 (their 24-hour windows long closed)
    unless ``sent_now``."""
    import json
    import time

    from baton.whatsapp.actions import do_ingest_webhook
    from baton.whatsapp.parsing import parse_webhook

    make_inbox(PNID)
    for i in range(n):
        stamp = str(int(time.time())) if sent_now else "1760000000"
        body = text_webhook(f"3469900{i:04d}", f"wamid.own{i}", "hello", timestamp=stamp)
        do_ingest_webhook(parse_webhook(json.loads(body)))
    return list(Conversation.objects.order_by("pk"))


def test_twenty_simultaneous_claims_one_winner(transactional_db):
    [conversation] = open_conversations(1)
    agents = [make_user(f"agent{i}") for i in range(20)]
    results = race(
        [lambda a=a: ownership.do_claim_conversation(conversation.pk, a) for a in agents]
    )
    winners = [r for r in results if isinstance(r, Conversation)]
    conflicts = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1
    assert len(conflicts) == 19
    owner = winners[0].owner
    assert all(c.status == 409 and c.details["owner"] == owner.username for c in conflicts)
    conversation.refresh_from_db()
    assert conversation.owner == owner
    assert AuditEvent.objects.filter(kind="claimed").count() == 1


def test_many_agents_many_conversations_no_lost_or_double_claims(transactional_db):
    conversations = open_conversations(6)
    agents = [make_user(f"agent{i}") for i in range(6)]
    calls = [
        (lambda c=c, a=a: ownership.do_claim_conversation(c.pk, a))
        for c in conversations
        for a in agents
    ]
    results = race(calls)
    wins = [r for r in results if isinstance(r, Conversation)]
    assert len(wins) == len(conversations)
    assert AuditEvent.objects.filter(kind="claimed").count() == len(conversations)
    for conversation in Conversation.objects.all():
        [claim] = AuditEvent.objects.filter(conversation=conversation, kind="claimed")
        assert conversation.owner == claim.to_owner


def test_reply_racing_handoff_accept_never_sends_as_non_owner(transactional_db):
    conversations = open_conversations(8)
    alice, bob = make_user("alice"), make_user("bob")
    for conversation in conversations:
        ownership.do_claim_conversation(conversation.pk, alice)
        ownership.do_handoff_conversation(conversation.pk, alice, to_username="bob", reason="r")
    calls = []
    for conversation in conversations:
        fresh = Conversation.objects.select_related("contact", "inbox").get(pk=conversation.pk)
        from django.utils import timezone

        Conversation.objects.filter(pk=fresh.pk).update(
            window_ends_at=timezone.now() + timezone.timedelta(hours=1)
        )
        fresh.refresh_from_db()
        calls.append(lambda c=fresh: do_queue_outbound_message(c, alice, text="from alice"))
        calls.append(lambda c=fresh: ownership.do_accept_handoff(c.pk, bob))
    race(calls)
    for conversation in Conversation.objects.all():
        assert conversation.owner == bob
        accepted = AuditEvent.objects.get(conversation=conversation, kind="handoff_accepted")
        for message in Message.objects.filter(conversation=conversation, direction="outbound"):
            # Alice's reply exists only if it committed while she still owned the chat.
            assert message.author == alice
            assert message.created_at < accepted.created_at


def test_reply_racing_handoff_to_team_never_sends_as_non_owner(transactional_db):
    from django.utils import timezone

    conversations = open_conversations(8)
    alice = make_user("alice")
    make_user("olga", team="Sales")
    calls = []
    for conversation in conversations:
        ownership.do_claim_conversation(conversation.pk, alice)
        Conversation.objects.filter(pk=conversation.pk).update(
            window_ends_at=timezone.now() + timezone.timedelta(hours=1)
        )
        fresh = Conversation.objects.select_related("contact", "inbox").get(pk=conversation.pk)
        calls.append(lambda c=fresh: do_queue_outbound_message(c, alice, text="from alice"))
        calls.append(
            lambda c=fresh: ownership.do_handoff_conversation(
                c.pk, alice, to_team_name="Sales", reason="billing question"
            )
        )
    results = race(calls)
    assert not [r for r in results if isinstance(r, Exception) and r.status != 409]
    for conversation in Conversation.objects.all():
        assert (conversation.owner, conversation.team.name) == (None, "Sales")
        handed = AuditEvent.objects.get(conversation=conversation, kind="handed_to_team")
        for message in Message.objects.filter(conversation=conversation, direction="outbound"):
            assert message.created_at < handed.created_at


def test_handoff_accept_racing_takeover_is_consistent(transactional_db):
    conversations = open_conversations(8)
    alice, bob = make_user("alice"), make_user("bob")
    maria = make_user("maria", role="manager")
    for conversation in conversations:
        ownership.do_claim_conversation(conversation.pk, alice)
        ownership.do_handoff_conversation(conversation.pk, alice, to_username="bob", reason="r")
    calls = []
    for conversation in conversations:
        calls.append(lambda c=conversation: ownership.do_accept_handoff(c.pk, bob))
        calls.append(lambda c=conversation: ownership.do_take_over_conversation(c.pk, maria, "x"))
    race(calls)
    for conversation in Conversation.objects.all():
        # Take-over always happens; the accept either came first or was refused.
        assert conversation.owner == maria
        assert not conversation.handoffs.filter(status="pending").exists()
        last = (
            AuditEvent.objects.filter(conversation=conversation)
            .exclude(kind="handoff_requested")
            .order_by("created_at", "id")
            .last()
        )
        assert last.to_owner == maria
        assert last.kind == "taken_over"


def test_load_sample_helper_is_shared():
    # Keeps the import of load_sample/meta_bytes honest for readers of this module.
    assert meta_bytes(load_sample("inbound_text.json")).startswith(b"{")
