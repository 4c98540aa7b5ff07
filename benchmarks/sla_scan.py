"""SLA scan benchmark: one tick of the warning/breach scan over N open conversations.

Creates a fresh database (SQLite in a temporary directory, or the PostgreSQL database given
with --database, which it empties first), seeds N open conversations each with a customer
message and its SLA clocks under one policy, of which --due have passed their warning or
due instant, then times scan ticks: an idle tick (nothing due: the indexed look-up alone)
and a busy tick that re-evaluates every due conversation, records the warnings and breaches
and queues the policy's actions.

    .venv/bin/python benchmarks/sla_scan.py
    .venv/bin/python benchmarks/sla_scan.py --conversations 100000 --due 200 \
        --database postgres://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=200, help="conversations due in the tick")
    parser.add_argument("--ticks", type=int, default=20, help="idle ticks to time")
    parser.add_argument("--database", default="", help="PostgreSQL URL (emptied!)")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="baton-bench-sla-")
    os.environ["BATON_DATA_DIR"] = data_dir
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from baton.sla.actions import do_scan_sla
    from baton.sla.models import SlaRecord

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"==> Database: {engine} ({args.database or data_dir})", flush=True)
    if args.database:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    seed(args.conversations, args.due)

    print(f"==> {args.ticks} idle ticks (nothing due)", flush=True)
    idle = []
    for _ in range(args.ticks):
        started = time.perf_counter()
        assert do_scan_sla(now=timezone.now() - timedelta(hours=1)) == 0
        idle.append((time.perf_counter() - started) * 1000)
    print(
        f"idle tick over {args.conversations:,} open: p50 {statistics.median(idle):.2f} ms, "
        f"max {max(idle):.2f} ms",
        flush=True,
    )
    print(f"==> one busy tick ({args.due} conversations due)", flush=True)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        looked_at = do_scan_sla(batch=args.due)
        busy = (time.perf_counter() - started) * 1000
    records = SlaRecord.objects.filter(kind__in=["warning", "breach"]).count()
    print(
        f"busy tick: {looked_at} conversations re-evaluated, {records} warnings/breaches "
        f"recorded in {busy:.0f} ms ({busy / max(1, looked_at):.2f} ms and "
        f"{len(queries) / max(1, looked_at):.1f} queries each)",
        flush=True,
    )
    started = time.perf_counter()
    assert do_scan_sla(batch=args.due) == 0  # recorded once: nothing left due
    print(f"the tick after: {(time.perf_counter() - started) * 1000:.2f} ms", flush=True)


def seed(n: int, due: int):
    from django.db import transaction
    from django.utils import timezone

    from baton.agents.models import Team
    from baton.conversations.models import Contact, Conversation, Direction, Message
    from baton.sla.models import ConversationSla, SlaPolicy
    from baton.whatsapp.models import Inbox

    print(f"==> Seeding {n:,} open conversations, {due} of them due", flush=True)
    team, _ = Team.objects.get_or_create(name="Support", defaults={"is_default": True})
    inbox = Inbox.objects.create(name="Bench", phone_number_id="100000000000001", access_token="x")
    policy = SlaPolicy.objects.create(
        name="Standard",
        first_response_seconds=600,
        resolution_seconds=86400,
        warn_before_seconds=300,
        on_breach=[{"action": "notify_managers"}],
    )
    now = timezone.now()
    batch = 2000
    started = time.perf_counter()
    for start in range(0, n, batch):
        size = min(batch, n - start)
        with transaction.atomic():
            contacts = Contact.objects.bulk_create(
                [Contact(wa_id=f"3470{start + i:08d}") for i in range(size)]
            )
            conversations = Conversation.objects.bulk_create(
                [
                    Conversation(
                        inbox=inbox,
                        contact=contact,
                        team=team,
                        status="queued",
                        waiting_since=now,
                        last_message_at=now,
                    )
                    for contact in contacts
                ]
            )
            Message.objects.bulk_create(
                [
                    Message(
                        conversation=c, direction=Direction.INBOUND, text="Hello?", timestamp=now
                    )
                    for c in conversations
                ]
            )
            rows = []
            for i, c in enumerate(conversations):
                # The due ones started 11 minutes ago; the rest spread over the next hours.
                started_at = now - timedelta(minutes=11) if start + i < due else now
                offset = timedelta(seconds=(start + i) % 7200)
                rows.append(
                    ConversationSla(
                        conversation=c,
                        policy=policy,
                        first_response_state="running",
                        first_response_started_at=started_at,
                        first_response_warn_at=started_at + timedelta(seconds=300),
                        first_response_due_at=started_at + timedelta(seconds=600),
                        resolution_state="running",
                        resolution_started_at=started_at,
                        resolution_due_at=started_at + timedelta(days=1),
                        nearest_due_at=started_at + timedelta(seconds=600),
                        next_check_at=(
                            started_at + timedelta(seconds=300)
                            if start + i < due
                            else now + timedelta(seconds=300) + offset
                        ),
                    )
                )
            ConversationSla.objects.bulk_create(rows)
        print(f"    {start + size:,}/{n:,}", end="\r", flush=True)
    due_ids = list(
        ConversationSla.objects.filter(next_check_at__lte=now).values_list("pk", flat=True)
    )
    Message.objects.filter(conversation_id__in=due_ids).update(
        created_at=now - timedelta(minutes=11)
    )
    print(f"    {n:,} conversations in {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
