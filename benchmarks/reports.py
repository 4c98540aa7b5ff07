"""Reports benchmark: the summary (and the other tables) over 1,000,000 conversations.

Seeds a scratch PostgreSQL database (emptied first!) with a year of work: N conversations
spread evenly over 365 days in 10 teams, each with its customer's message and a reply, a
first response and a next response outcome, and for the resolved ones (99 %) a resolve
record in the timeline and a resolution outcome; one conversation in 20 has a handoff.
Then it times, in process (no network), the server time of:

- ``reports.get_summary`` and ``GET /api/v1/reports/summary`` for an admin (every team)
  and for a manager of one team, over the last 7 days, 30 days and the whole year;
- every other table of ``/reports/`` and the full page, over the last 7 days.

    .venv/bin/python benchmarks/reports.py --database postgres://postgres@127.0.0.1:5432/bench
    .venv/bin/python benchmarks/reports.py --database … --reuse   # keep the seeded rows

Prints p50 / p99 in milliseconds, and EXPLAIN's plan of the slowest summary query.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

TEAMS = 10
AGENTS_PER_TEAM = 10
DAYS = 365
LAST_DAY = date(2025, 12, 31)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database", required=True, help="PostgreSQL URL (emptied!)")
    parser.add_argument("--reuse", action="store_true", help="keep rows seeded by a last run")
    args = parser.parse_args()

    os.environ["BATON_DATA_DIR"] = tempfile.mkdtemp(prefix="baton-bench-reports-")
    os.environ["DATABASE_URL"] = args.database
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["*"]
    print(f"==> Database: {args.database}", flush=True)
    from baton.conversations.models import Conversation

    if not args.reuse:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    if not args.reuse or not Conversation.objects.exists():
        seed(args.conversations)
    measure(args.runs)


def seed(n: int) -> None:
    from django.db import connection

    from baton.agents.models import Role, Team, TeamMembership, User
    from baton.conversations.models import (
        AuditEvent,
        Contact,
        Conversation,
        Direction,
        EventKind,
        Handoff,
        HandoffStatus,
        Message,
    )
    from baton.sla.models import SlaRecord
    from baton.whatsapp.models import Inbox

    # Benchmark seeding only: historical creation times instead of "now".
    Conversation._meta.get_field("created_at").auto_now_add = False
    rng = random.Random(7)
    started = time.perf_counter()
    inbox = Inbox.objects.create(
        phone_number_id="1", name="Main", display_phone_number="1", access_token="x"
    )
    teams = [Team.objects.get_or_create(name=f"Team {i}")[0] for i in range(TEAMS)]
    agents: dict[int, list[User]] = {}
    for team in teams:
        people = User.objects.bulk_create(
            User(username=f"{team.name.replace(' ', '').lower()}-agent{j}", role=Role.AGENT)
            for j in range(AGENTS_PER_TEAM)
        )
        TeamMembership.objects.bulk_create(TeamMembership(team=team, user=u) for u in people)
        agents[team.pk] = people
    manager = User.objects.create(username="manager", role=Role.MANAGER)
    TeamMembership.objects.create(team=teams[0], user=manager, is_manager=True)
    User.objects.create(username="admin", role=Role.ADMIN, is_superuser=True, is_staff=True)

    first = datetime.combine(LAST_DAY - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    span = DAYS * 86400
    batch = 20_000
    for start in range(0, n, batch):
        size = min(batch, n - start)
        contacts = Contact.objects.bulk_create(
            Contact(wa_id=str(10_000_000_000 + start + i)) for i in range(size)
        )
        rows = []
        for i, contact in enumerate(contacts):
            team = teams[(start + i) % TEAMS]
            owner = rng.choice(agents[team.pk])
            created = first + timedelta(seconds=(start + i) * span / n)
            resolved = rng.random() < 0.99
            rows.append(
                Conversation(
                    inbox=inbox,
                    contact=contact,
                    team=team,
                    owner=owner,
                    status="resolved" if resolved else "assigned",
                    created_at=created,
                    resolved_at=created + timedelta(hours=2) if resolved else None,
                )
            )
        conversations = Conversation.objects.bulk_create(rows)
        messages, records, events, handoffs = [], [], [], []
        for c in conversations:
            fr = rng.lognormvariate(5, 1)
            replied = c.created_at + timedelta(seconds=fr)
            messages.append(
                Message(
                    conversation=c, direction=Direction.INBOUND, text="hi", timestamp=c.created_at
                )
            )
            messages.append(
                Message(
                    conversation=c,
                    direction=Direction.OUTBOUND,
                    author_id=c.owner_id,
                    text="hello",
                    timestamp=replied,
                )
            )
            common = {"conversation": c, "cycle": 1, "team_id": c.team_id, "owner_id": c.owner_id}
            records.append(
                SlaRecord(
                    metric="first_response",
                    kind="met" if fr < 300 else "missed",
                    started_at=c.created_at,
                    at=replied,
                    elapsed_seconds=fr,
                    **common,
                )
            )
            nr = rng.lognormvariate(5.5, 1)
            records.append(
                SlaRecord(
                    metric="next_response",
                    kind="met" if nr < 600 else "missed",
                    started_at=replied + timedelta(minutes=5),
                    at=replied + timedelta(minutes=5, seconds=nr),
                    elapsed_seconds=nr,
                    **common,
                )
            )
            if c.resolved_at is not None:
                records.append(
                    SlaRecord(
                        metric="resolution",
                        kind="met" if rng.random() < 0.8 else "missed",
                        started_at=c.created_at,
                        at=c.resolved_at,
                        elapsed_seconds=7200.0,
                        **common,
                    )
                )
                events.append(
                    AuditEvent(
                        conversation=c,
                        kind=EventKind.RESOLVED,
                        actor_id=c.owner_id,
                        from_owner_id=c.owner_id,
                        to_owner_id=c.owner_id,
                        to_status="resolved",
                        created_at=c.resolved_at,
                    )
                )
            if rng.random() < 0.05:
                receiver = rng.choice(agents[c.team_id])
                handoffs.append(
                    Handoff(
                        conversation=c,
                        from_user_id=c.owner_id,
                        to_user=receiver,
                        requested_by_id=c.owner_id,
                        reason="bench",
                        status=HandoffStatus.ACCEPTED,
                        created_at=replied,
                        expires_at=replied + timedelta(minutes=10),
                        responded_at=replied + timedelta(seconds=rng.uniform(5, 500)),
                    )
                )
        Message.objects.bulk_create(messages)
        SlaRecord.objects.bulk_create(records)
        AuditEvent.objects.bulk_create(events)
        Handoff.objects.bulk_create(handoffs)
        done = start + size
        rate = done / (time.perf_counter() - started)
        print(f"    seeded {done:,}/{n:,} conversations ({rate:,.0f}/s)", end="\r", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"\n==> Seeded in {time.perf_counter() - started:.0f} s", flush=True)


def timed(fn, runs: int) -> tuple[float, float]:
    for _ in range(3):
        fn()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[min(len(timings) - 1, int(len(timings) * 0.99))]


def measure(runs: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from baton.agents.models import User
    from baton.conversations.models import Conversation
    from baton.dashboard import report_tables, reports

    print(f"==> {Conversation.objects.count():,} conversations", flush=True)
    admin = User.objects.get(username="admin")
    manager = User.objects.get(username="manager")
    print(f"==> {runs} runs per case (after 3 warm-up runs), server time in ms", flush=True)
    print(f"    {'case':<58} {'p50':>8} {'p99':>8}")
    for days in (7, 30, DAYS):
        since = LAST_DAY - timedelta(days=days - 1)
        for who, user in (("admin, every team", admin), ("manager, one team", manager)):
            f, scope = reports.get_report_filter(user, since=since, until=LAST_DAY)
            p50, p99 = timed(lambda f=f, scope=scope: reports.get_summary(f, scope), runs)
            print(f"    {f'get_summary, {days} days, {who}':<58} {p50:8.1f} {p99:8.1f}")
    client = Client()
    for who, user in (("admin", admin), ("manager", manager)):
        client.force_login(user)
        url = f"/api/v1/reports/summary?since={LAST_DAY - timedelta(days=6)}&until={LAST_DAY}"

        def call(url=url) -> None:
            assert client.get(url).status_code == 200

        p50, p99 = timed(call, runs)
        print(f"    {f'GET /api/v1/reports/summary, 7 days, {who}':<58} {p50:8.1f} {p99:8.1f}")
    f, scope = reports.get_report_filter(admin, since=LAST_DAY - timedelta(days=6), until=LAST_DAY)
    for name, build in report_tables.TABLES.items():
        p50, p99 = timed(lambda build=build: build(f, scope), max(5, runs // 5))
        print(f"    {f'table {name}, 7 days, admin':<58} {p50:8.1f} {p99:8.1f}")
    client.force_login(admin)
    page = f"/reports/?since={LAST_DAY - timedelta(days=6)}&until={LAST_DAY}"
    p50, p99 = timed(lambda: client.get(page), max(5, runs // 5))
    print(f"    {'GET /reports/ (full page), 7 days, admin':<58} {p50:8.1f} {p99:8.1f}")
    print(reports.get_summary(f, scope))

    f, scope = reports.get_report_filter(admin, since=LAST_DAY - timedelta(days=6), until=LAST_DAY)
    with CaptureQueriesContext(connection) as queries:
        reports.get_summary(f, scope)
    print(f"==> get_summary ran {len(queries)} queries:")
    for query in queries.captured_queries:
        print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:150]}")
    slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
        print("==> Plan of the slowest:")
        for (line,) in cursor.fetchall():
            print(f"    {line}")


if __name__ == "__main__":
    sys.exit(main())
