"""Assignment engine benchmark: 1,000 agents, 10,000 queued conversations.

Creates its own scratch database next to the one named by DATABASE_URL (``<name>_bench_
assignment`` on the same PostgreSQL server, dropped afterwards; a temporary file for
SQLite), migrates it, fills it, then measures:

1. Draining the queue: ``do_assign_waiting`` serving 10,000 conversations oldest first
   (batches of ``BATCH`` per transaction, agents locked once per batch). Prints decisions/s
   and p50/p99 per decision (pick + assign) and per batch transaction.
2. Routing arrivals one by one: ``do_route_conversation`` for new conversations, each its
   own transaction (team and 1,000 agent rows locked, loads counted, pick, assign), the
   latency a customer's first message sees once the worker runs it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/baton .venv/bin/python benchmarks/assignment.py
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def scratch_database(url: str) -> tuple[str, object]:
    """A fresh database for the run, and a function that removes it."""
    if not url.startswith("postgres"):
        folder = tempfile.mkdtemp(prefix="baton-bench-")
        path = Path(folder) / "bench-assignment.sqlite3"
        return f"sqlite:///{path}", lambda: shutil.rmtree(folder, ignore_errors=True)
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'baton'}_bench_assignment"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--queued", type=int, default=10_000)
    parser.add_argument("--arrivals", type=int, default=300, help="one-by-one routings")
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    url, drop = scratch_database(args.database)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")
    os.environ.pop("REDIS_URL", None)  # no live listeners: events go to the in-memory layer
    import django

    django.setup()
    try:
        run(args, url)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop()


def run(args: argparse.Namespace, url: str) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from baton.agents.models import Team, TeamMembership, User
    from baton.conversations.models import Contact, Conversation
    from baton.routing import actions
    from baton.whatsapp.models import Inbox

    print(f"==> scratch database: {connection.vendor} ({url.rsplit('/', 1)[-1]})", flush=True)
    call_command("migrate", verbosity=0)
    capacity = -(-args.queued // args.agents)  # exactly enough slots for the whole queue
    team = Team.objects.get(is_default=True)
    Team.objects.filter(pk=team.pk).update(default_capacity=capacity)
    inbox = Inbox.objects.create(
        phone_number_id="100000000000099", name="Bench", access_token="t", default_team=team
    )
    print(f"==> {args.agents} available agents (capacity {capacity} each)", flush=True)
    users = User.objects.bulk_create(
        User(username=f"agent{i:04d}", role="agent", presence="available", password="!")
        for i in range(args.agents)
    )
    TeamMembership.objects.bulk_create(TeamMembership(team=team, user=u) for u in users)
    print(f"==> {args.queued} queued conversations", flush=True)
    now = timezone.now()
    total = args.queued + args.arrivals
    contacts = Contact.objects.bulk_create(Contact(wa_id=f"3470{i:08d}") for i in range(total))
    Conversation.objects.bulk_create(
        (
            Conversation(
                inbox=inbox,
                contact=contacts[i],
                team=team,
                status="queued",
                waiting_since=now - timezone.timedelta(seconds=args.queued - i),
            )
            for i in range(args.queued)
        ),
        batch_size=2000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    # Time each decision (pick + assign) and each batch transaction.
    decisions: list[float] = []
    batches: list[float] = []
    original_pick, original_assign, original_drain = (
        actions.Assigner.pick,
        actions.Assigner.assign,
        actions._drain,
    )
    started: list[float] = []

    def pick(self, *a, **kw):
        started.append(time.perf_counter())
        return original_pick(self, *a, **kw)

    def assign(self, *a, **kw):
        result = original_assign(self, *a, **kw)
        decisions.append(time.perf_counter() - started.pop())
        if len(decisions) % 1000 == 0:
            print(f"    {len(decisions)} assigned", flush=True)
        return result

    actions.Assigner.pick = pick  # type: ignore[method-assign]
    actions.Assigner.assign = assign  # type: ignore[method-assign]

    batch_start: list[float] = []
    original_init = actions.Assigner.__init__

    def init(self, *a, **kw):
        batch_start.append(time.perf_counter())
        original_init(self, *a, **kw)

    def drain(assigner, waiting):
        result = original_drain(assigner, waiting)
        batches.append(time.perf_counter() - batch_start.pop())
        return result

    actions.Assigner.__init__ = init  # type: ignore[method-assign]
    actions._drain = drain

    print("==> 1. draining the queue with do_assign_waiting", flush=True)
    t0 = time.perf_counter()
    assigned = actions.do_assign_waiting(team.pk)
    elapsed = time.perf_counter() - t0
    assert assigned == args.queued, (assigned, args.queued)
    over = (
        Conversation.objects.filter(status="assigned")
        .values("owner_id")
        .annotate(n=django_count())
        .filter(n__gt=capacity)
        .count()
    )
    assert over == 0, "an agent went above capacity"
    print(
        f"    {assigned} decisions in {elapsed:.1f} s = {assigned / elapsed:.0f} decisions/s; "
        f"per decision p50 {percentile(decisions, 0.5) * 1000:.2f} ms, "
        f"p99 {percentile(decisions, 0.99) * 1000:.2f} ms; per batch of {actions.BATCH} "
        f"(locks + loads + decisions) p50 {percentile(batches, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(batches, 0.99) * 1000:.0f} ms",
        flush=True,
    )
    actions._drain = original_drain
    actions.Assigner.__init__ = original_init  # type: ignore[method-assign]
    actions.Assigner.pick = original_pick  # type: ignore[method-assign]
    actions.Assigner.assign = original_assign  # type: ignore[method-assign]

    print(
        f"==> 2. routing {args.arrivals} arrivals one by one with do_route_conversation "
        f"({args.agents} agents, half the queue's chats resolved to free capacity)",
        flush=True,
    )
    Conversation.objects.filter(
        pk__in=list(
            Conversation.objects.filter(status="assigned").values_list("pk", flat=True)[::2]
        )
    ).update(status="resolved", owner=None)
    arrivals = Conversation.objects.bulk_create(
        Conversation(
            inbox=inbox,
            contact=contacts[args.queued + i],
            team=team,
            status="queued",
            waiting_since=timezone.now(),
        )
        for i in range(args.arrivals)
    )
    latencies = []
    t0 = time.perf_counter()
    for n, conversation in enumerate(arrivals, 1):
        t = time.perf_counter()
        agent = actions.do_route_conversation(conversation.pk, rule="bench")
        latencies.append(time.perf_counter() - t)
        assert agent is not None
        if n % 100 == 0:
            print(f"    {n} routed", flush=True)
    elapsed = time.perf_counter() - t0
    print(
        f"    {args.arrivals} routings in {elapsed:.1f} s = {args.arrivals / elapsed:.0f}/s; "
        f"latency p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, "
        f"mean {statistics.mean(latencies) * 1000:.1f} ms",
        flush=True,
    )


def django_count():
    from django.db.models import Count

    return Count("id")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    main()
