"""Webhook ingest benchmark: many concurrent signed POSTs against a running Baton.

Starts `baton serve` (and the bare reference endpoint) as real processes on loopback, sends
realistic Meta-style webhooks (compact JSON, \\uXXXX escapes, signed bytes; several hundred
customers, some POSTs batching 2-3 messages), and prints messages/s, p50/p99 time to the 200,
and whether stored == sent. Run against SQLite (default) and PostgreSQL:

    .venv/bin/python benchmarks/ingest.py
    .venv/bin/python benchmarks/ingest.py --database postgres://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
APP_SECRET = "bench-secret"
PHONE_NUMBER_ID = "100000000000001"
NAMES = ["José Gómez", "Zoë Adams", "Łukasz Nowak", "Ana María", "Chen Wei", "Oluwaseun", "Søren"]
TEXTS = [
    "Hola, ¿tienen envío hoy?",
    "Where is my order? 📦",
    "Merci beaucoup!",
    "Can I change the size?",
    "👍",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def meta_bytes(payload) -> bytes:
    return (
        json.dumps(payload, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode()
    )


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def build_posts(total_messages: int, customers: int, seed: int) -> list[tuple[bytes, int]]:
    rng = random.Random(seed)
    posts: list[tuple[bytes, int]] = []
    n = 0
    now = int(time.time())
    while n < total_messages:
        batch = min(rng.choice([1, 1, 1, 1, 2, 3]), total_messages - n)
        customer = rng.randrange(customers)
        wa_id = f"3460{customer:07d}"
        messages = []
        for _ in range(batch):
            messages.append(
                {
                    "from": wa_id,
                    "id": f"wamid.BENCH{seed}x{n:08d}",
                    "timestamp": str(now + n // 100),
                    "type": "text",
                    "text": {"body": rng.choice(TEXTS)},
                }
            )
            n += 1
        payload = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "900000000000001",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "15550100",
                                    "phone_number_id": PHONE_NUMBER_ID,
                                },
                                "contacts": [
                                    {
                                        "profile": {
                                            "name": f"{NAMES[customer % len(NAMES)]} {customer}"
                                        },
                                        "wa_id": wa_id,
                                        "user_id": f"ES.{customer:012d}",
                                    }
                                ],
                                "messages": messages,
                            },
                        }
                    ],
                }
            ],
        }
        posts.append((meta_bytes(payload), batch))
    return posts


async def fire(
    url: str, posts: list[tuple[bytes, int]], concurrency: int
) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue = asyncio.Queue()
    for post in posts:
        queue.put_nowait(post)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            while not queue.empty():
                body, _ = queue.get_nowait()
                started = time.perf_counter()
                response = await client.post(
                    url,
                    content=body,
                    headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)},
                )
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, errors


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def report(label: str, messages: int, elapsed: float, latencies: list[float], errors: int) -> float:
    lat = sorted(latencies)
    p50 = statistics.median(lat) * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    rate = messages / elapsed
    print(
        f"  {label:<10} {rate:8.0f} messages/s   {len(lat) / elapsed:7.0f} POSTs/s   "
        f"p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   non-200: {errors}"
    )
    return rate


def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="baton-bench-"))
    database = args.database or f"sqlite:///{workdir / 'baton.sqlite3'}"
    is_pg = database.startswith("postgres")
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "BATON_DATA_DIR": str(workdir),
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": "bench-token",
        "WHATSAPP_API_BASE_URL": "http://127.0.0.1:9/v23.0",
    }
    if is_pg:
        import psycopg

        base, _, dbname = database.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            conn.execute(f'CREATE DATABASE "{dbname}"')
    print(f"==> Database: {'PostgreSQL' if is_pg else 'SQLite (WAL)'}; migrating…", flush=True)
    subprocess.run([BIN / "baton", "migrate", "--verbosity", "0"], env=env, check=True, cwd=workdir)
    if not args.no_sla_policy:
        # Every hook on: an SLA policy with all three clocks applies to every conversation.
        policy = (
            "from baton.sla.actions import do_create_policy; do_create_policy(None, {"
            "'name': 'Bench', 'first_response_seconds': 600, 'next_response_seconds': 900,"
            "'resolution_seconds': 86400, 'warn_before_seconds': 120})"
        )
        subprocess.run([BIN / "baton", "shell", "-c", policy], env=env, check=True, cwd=workdir)

    posts = build_posts(args.messages, args.customers, args.seed)
    total_messages = sum(n for _, n in posts)
    print(
        f"==> {total_messages} messages in {len(posts)} signed POSTs "
        f"from {args.customers} customers, "
        f"{args.concurrency} concurrent connections",
        flush=True,
    )

    port = free_port()
    server = subprocess.Popen(
        [
            BIN / "baton",
            "serve",
            "--port",
            str(port),
            "--no-worker",
            "--workers",
            str(args.workers),
        ],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
        warm = build_posts(50, 10, args.seed + 1)
        asyncio.run(fire(f"http://127.0.0.1:{port}/webhooks/whatsapp", warm, 4))
        elapsed, latencies, errors = asyncio.run(
            fire(f"http://127.0.0.1:{port}/webhooks/whatsapp", posts, args.concurrency)
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
    baton_rate = report("Baton", total_messages, elapsed, latencies, errors)

    # stored == sent: count the benchmark's messages in the database.
    if is_pg:
        import psycopg

        with psycopg.connect(database) as conn:
            stored = conn.execute(
                "SELECT count(*) FROM conversations_message WHERE wamid LIKE %s",
                (f"wamid.BENCH{args.seed}x%",),
            ).fetchone()[0]
            conversations = conn.execute(
                "SELECT count(*) FROM conversations_conversation"
            ).fetchone()[0]
    else:
        with sqlite3.connect(workdir / "baton.sqlite3") as conn:
            stored = conn.execute(
                "SELECT count(*) FROM conversations_message WHERE wamid LIKE ?",
                (f"wamid.BENCH{args.seed}x%",),
            ).fetchone()[0]
            conversations = conn.execute(
                "SELECT count(*) FROM conversations_conversation"
            ).fetchone()[0]
    ok = stored == total_messages
    print(
        f"  stored {stored} of {total_messages} sent -> {'OK' if ok else 'MISMATCH'}; "
        f"{conversations} conversations (expected ≤ {args.customers + 10})"
    )

    # The bare reference endpoint on the same database engine.
    ref_db = database if is_pg else f"sqlite:///{workdir / 'reference.sqlite3'}"
    port = free_port()
    ref = subprocess.Popen(
        [
            BIN / "uvicorn",
            "reference_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--workers",
            str(args.workers),
        ],
        env={**env, "REFERENCE_DATABASE_URL": ref_db},
        cwd=Path(__file__).parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", ref)
        elapsed, latencies, errors = asyncio.run(
            fire(f"http://127.0.0.1:{port}/", posts, args.concurrency)
        )
    finally:
        ref.terminate()
        ref.wait(timeout=20)
    ref_rate = report("reference", total_messages, elapsed, latencies, errors)
    print(f"  Baton / reference throughput: {baton_rate / ref_rate:.2f}")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", help="DATABASE_URL (default: a fresh SQLite file)")
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--workers", type=int, default=1, help="baton serve --workers (needs REDIS_URL)"
    )
    parser.add_argument(
        "--no-sla-policy", action="store_true", help="no SLA policy (clocks without targets)"
    )
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
