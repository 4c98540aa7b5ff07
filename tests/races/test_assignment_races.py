"""The assignment engine under real concurrency (threads + a barrier, one connection each).

Conversations arrive and are assigned by several workers at once while agents change
presence and shifts begin and end. Invariants: no agent above capacity, no conversation
assigned twice, none left queued while someone could take it. The locks only matter on
PostgreSQL (SQLite serialises writers), so the heavy ones are marked ``postgres``.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import time
from typing import Any

import pytest
from django.db import OperationalError, connections
from django.utils import timezone

from baton.agents.actions import do_set_presence
from baton.agents.models import Shift, TeamMembership, User
from baton.conversations import ownership
from baton.conversations.models import AuditEvent, Conversation
from baton.core.errors import DomainError
from baton.routing.actions import (
    do_assign_waiting,
    do_route_conversation,
    do_scan_shift_boundaries,
)
from baton.routing.availability import is_assignable
from baton.routing.candidates import get_candidates
from baton.whatsapp.actions import do_ingest_webhook
from baton.whatsapp.parsing import parse_webhook
from tests.conftest import make_inbox, run_tasks
from tests.races.test_inbound_bursts import PNID, text_webhook
from tests.routing.factories import make_agent, make_team, queue_conversation

OWNED = ["assigned", "pending", "snoozed"]


def run_together(workers: list[Callable[[], Any]]) -> list[Any]:
    """Start every worker at the same instant, each in its own thread and connection."""
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(work: Callable[[], Any]) -> Any:
        try:
            barrier.wait()
            return work()
        except DomainError as exc:
            return exc
        except BaseException as exc:
            errors.append(exc)
            raise
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        results = list(pool.map(run, workers))
    assert not errors, errors
    return results


def assert_invariants(team_ids: list[int]) -> None:
    from baton.agents.models import Team

    now = timezone.now()
    # Every assignment is recorded once, and matches the single owner column.
    auto = Counter(
        AuditEvent.objects.filter(kind="auto_assigned").values_list("conversation_id", flat=True)
    )
    assert all(n == 1 for n in auto.values()), "a conversation was auto-assigned twice"
    for conversation_id in auto:
        conversation = Conversation.objects.get(pk=conversation_id)
        first = AuditEvent.objects.filter(conversation_id=conversation_id).exclude(
            kind__in=["alert"]
        )
        assert first.filter(kind="auto_assigned").get().to_owner_id is not None
        assert conversation.owner_id is not None or conversation.status in ("queued", "resolved")
    for team in Team.objects.filter(pk__in=team_ids):
        candidates = get_candidates(team, now)
        for candidate in candidates.values():
            assert candidate.open_count <= candidate.capacity, (
                f"agent {candidate.id} above capacity in {team}"
            )
        queued = Conversation.objects.filter(team=team, status="queued").count()
        if queued:
            assert not any(is_assignable(c) for c in candidates.values()), (
                f"{queued} left queued in {team} while someone could take them"
            )


DEADLOCKS: list[str] = []


def retry_deadlock(work: Callable[[], Any]) -> Callable[[], Any]:
    """PostgreSQL may still pick a deadlock victim between unrelated lock orders in other
    code paths; the task runner would retry, so do we (and count it)."""

    def run() -> Any:
        for _ in range(5):
            try:
                return work()
            except OperationalError as exc:
                if "deadlock" not in str(exc):
                    raise
                DEADLOCKS.append(str(exc))
        raise AssertionError("deadlocked 5 times")

    return run


@pytest.mark.postgres
def test_many_assigners_never_exceed_capacity_or_double_assign(transactional_db):
    team = make_team("Support", default_capacity=3, is_default=True)
    agents = [make_agent(f"agent{i}", team) for i in range(8)]
    now = timezone.now()
    for i in range(60):
        queue_conversation(team, now - timezone.timedelta(seconds=600 - i))
    results = run_together([lambda: do_assign_waiting(team.pk) for _ in range(8)])
    assert sum(results) == 24  # 8 agents x 3
    for agent in agents:
        assert Conversation.objects.filter(owner=agent, status__in=OWNED).count() == 3
    # Oldest first: exactly the 24 longest-waiting were taken.
    taken = set(Conversation.objects.filter(owner__isnull=False).values_list("pk", flat=True))
    oldest = set(Conversation.objects.order_by("waiting_since").values_list("pk", flat=True)[:24])
    assert taken == oldest
    assert_invariants([team.pk])


@pytest.mark.postgres
def test_shared_agents_across_teams_are_locked_together(transactional_db):
    support = make_team("Support", default_capacity=2, is_default=True)
    sales = make_team("Sales", default_capacity=2)
    agents = [make_agent(f"agent{i}", support) for i in range(5)]
    for agent in agents:
        TeamMembership.objects.create(team=sales, user=agent)
    now = timezone.now()
    for i in range(20):
        queue_conversation(support, now - timezone.timedelta(seconds=100 - i))
        queue_conversation(sales, now - timezone.timedelta(seconds=100 - i))
    workers = []
    for _ in range(4):
        workers.append(lambda: do_assign_waiting(support.pk))
        workers.append(lambda: do_assign_waiting(sales.pk))
    assert sum(run_together(workers)) == 10
    for agent in agents:
        assert Conversation.objects.filter(owner=agent, status__in=OWNED).count() == 2
    assert_invariants([support.pk, sales.pk])


@pytest.mark.postgres
def test_routing_racing_manual_claims_gives_each_conversation_one_owner(transactional_db):
    team = make_team("Support", default_capacity=50, is_default=True)
    agents = [make_agent(f"agent{i}", team) for i in range(4)]
    now = timezone.now()
    convs = [queue_conversation(team, now - timezone.timedelta(seconds=50 - i)) for i in range(30)]
    workers: list[Callable[[], Any]] = []
    for conv in convs:
        workers.append(lambda c=conv: do_route_conversation(c.pk, rule="race"))
        workers.append(lambda c=conv: ownership.do_claim_conversation(c.pk, random.choice(agents)))
    run_together([retry_deadlock(w) for w in workers])
    for conv in Conversation.objects.all():
        assert conv.owner_id is not None
        takes = AuditEvent.objects.filter(conversation=conv, kind__in=["claimed", "auto_assigned"])
        assert takes.count() == 1
        assert takes.get().to_owner_id == conv.owner_id


@pytest.mark.postgres
def test_arrivals_presence_flips_and_shift_changes_keep_every_invariant(transactional_db):
    """Webhooks open conversations while workers assign, agents go away and come back,
    resolve chats (freeing capacity) and shift boundaries are scanned — all at once."""
    team = make_team("Support", default_capacity=2, is_default=True)
    make_inbox(PNID)
    agents = [make_agent(f"agent{i}", team) for i in range(6)]
    # Half of the agents work a shift that covers now; the others are off shift now.
    now = timezone.now()
    for agent in agents[3:]:
        Shift.objects.create(
            user=agent,
            team=team,
            weekday=(now.weekday() + 3) % 7,
            start=time(0),
            end=time(1),
        )
    stop = threading.Event()

    def arrivals(offset: int) -> int:
        for i in range(25):
            body = text_webhook(f"3469{offset:02d}{i:05d}", f"wamid.race{offset}x{i}", "hi")
            do_ingest_webhook(parse_webhook(json.loads(body)))
        return 0

    def assigner() -> int:
        total = 0
        while not stop.is_set():
            total += do_assign_waiting(team.pk)
        return total

    def presence_flipper(agent: User) -> int:
        rng = random.Random(agent.pk)
        for _ in range(15):
            fresh = User.objects.get(pk=agent.pk)
            do_set_presence(fresh, rng.choice(["available", "away", "available", "offline"]))
            do_set_presence(fresh, "available")
        return 0

    def resolver(agent: User) -> int:
        while not stop.is_set():
            owned = list(
                Conversation.objects.filter(owner=agent, status="assigned").values_list(
                    "pk", flat=True
                )[:1]
            )
            for pk in owned:
                ownership.do_resolve_conversation(pk, agent)
        return 0

    def shift_scanner() -> int:
        for _ in range(10):
            do_scan_shift_boundaries()
        return 0

    def arrivals_then_stop(offset: int) -> Callable[[], int]:
        def run() -> int:
            try:
                return arrivals(offset)
            finally:
                if offset == 0:
                    stop.set()

        return run

    workers: list[Callable[[], Any]] = [
        retry_deadlock(arrivals_then_stop(0)),
        retry_deadlock(arrivals_then_stop(1)),
        retry_deadlock(assigner),
        retry_deadlock(assigner),
        retry_deadlock(shift_scanner),
        *(retry_deadlock(lambda a=a: presence_flipper(a)) for a in agents[:2]),
        *(retry_deadlock(lambda a=a: resolver(a)) for a in agents[:3]),
    ]
    run_together(workers)
    stop.set()
    # The triggers queued assignment runs for every arrival, release and presence change:
    # running them settles the queue exactly as the worker would.
    run_tasks(max_rounds=10_000)
    assert Conversation.objects.count() == 50
    assert AuditEvent.objects.filter(kind="auto_assigned").count() >= 6
    assert AuditEvent.objects.filter(kind="resolved").exists()
    for agent in agents[3:]:
        assert not Conversation.objects.filter(owner=agent).exists(), "off-shift agent got work"
    assert_invariants([team.pk])
    # The lock order (team → users → conversation) leaves no cycle with ingest, claims,
    # presence or resolve: a deadlock here would be a design bug, not bad luck.
    assert not DEADLOCKS, DEADLOCKS
