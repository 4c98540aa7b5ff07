"""SLA policy preview benchmark: "applies to N of the open conversations now" over the
latest 5,000 (the cap) of more open conversations, with a few policies before it.

Creates a fresh SQLite database in a temporary directory (or empties the PostgreSQL
database given with --database), seeds --conversations open conversations (bulk rows: a
contact each, a quarter urgent, a third with a label) and --before enabled policies, then
times the preview the form asks for as the manager types.

    .venv/bin/python benchmarks/sla_preview.py
    .venv/bin/python benchmarks/sla_preview.py --database postgres://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=8000)
    parser.add_argument("--before", type=int, default=3, help="enabled policies before it")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", default="", help="PostgreSQL URL (emptied!)")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="baton-bench-preview-")
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

    from baton.agents.models import Team
    from baton.conversations.models import Contact, Conversation, ConversationStatus
    from baton.sla.models import SlaPolicy
    from baton.sla.policy_queries import PREVIEW_LIMIT, get_policy_preview
    from baton.whatsapp.models import Inbox

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"==> Database: {engine} ({args.database or data_dir})", flush=True)
    if args.database:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)

    team = Team.objects.get_or_create(is_default=True, defaults={"name": "Support"})[0]
    inbox = Inbox.objects.create(
        phone_number_id="1", display_phone_number="1", name="Main", access_token="x"
    )
    n = args.conversations
    contacts = Contact.objects.bulk_create(
        Contact(wa_id=f"34{i:010d}", attributes={"tier": "gold" if i % 5 == 0 else "std"})
        for i in range(n)
    )
    Conversation.objects.bulk_create(
        Conversation(
            inbox=inbox,
            contact=contact,
            team=team,
            status=ConversationStatus.QUEUED,
            priority=3 if i % 4 == 0 else 1,
            labels=["vip"] if i % 3 == 0 else [],
        )
        for i, contact in enumerate(contacts)
    )
    earlier = [
        {"field": "conversation.priority", "op": "equals", "value": "urgent"},
        {"field": "conversation.labels", "op": "contains", "value": "vip"},
        {"field": "contact.attributes.tier", "op": "equals", "value": "gold"},
    ]
    SlaPolicy.objects.bulk_create(
        SlaPolicy(name=f"P{i}", position=i, conditions=earlier[i % 3], first_response_seconds=60)
        for i in range(args.before)
    )
    print(f"==> {n} open conversations, {args.before} policies before the edited one")

    candidate = SlaPolicy(position=args.before, conditions={"all": []})
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        result = get_policy_preview(candidate)
        timings.append(time.perf_counter() - started)
    print(
        f"preview: applies to {result.applies} of {result.looked_at} "
        f"(capped at {PREVIEW_LIMIT}: {result.capped})"
    )
    print(
        f"preview time: median {statistics.median(timings) * 1000:.0f} ms, "
        f"max {max(timings) * 1000:.0f} ms over {args.runs} runs"
    )


if __name__ == "__main__":
    main()
