"""Inbox list benchmark: the server time of an agent's conversation list with 10,000 open chats.

Creates a fresh database (SQLite in a temporary directory, or the PostgreSQL database given
with --database, which it empties first), seeds one team with an agent who can see N open
conversations (a third of them theirs, the rest unassigned, a handful with stale alerts),
then requests the list the way the page does (the htmx fragment with the counters, the
first page and a deep page, and the full page) and prints p50/p99 of the time Django
spends producing each response (in process: no network, no browser).

    .venv/bin/python benchmarks/inbox_list.py
    .venv/bin/python benchmarks/inbox_list.py --conversations 10000 --requests 200
    .venv/bin/python benchmarks/inbox_list.py --database postgres://postgres@127.0.0.1:5432/bench
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
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database", default="", help="PostgreSQL URL (emptied!)")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="baton-bench-inbox-")
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

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"==> Database: {engine} ({args.database or data_dir})", flush=True)
    if args.database:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    agent = seed(args.conversations)

    from django.test import Client

    client = Client()
    client.force_login(agent)
    last_page = max(1, args.conversations // 50)  # the team view lists every visible chat
    cases = [
        ("list fragment + counters, page 1", "/?view=team", {"HX-Target": "conversation-list"}),
        ("unassigned queue, page 1", "/?view=unassigned", {"HX-Target": "conversation-list"}),
        (f"team view, page {last_page}", f"/?view=team&page={last_page}", {}),
        ("full inbox page", "/?view=mine", None),
    ]
    print(f"==> {args.requests} requests per case (after 10 warm-up requests)", flush=True)
    for label, url, hx in cases:
        headers = {"HX-Request": "true", **hx} if hx is not None else {}
        for _ in range(10):
            assert client.get(url, headers=headers).status_code == 200
        timings = []
        for i in range(args.requests):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            if (i + 1) % 50 == 0:
                print(f"    {label}: {i + 1}/{args.requests}", end="\r", flush=True)
        timings.sort()
        p50 = statistics.median(timings)
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        print(f"{label:<36} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms" + " " * 10, flush=True)


def seed(n: int):
    from django.db import transaction
    from django.utils import timezone

    from baton.agents.actions import do_create_user
    from baton.agents.models import Team
    from baton.conversations.models import Alert, AlertKind, Contact, Conversation
    from baton.whatsapp.models import Inbox

    print(f"==> Seeding {n:,} open conversations visible to one agent", flush=True)
    team = Team.objects.get(is_default=True)
    agent = do_create_user("bench-agent", "agent", password="pw")
    do_create_user("bench-colleague", "agent", password="pw")
    inbox = Inbox.objects.create(name="Bench", phone_number_id="100000000000001", access_token="x")
    now = timezone.now()
    batch = 1000
    started = time.perf_counter()
    for start in range(0, n, batch):
        size = min(batch, n - start)
        with transaction.atomic():
            contacts = Contact.objects.bulk_create(
                [
                    Contact(wa_id=f"3460{start + i:08d}", profile_name=f"Customer {start + i}")
                    for i in range(size)
                ]
            )
            Conversation.objects.bulk_create(
                [
                    Conversation(
                        inbox=inbox,
                        contact=contact,
                        team=team,
                        owner=agent if (start + i) % 3 == 0 else None,
                        status="assigned" if (start + i) % 3 == 0 else "queued",
                        last_message_at=now - timedelta(seconds=start + i),
                        waiting_since=now - timedelta(seconds=start + i),
                        window_ends_at=now + timedelta(hours=23) - timedelta(seconds=start + i),
                        last_message_preview=f"Message number {start + i}",
                    )
                    for i, contact in enumerate(contacts)
                ]
            )
        done = start + size
        print(f"    {done:,}/{n:,} conversations", end="\r", flush=True)
    with transaction.atomic():
        for conversation in Conversation.objects.filter(owner__isnull=True)[:25]:
            Alert.objects.create(
                conversation=conversation,
                kind=AlertKind.UNASSIGNED_WAITING,
                waiting_since=conversation.waiting_since,
            )
    print(f"    {n:,} conversations in {time.perf_counter() - started:.1f} s", flush=True)
    return agent


if __name__ == "__main__":
    sys.exit(main())
