"""Reports benchmark: the summary (and the other tables) over 1,000,000 conversations.

Seeds (in SQL) a scratch PostgreSQL database (emptied first!) with a year of work: N conversations
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
    from baton.whatsapp.models import Inbox

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
    agent_ids = [u.pk for team in teams for u in agents[team.pk]]
    team_ids = [team.pk for team in teams]
    # In SQL (generate_series): the ORM seeds ~600 conversations a second, an hour for 1M.
    # One row per conversation in a work table, then every table is one INSERT … SELECT.
    steps = [
        (
            "plan",
            """
        CREATE TEMP TABLE bench AS
        SELECT g,
               %(first)s::timestamptz
                 + make_interval(secs => g * %(span)s::float / %(n)s) AS created,
               (%(teams)s::bigint[])[1 + g %% 10] AS team_id,
               (%(agents)s::bigint[])[1 + (g %% 10) * 10 + (g / 10) %% 10] AS owner_id,
               (g %% 100 <> 0) AS resolved,
               exp(5 + random() * 2) AS fr,
               exp(5.5 + random() * 2) AS nr,
               (random() < 0.8) AS res_met,
               (random() < 0.05) AS handed
        FROM generate_series(1, %(n)s) AS g""",
        ),
        (
            "contacts",
            """
        INSERT INTO conversations_contact
            (wa_id, parent_user_id, username, profile_name, created_at, updated_at,
             attributes, labels)
        SELECT (10000000000 + g)::text, '', '', '', created, created, '{}', '[]' FROM bench""",
        ),
        (
            "conversations",
            """
        INSERT INTO conversations_conversation
            (status, priority, created_at, resolved_at, last_message_preview, contact_id,
             inbox_id, team_id, owner_id, assignment_strategy, attributes, labels, language)
        SELECT CASE WHEN b.resolved THEN 'resolved' ELSE 'assigned' END, 1, b.created,
               CASE WHEN b.resolved THEN b.created + interval '2 hours' END, '', c.id,
               %(inbox)s, b.team_id, b.owner_id, '', '{}', '[]', ''
        FROM bench b JOIN conversations_contact c ON c.wa_id = (10000000000 + b.g)::text""",
        ),
        (
            "map",
            """
        CREATE TEMP TABLE bench_c AS
        SELECT b.*, v.id AS cid FROM bench b
        JOIN conversations_contact c ON c.wa_id = (10000000000 + b.g)::text
        JOIN conversations_conversation v ON v.contact_id = c.id""",
        ),
        (
            "messages",
            """
        INSERT INTO conversations_message
            (direction, type, text, content, context, reactions, media_id, media_mime_type,
             media_sha256, media_filename, media_file, media_state, status, status_rank,
             error_title, error_details, attempts, request, raw, timestamp, created_at,
             conversation_id, author_id)
        SELECT d.direction, 'text', 'hi', '{}', '{}', '{}', '', '', '', '', '', 'none',
               d.status, 0, '', '', 0, '{}', '{}', d.at, d.at, b.cid, d.author
        FROM bench_c b, LATERAL (VALUES
            ('inbound', 'received', b.created, NULL::bigint),
            ('outbound', 'sent', b.created + make_interval(secs => b.fr), b.owner_id)
        ) AS d(direction, status, at, author)""",
        ),
        (
            "SLA records",
            """
        INSERT INTO sla_slarecord
            (cycle, metric, started_at, kind, at, elapsed_seconds, policy_name, data,
             recorded_at, conversation_id, team_id, owner_id)
        SELECT 1, r.metric, r.started, r.kind, r.stopped, r.elapsed, 'Standard', '{}',
               r.stopped, b.cid, b.team_id, b.owner_id
        FROM bench_c b, LATERAL (VALUES
            ('first_response', b.created, CASE WHEN b.fr < 300 THEN 'met' ELSE 'missed' END,
             b.created + make_interval(secs => b.fr), b.fr),
            ('next_response', b.created + make_interval(secs => b.fr + 300),
             CASE WHEN b.nr < 600 THEN 'met' ELSE 'missed' END,
             b.created + make_interval(secs => b.fr + 300 + b.nr), b.nr),
            ('resolution', b.created, CASE WHEN b.res_met THEN 'met' ELSE 'missed' END,
             b.created + interval '2 hours', 7200.0)
        ) AS r(metric, started, kind, stopped, elapsed)
        WHERE r.metric <> 'resolution' OR b.resolved""",
        ),
        (
            "resolve records",
            """
        INSERT INTO conversations_auditevent
            (conversation_id, kind, actor_id, from_owner_id, to_owner_id, from_status,
             to_status, reason, note, data, created_at)
        SELECT cid, 'resolved', owner_id, owner_id, owner_id, 'assigned', 'resolved', '', '',
               '{}', created + interval '2 hours'
        FROM bench_c WHERE resolved""",
        ),
        (
            "handoffs",
            """
        INSERT INTO conversations_handoff
            (conversation_id, from_user_id, to_user_id, requested_by_id, reason, note, status,
             response_reason, created_at, expires_at, responded_at)
        SELECT cid, owner_id, (%(agents)s::bigint[])[1 + (g %% 10) * 10 + (g / 10 + 1) %% 10],
               owner_id, 'bench', '', 'accepted', '', created + interval '1 minute',
               created + interval '11 minutes',
               created + interval '1 minute' + make_interval(secs => 5 + random() * 500)
        FROM bench_c WHERE handed""",
        ),
    ]
    params = {
        "first": first,
        "span": DAYS * 86400,
        "n": n,
        "teams": team_ids,
        "agents": agent_ids,
        "inbox": inbox.pk,
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        for label, sql in steps:
            step = time.perf_counter()
            cursor.execute(sql, params)
            print(
                f"    {label}: {cursor.rowcount:,} rows in {time.perf_counter() - step:.1f} s",
                flush=True,
            )
        cursor.execute("VACUUM ANALYZE")
    print(f"==> Seeded in {time.perf_counter() - started:.0f} s", flush=True)


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
