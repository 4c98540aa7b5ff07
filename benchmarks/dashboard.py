"""Manager board benchmark: server time of /dashboard/ and GET /api/v1/dashboard with 10,000
open and 1,000,000 total conversations, on PostgreSQL.

Empties the PostgreSQL database given with --database (or DATABASE_URL), migrates, then loads
with COPY: 10 teams of 20 agents, N total conversations of which --open are open (queued,
assigned, pending, with a bot), one outbound reply and one first-response SLA outcome per
conversation spread over the last 90 days, an SLA row per open conversation, a pending
handoff for 1 % of them, audit events (assignments, resolves) and presence changes, with a
realistic share of them today. Then it requests the board the way the page does (the live
fragment, the full page), the API and /metrics, and prints p50/p99 of the time Django spends
producing each response (in process: no network, no browser). Query counts are asserted in
tests/dashboard.

    .venv/bin/python benchmarks/dashboard.py --database postgres://postgres@127.0.0.1:5432/bench
    .venv/bin/python benchmarks/dashboard.py --total 200000 --open 10000 --requests 30
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any

TEAMS = 10
AGENTS_PER_TEAM = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()
    if not args.database.startswith("postgres"):
        sys.exit("benchmarks/dashboard.py needs PostgreSQL: --database postgres://… (emptied!)")

    os.environ["BATON_DATA_DIR"] = tempfile.mkdtemp(prefix="baton-bench-dashboard-")
    os.environ["DATABASE_URL"] = args.database
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.BATON_METRICS_TOKEN = "bench"
    print(f"==> Database: {args.database}", flush=True)
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    admin, manager = seed(args.total, args.open)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load

    cases = [
        (
            "board fragment (live refresh), admin",
            admin,
            "/dashboard/",
            {"HX-Request": "true", "HX-Target": "board"},
        ),
        ("board full page, admin", admin, "/dashboard/", {}),
        (
            "board fragment, one team's manager",
            manager,
            "/dashboard/",
            {"HX-Request": "true", "HX-Target": "board"},
        ),
        ("GET /api/v1/dashboard, admin", admin, "/api/v1/dashboard", {}),
        ("GET /metrics", None, "/metrics", {"Authorization": "Bearer bench"}),
    ]
    print(f"==> {args.requests} requests per case (after 5 warm-up requests)", flush=True)
    for label, user, url, headers in cases:
        client = Client()
        if user is not None:
            client.force_login(user)
        for _ in range(5):
            assert client.get(url, headers=headers).status_code == 200
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        timings.sort()
        p50 = statistics.median(timings)
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        print(
            f"{label:<40} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms",
            flush=True,
        )


def copy_rows(model: Any, rows: list[dict[str, Any]]) -> None:
    """COPY ``rows`` into ``model``'s table: every concrete column but the id, each row's
    value or the field's default (JSON serialised)."""
    from django.db import connection
    from django.db.models import JSONField

    # The id is the database's; a one-to-one primary key (ConversationSla) is ours to give.
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.is_relation]
    names = ", ".join(f'"{f.column}"' for f in fields)
    defaults = {f.attname: f.get_default() for f in fields}
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f'COPY "{model._meta.db_table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                values = []
                for f in fields:
                    value = row.get(f.attname, defaults[f.attname])
                    if isinstance(f, JSONField):
                        value = json.dumps(value)
                    values.append(value)
                copy.write_row(values)


