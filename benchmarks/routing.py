"""Routing rules benchmark: the pure decision, and its cost inside the ingest transaction.

1. ``decide`` over N rules (keywords, regexes, reply ids, attributes) for varied messages:
   microseconds per decision when the last rule is the one that matches (worst case).
2. ``do_receive_message`` of brand-new conversations with 0 and with N rules on a fresh
   migrated database (SQLite in a temporary directory by default, or --database URL):
   milliseconds per new conversation, so the routing share of the ingest is visible.

    .venv/bin/python benchmarks/routing.py
    .venv/bin/python benchmarks/routing.py --rules 200 --database postgres://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

TEXTS = [
    "Hola, ¿tienen envío hoy?",
    "Where is my order? 📦 It was A-10023",
    "I want a refund for the broken chair",
    "Can I change the size of my booking please",
    "👍",
    "x" * 4000,
]


def make_rules(n: int) -> list[dict]:
    rules = []
    for i in range(n - 1):
        kind = i % 4
        if kind == 0:
            cond = {"field": "message.text", "op": "contains_any", "value": [f"kw{i}", f"word {i}"]}
        elif kind == 1:
            cond = {"field": "message.text", "op": "matches", "value": rf"order\s+Z-{i}\d+"}
        elif kind == 2:
            cond = {"field": "message.reply_id", "op": "equals", "value": f"btn_{i}"}
        else:
            cond = {
                "all": [
                    {"field": "contact.attributes.tier", "op": "equals", "value": f"t{i}"},
                    {"field": "contact.labels", "op": "contains", "value": "vip"},
                ]
            }
        rules.append({"name": f"rule {i}", "conditions": cond, "actions": {"priority": 2}})
    rules.append({"name": "catch-all", "conditions": {"all": []}, "actions": {"priority": 1}})
    return rules


def bench_pure(n: int, rounds: int) -> None:
    from baton.routing.conditions import Rule, decide, validate_conditions

    rules = [
        Rule(id=i, name=r["name"], conditions=r["conditions"], actions=r["actions"])
        for i, r in enumerate(make_rules(n))
    ]
    assert all(validate_conditions(r.conditions) == [] for r in rules)
    facts_list = [
        {
            "message.text": text,
            "message.type": "text",
            "message.reply_id": "",
            "contact.labels": ["vip"],
            "contact.attributes": {"tier": "gold"},
        }
        for text in TEXTS
    ]
    decide(rules, facts_list[0])  # compile and cache patterns once, like a warm process
    timings = []
    for i in range(rounds):
        start = time.perf_counter()
        decision = decide(rules, facts_list[i % len(facts_list)])
        timings.append(time.perf_counter() - start)
        assert decision is not None
        assert decision.rule_name == "catch-all"
    print(
        f"decide over {n} rules (last one matches): "
        f"median {statistics.median(timings) * 1e6:.0f} µs, "
        f"p99 {sorted(timings)[int(len(timings) * 0.99)] * 1e6:.0f} µs "
        f"({rounds} decisions)"
    )


def bench_ingest(n: int, conversations: int, database: str | None) -> None:
    data_dir = tempfile.mkdtemp(prefix="baton-bench-routing-")
    os.environ["BATON_DATA_DIR"] = data_dir
    if database:
        os.environ["DATABASE_URL"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from baton.agents.models import Team
    from baton.routing.models import RoutingRule
    from baton.whatsapp.actions import do_receive_message
    from baton.whatsapp.models import Inbox
    from baton.whatsapp.parsing import ContactProfile, InboundMessage

    RoutingRule.objects.all().delete()
    Team.objects.get_or_create(name="Bench")
    inbox, _ = Inbox.objects.get_or_create(
        phone_number_id=f"bench{random.randrange(10**9)}", defaults={"name": "Bench"}
    )

    def run(label: str, offset: int) -> float:
        timings = []
        for i in range(conversations):
            wa_id = f"{offset + i:012d}"
            inbound = InboundMessage(
                wamid=f"wamid.bench.{offset + i}.{random.randrange(10**9)}",
                type="text",
                original_type="text",
                from_wa_id=wa_id,
                from_user_id=None,
                timestamp=datetime.now(UTC),
                text=TEXTS[i % len(TEXTS)],
                content={},
                context={},
                reply_to_wamid=None,
                media=None,
                contact=ContactProfile(
                    wa_id=wa_id, user_id=None, parent_user_id="", profile_name="Bench", username=""
                ),
                raw={},
            )
            start = time.perf_counter()
            do_receive_message(inbox, inbound)
            timings.append(time.perf_counter() - start)
        median = statistics.median(timings) * 1000
        print(f"new conversation, {label}: median {median:.2f} ms ({conversations} conversations)")
        return median

    base = run("no rules", 10**9)
    for i, r in enumerate(make_rules(n)):
        RoutingRule.objects.create(
            inbox=inbox,
            position=i,
            name=r["name"],
            conditions=r["conditions"],
            actions=r["actions"],
        )
    with_rules = run(f"{n} rules", 2 * 10**9)
    print(f"routing share of a new conversation: {with_rules - base:+.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5000)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    bench_pure(args.rules, args.rounds)
    bench_ingest(args.rules, args.conversations, args.database)


if __name__ == "__main__":
    main()
