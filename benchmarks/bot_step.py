"""Bot flow benchmark: what a flow step costs the ingest path, and timeouts at scale.

Creates a scratch database (a temporary SQLite file, or ``<name>_bench_bots`` next to the
PostgreSQL database given with --database, dropped afterwards), then:

1. Opens --sessions conversations through the real intake (``do_ingest_webhook``), each
   greeted by the front-desk flow (the bot takes it and sends its menu), and as many
   again with the flow disabled: p50/p99 of a new conversation's ingest with and without
   the bot.
2. The customer taps a button on each (ingest → bot step → the next question queued):
   p50/p99 of the whole ingest, and of the bot's step alone (``run_step_for_message``
   timed inside the ingest's transaction, with the conversation row locked) — the budget
   is 5 ms.
3. Timeouts: with --sessions sessions waiting (not yet due), an idle timeout tick (the
   indexed look-up alone); then all of them due, the ticks that fire them (each bounded to
   1 s of work, so the worker's other tasks run in between) and the cost per firing.

    .venv/bin/python benchmarks/bot_step.py
    .venv/bin/python benchmarks/bot_step.py --database postgres://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PNID = "100000000000001"
BUDGET_MS = 5.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def scratch_database(url: str) -> tuple[str, object]:
    if not url.startswith("postgres"):
        folder = tempfile.mkdtemp(prefix="baton-bench-")
        path = Path(folder) / "bench-bots.sqlite3"
        return f"sqlite:///{path}", lambda: shutil.rmtree(folder, ignore_errors=True)
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'baton'}_bench_bots"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()
    url, drop = scratch_database(args.database)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")
    os.environ.pop("REDIS_URL", None)  # no listeners: events go to the in-memory layer
    import django

    django.setup()
    try:
        run(args, url)
    finally:
        from django.db import connections

        connections.close_all()
        drop()  # type: ignore[operator]


def webhook(wa_id: str, wamid: str, message: dict) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "900",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550001111",
                                "phone_number_id": PNID,
                            },
                            "contacts": [{"profile": {"name": "Zoë"}, "wa_id": wa_id}],
                            "messages": [{"from": wa_id, "id": wamid, **message}],
                        },
                    }
                ],
            }
        ],
    }


def run(args, url: str) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    print(f"==> {url.split('://')[0]}: migrating a scratch database", flush=True)
    call_command("migrate", verbosity=0)

    from baton.agents.models import Team
    from baton.bots import actions as bot_actions
    from baton.bots.actions import do_create_flow, do_fire_bot_timeouts, do_set_flow_enabled
    from baton.bots.models import BotSession, SessionState
    from baton.whatsapp.actions import do_ingest_webhook
    from baton.whatsapp.models import Inbox
    from baton.whatsapp.parsing import parse_webhook

    Inbox.objects.create(name="Bench", phone_number_id=PNID, access_token="x")
    for name in ("Support", "Sales"):
        Team.objects.get_or_create(name=name)
    flow = do_create_flow(front_desk(), None)

    def ingest(wa_id: str, wamid: str, message: dict) -> float:
        body = webhook(wa_id, wamid, {"timestamp": str(int(time.time())), **message})
        started = time.perf_counter()
        do_ingest_webhook(parse_webhook(json.loads(json.dumps(body))))
        return (time.perf_counter() - started) * 1000

    n = args.sessions
    hello = {"type": "text", "text": {"body": "Hi"}}
    with_bot = [ingest(f"3471{i:08d}", f"wamid.b{i}", hello) for i in range(n)]
    do_set_flow_enabled(flow.pk, False, None)
    without = [ingest(f"3472{i:08d}", f"wamid.n{i}", hello) for i in range(n)]
    do_set_flow_enabled(flow.pk, True, None)
    print(f"new conversation, greeted by the bot: {summary(with_bot)}")
    print(f"new conversation, no flow:            {summary(without)}")

    # The bot's step alone, measured where it runs: inside the ingest's transaction.
    step_times: list[float] = []
    step_cpu: list[float] = []
    inner = bot_actions.run_step_for_message

    def timed(*a, **kw):
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return inner(*a, **kw)
        finally:
            step_times.append((time.perf_counter() - started) * 1000)
            step_cpu.append((time.thread_time() - cpu) * 1000)

    bot_actions.run_step_for_message = timed
    from baton.bots import reactions

    reactions.run_step_for_message = timed  # the name the subscriber calls
    tap = {
        "type": "interactive",
        "interactive": {
            "type": "button_reply",
            "button_reply": {"id": "track", "title": "Track my order"},
        },
    }
    taps = [ingest(f"3471{i:08d}", f"wamid.t{i}", tap) for i in range(n)]
    reactions.run_step_for_message = inner
    bot_actions.run_step_for_message = inner
    print(f"customer taps a button (ingest):      {summary(taps)}")
    verdict = "within" if percentile(step_times, 0.99) < BUDGET_MS else "over"
    print(
        f"  of which the bot step:              {summary(step_times)}  "
        f"({verdict} the {BUDGET_MS:.0f} ms budget at p99)"
    )
    # On a shared machine the wall clock includes time other processes had the CPU.
    print(f"  the bot step's own CPU time:        {summary(step_cpu)}")

    # The policy alone (the pure engine), for scale.
    from baton.bots.definition import parse_flow
    from baton.bots.engine import CustomerInput, Start, advance
    from baton.bots.engine import SessionState as State

    definition = parse_flow(front_desk())
    state, _ = advance(definition, State(), Start())
    engine_times = []
    for _ in range(2000):
        started = time.perf_counter()
        advance(definition, state, CustomerInput("Track my order", "track", "Track my order"))
        engine_times.append((time.perf_counter() - started) * 1000)
    print(f"  the engine alone (pure step):       {summary(engine_times)}")

    # Timeouts: every session now waits at "order_no"; give each a wait.
    waiting = BotSession.objects.filter(state=SessionState.ACTIVE)
    waiting.update(waiting_until=timezone.now() + timedelta(minutes=10))
    idle = []
    for _ in range(50):
        started = time.perf_counter()
        assert do_fire_bot_timeouts() == 0
        idle.append((time.perf_counter() - started) * 1000)
    print(f"idle timeout tick, {waiting.count():,} sessions waiting: {summary(idle)}")
    # The order_no step has no on_timeout: use the menu's (branch → handoff) for all.
    waiting.update(step="menu", waiting_until=timezone.now() - timedelta(seconds=1))
    ticks = []
    fired_total = 0
    started_all = time.perf_counter()
    while True:
        started = time.perf_counter()
        fired = do_fire_bot_timeouts(max_seconds=1.0)
        ticks.append(((time.perf_counter() - started) * 1000, fired))
        fired_total += fired
        if not fired:
            break
    total = (time.perf_counter() - started_all) * 1000
    busy = [ms for ms, fired in ticks if fired]
    print(
        f"{fired_total:,} timeouts due at once: fired in {len(busy)} ticks of at most "
        f"{max(busy):.0f} ms (bounded at 1 s), {total / max(1, fired_total):.2f} ms per firing"
    )


def summary(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values):6.2f} ms  p99 {percentile(values, 0.99):6.2f} ms  "
        f"(n={len(values)})"
    )


def front_desk() -> dict:
    return {
        "name": "Front desk",
        "start_on": "new_conversation",
        "start": "menu",
        "steps": [
            {
                "id": "menu",
                "type": "message",
                "text": "Hi! What can we do for you?",
                "buttons": [
                    {"id": "track", "title": "Track my order", "next": "order_no"},
                    {"id": "talk", "title": "Talk to us", "next": "to_sales"},
                ],
                "timeout_seconds": 600,
                "on_timeout": "after_silence",
            },
            {
                "id": "order_no",
                "type": "ask",
                "text": "Your order number?",
                "save_as": "order_number",
                "validate": "^[0-9]{4,10}$",
                "next": "to_support",
            },
            {
                "id": "to_support",
                "type": "handoff",
                "team": "Support",
                "note": "Order {{order_number}}",
            },
            {"id": "to_sales", "type": "handoff", "team": "Sales"},
            {
                "id": "after_silence",
                "type": "branch",
                "branches": [
                    {
                        "when": {"field": "time.within_business_hours", "op": "is_true"},
                        "next": "to_sales",
                    }
                ],
                "default": "bye",
            },
            {"id": "bye", "type": "close", "text": "Write again any time!"},
        ],
    }


if __name__ == "__main__":
    main()