def seed(total: int, open_count: int):
    from django.db import transaction
    from django.utils import timezone

    from baton.agents.actions import do_create_user
    from baton.agents.models import PresenceChange, Team, TeamMembership, User
    from baton.conversations.models import AuditEvent, Contact, Conversation, Handoff, Message
    from baton.dashboard.queries import day_start
    from baton.sla.models import ConversationSla, SlaRecord
    from baton.whatsapp.models import Inbox

    rng = random.Random(12)
    now = timezone.now()
    midnight = day_start(now, "UTC")
    today_seconds = max((now - midnight).total_seconds(), 60.0)
    started = time.perf_counter()
    print(f"==> Seeding {total:,} conversations, {open_count:,} open", flush=True)
    with transaction.atomic():
        Team.objects.all().delete()
        teams = [Team.objects.create(name=f"Team {n:02d}", is_default=n == 0) for n in range(TEAMS)]
        admin = do_create_user("bench-admin", "admin", password="pw")
        manager = do_create_user("bench-manager", "manager", team_name=teams[0].name, password="pw")
        users = [
            User(
                username=f"agent-{t:02d}-{a:02d}",
                role="agent",
                presence=rng.choice(["available", "away", "offline"]),
            )
            for t in range(TEAMS)
            for a in range(AGENTS_PER_TEAM)
        ]
        User.objects.bulk_create(users)
        users = list(User.objects.filter(role="agent").order_by("username"))
        TeamMembership.objects.bulk_create(
            TeamMembership(team=teams[i // AGENTS_PER_TEAM], user=u) for i, u in enumerate(users)
        )
        inbox = Inbox.objects.create(
            name="Bench", phone_number_id="100000000000001", access_token="x"
        )
    contacts = max(open_count * 2, 20_000)
    copy_rows(
        Contact,
        [{"wa_id": f"3460{i:08d}", "created_at": now, "updated_at": now} for i in range(contacts)],
    )
    first_contact = Contact.objects.order_by("pk").values_list("pk", flat=True).first()
    print(f"    {contacts:,} contacts", flush=True)

    def team_agent(n: int):
        team_index = n % TEAMS
        return teams[team_index], users[
            team_index * AGENTS_PER_TEAM + (n // TEAMS) % AGENTS_PER_TEAM
        ]

    chunk = 100_000
    for start in range(0, total, chunk):
        rows = []
        for n in range(start, min(start + chunk, total)):
            team, agent = team_agent(n)
            is_open = n < open_count
            created = now - timedelta(
                seconds=rng.uniform(0, 90 * 86400) if not is_open else rng.uniform(0, 86400)
            )
            status = (
                ("queued", "assigned", "assigned", "pending", "bot")[n % 5]
                if is_open
                else "resolved"
            )
            owned = status in ("assigned", "pending")
            rows.append(
                {
                    "inbox_id": inbox.pk,
                    # Open ones each have their own contact (one open per contact and inbox).
                    "contact_id": first_contact
                    + (n if is_open else open_count + n % (contacts - open_count)),
                    "status": status,
                    "owner_id": agent.pk if owned else None,
                    "team_id": team.pk,
                    "created_at": created,
                    "last_message_at": created,
                    "waiting_since": created
                    if status == "queued" or (owned and n % 3 == 0)
                    else None,
                    "resolved_at": None if is_open else created + timedelta(minutes=30),
                    "last_owner_id": None if is_open else agent.pk,
                }
            )
        copy_rows(Conversation, rows)
        print(f"    {min(start + chunk, total):,}/{total:,} conversations", end="\r", flush=True)
    print(flush=True)
    ids = list(
        Conversation.objects.order_by("pk").values_list(
            "pk", "created_at", "status", "owner_id", "team_id"
        )
    )
    by_n = ids  # n-th conversation in creation order
    # Today's rows go in last, in time order, as they would have been written: the tables are
    # append-only, so what happened today sits together at their end.
    today_rows: tuple[list, list, list] = ([], [], [])
    for start in range(0, total, chunk):
        history: tuple[list, list, list] = ([], [], [])
        for n in range(start, min(start + chunk, total)):
            pk, created, status, owner_id, team_id = by_n[n]
            _, agent = team_agent(n)
            # Today's share: every open one, and about 1 % of the rest.
            at = (
                midnight + timedelta(seconds=rng.uniform(0, today_seconds))
                if n < open_count or n % 100 == 0
                else created + timedelta(minutes=3)
            )
            messages, records, events = today_rows if at >= midnight else history
            messages.append(
                {
                    "conversation_id": pk,
                    "direction": "outbound",
                    "author_id": agent.pk,
                    "text": "Hello",
                    "status": "delivered",
                    "status_rank": 3,
                    "timestamp": at,
                    "created_at": at,
                }
            )
            elapsed = rng.uniform(10, 900)
            records.append(
                {
                    "conversation_id": pk,
                    "cycle": 1,
                    "metric": "first_response",
                    "started_at": at - timedelta(seconds=elapsed),
                    "kind": rng.choice(["met", "met", "missed", "stopped"]),
                    "at": at,
                    "elapsed_seconds": elapsed,
                    "team_id": team_id,
                    "owner_id": agent.pk,
                    "recorded_at": at,
                }
            )
            events.append(
                {
                    "conversation_id": pk,
                    "kind": "auto_assigned",
                    "to_owner_id": agent.pk,
                    "created_at": at,
                }
            )
            if status == "resolved" and n % 100 == 0:
                events.append(
                    {
                        "conversation_id": pk,
                        "kind": "resolved",
                        "from_owner_id": agent.pk,
                        "actor_id": agent.pk,
                        "created_at": at + timedelta(minutes=1),
                    }
                )
        copy_rows(Message, history[0])
        copy_rows(SlaRecord, history[1])
        copy_rows(AuditEvent, history[2])
        print(
            f"    {min(start + chunk, total):,}/{total:,} messages, SLA records, audit events",
            end="\r",
            flush=True,
        )
    by_time = lambda key: lambda row: row[key]  # noqa: E731
    copy_rows(Message, sorted(today_rows[0], key=by_time("timestamp")))
    copy_rows(SlaRecord, sorted(today_rows[1], key=by_time("at")))
    copy_rows(AuditEvent, sorted(today_rows[2], key=by_time("created_at")))
    print(f"\n    {len(today_rows[0]):,} of them today", flush=True)
    open_rows = by_n[:open_count]
    states = ["running", "running", "warning", "breached", "met", "none"]
    copy_rows(
        ConversationSla,
        [
            {
                "conversation_id": pk,
                "first_response_state": states[i % len(states)],
                "resolution_state": "running",
                "predicted_to_breach": i % 17 == 0,
                "updated_at": now,
            }
            for i, (pk, _, status, _, _) in enumerate(open_rows)
        ],
    )
    owned = [(pk, owner_id) for pk, _, status, owner_id, _ in open_rows if owner_id is not None]
    handoffs = []
    for i, (pk, owner_id) in enumerate(owned[::100]):
        handoffs.append(
            {
                "conversation_id": pk,
                "from_user_id": owner_id,
                "to_user_id": users[(i + 1) % len(users)].pk,
                "requested_by_id": owner_id,
                "reason": "bench",
                "status": "pending",
                "created_at": now,
                "expires_at": now + timedelta(minutes=10),
            }
        )
    copy_rows(Handoff, handoffs)
    changes = []
    for user in users:
        state = "offline"
        for k in range(6):
            new = ("available", "away")[k % 2]
            changes.append(
                {
                    "user_id": user.pk,
                    "presence": new,
                    "previous": state,
                    "at": midnight + timedelta(seconds=today_seconds * (k + 1) / 8),
                }
            )
            state = new
    copy_rows(PresenceChange, changes)
    print(f"    seeded in {time.perf_counter() - started:.0f} s", flush=True)
    return admin, manager


if __name__ == "__main__":
    sys.exit(main())
