"""Breach prediction scan benchmark: 10,000 queued conversations over 20 teams.

Creates a scratch database next to DATABASE_URL (as ``benchmarks/assignment.py`` does: a
``<name>_bench_assignment`` database on the same PostgreSQL server, dropped afterwards; a
temporary file for SQLite), fills it (per team: 10 agents with shifts, every slot busy, an
hour of pickups and resolutions in the audit log, 500 queued conversations with a running
first response clock), then times ``do_predict_breaches``:

1. the first scan, which writes every prediction;
2. the steady scan the SLA tick pays every 5 s (nothing moved by a minute: no write);
3. a scan a minute later, when every queued conversation's predicted pickup has moved
   (the worst case: all rows rewritten).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/baton \
        .venv/bin/python benchmarks/sla_prediction.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta

from assignment import percentile, scratch_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--queued", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=10, help="per team")
    parser.add_argument("--rounds", type=int, default=20, help="steady scans timed")
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()

    url, drop = scratch_database(args.database)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    try:
        run(args, url)
    finally:
        from django.db import connections

        connections.close_all()
        drop()  # type: ignore[operator]


def run(args: argparse.Namespace, url: str) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from baton.agents.models import Team, TeamMembership, User
    from baton.conversations.models import AuditEvent, Contact, Conversation, EventKind
    from baton.sla.models import ConversationSla
    from baton.sla.prediction_scan import do_predict_breaches
    from baton.whatsapp.models import Inbox

    print(f"==> scratch database: {connection.vendor} ({url.rsplit('/', 1)[-1]})", flush=True)
    call_command("migrate", verbosity=0)
    now = timezone.now()
    capacity = 3
    per_team = args.queued // args.teams
    teams = Team.objects.bulk_create(
        Team(name=f"Team {t:02d}", default_capacity=capacity) for t in range(args.teams)
    )
    inbox = Inbox.objects.create(phone_number_id="100000000000098", name="Bench", access_token="t")
    users = User.objects.bulk_create(
        User(username=f"agent{i:04d}", role="agent", presence="available", password="!")
        for i in range(args.teams * args.agents)
    )
    members = [(team, users[t * args.agents + a]) for t, team in enumerate(teams)
               for a in range(args.agents)]  # fmt: skip
    TeamMembership.objects.bulk_create(TeamMembership(team=t, user=u) for t, u in members)
    # No shifts: everyone always on shift, whatever the hour the benchmark runs at (a team's
    # shifts cost two reads whatever their number; tests/sla/test_capacity.py counts them).
    busy = len(members) * capacity
    resolved = busy  # an hour of work: every slot turned over once
    total = args.queued + busy + resolved
    print(
        f"==> {args.teams} teams x {args.agents} agents (capacity {capacity}, all busy), "
        f"{args.queued} queued, {resolved} resolved in the last hour",
        flush=True,
    )
    contacts = Contact.objects.bulk_create(
        (Contact(wa_id=f"3480{i:08d}") for i in range(total)), batch_size=2000
    )
    rows = []
    for i in range(args.queued):
        team = teams[i // per_team % args.teams]
        rows.append(
            Conversation(
                inbox=inbox,
                contact=contacts[i],
                team=team,
                status="queued",
                waiting_since=now - timedelta(seconds=args.queued - i),
            )
        )
    for n, (team, user) in enumerate(members * capacity):
        rows.append(
            Conversation(
                inbox=inbox, contact=contacts[args.queued + n], team=team, status="assigned",
                owner=user, waiting_since=now - timedelta(minutes=30),
            )
        )  # fmt: skip
    for n, (team, _) in enumerate(members * capacity):
        rows.append(
            Conversation(
                inbox=inbox, contact=contacts[args.queued + busy + n], team=team,
                status="resolved", waiting_since=now - timedelta(minutes=70),
            )
        )  # fmt: skip
    conversations = Conversation.objects.bulk_create(rows, batch_size=2000)
    ConversationSla.objects.bulk_create(
        (
            ConversationSla(
                conversation=c,
                first_response_state="running",
                first_response_due_at=c.waiting_since + timedelta(hours=3),
            )
            for c in conversations[: args.queued]
        ),
        batch_size=2000,
    )
    events = []
    for n, c in enumerate(conversations[args.queued + busy :]):
        picked = now - timedelta(minutes=55) + timedelta(seconds=n % 600)
        events.append(AuditEvent(conversation=c, kind=EventKind.AUTO_ASSIGNED, created_at=picked))
        events.append(
            AuditEvent(
                conversation=c, kind=EventKind.RESOLVED, created_at=picked + timedelta(minutes=12)
            )
        )
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def timed(at) -> tuple[float, int]:
        t0 = time.perf_counter()
        changed = do_predict_breaches(at)
        return time.perf_counter() - t0, changed

    first, changed = timed(now)
    print(f"==> 1. first scan: {first * 1000:.0f} ms, {changed} rows written", flush=True)
    steady = []
    writes = 0
    for i in range(args.rounds):
        elapsed, changed = timed(now + timedelta(seconds=1 + i * 2 // args.rounds))
        writes += changed
        steady.append(elapsed)
    print(
        f"==> 2. steady scan, {args.rounds} rounds ({writes} rows written in all): p50 "
        f"{statistics.median(steady) * 1000:.0f} ms, max {max(steady) * 1000:.0f} ms",
        flush=True,
    )
    if os.environ.get("SLOWEST"):  # the slowest statements of one steady scan
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            timed(now + timedelta(seconds=3))
        for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:4]:
            print(f"    {float(q['time']) * 1000:.0f} ms  {q['sql'][:160]}")
    moved, changed = timed(now + timedelta(seconds=65))
    print(f"==> 3. a minute later: {moved * 1000:.0f} ms, {changed} rows rewritten", flush=True)
    breach = ConversationSla.objects.filter(predicted_to_breach=True).count()
    print(f"    ({breach} of {args.queued} predicted to breach; p99 steady "
          f"{percentile(steady, 0.99) * 1000:.0f} ms)")  # fmt: skip


if __name__ == "__main__":
    main()
