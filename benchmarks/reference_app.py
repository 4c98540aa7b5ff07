"""The bare reference endpoint for the ingest benchmark.

An ASGI app that does the least a correct webhook receiver must do: read the body, check the
signature in constant time, insert the raw body as one row, answer 200. Baton's figures are
reported as a ratio to this.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import threading

APP_SECRET = os.environ["WHATSAPP_APP_SECRET"].encode()
DATABASE_URL = os.environ["REFERENCE_DATABASE_URL"]

_local = threading.local()


def _connection():
    conn = getattr(_local, "conn", None)
    if conn is None:
        if DATABASE_URL.startswith("postgres"):
            import psycopg

            conn = psycopg.connect(DATABASE_URL, autocommit=True)
            conn.execute(
                "CREATE TABLE IF NOT EXISTS reference_webhook "
                "(id bigserial PRIMARY KEY, body bytea)"
            )
        else:
            conn = sqlite3.connect(DATABASE_URL.removeprefix("sqlite:///"), isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS reference_webhook (id INTEGER PRIMARY KEY, body BLOB)"
            )
        _local.conn = conn
    return conn


def _insert(body: bytes) -> None:
    conn = _connection()
    if DATABASE_URL.startswith("postgres"):
        conn.execute("INSERT INTO reference_webhook (body) VALUES (%s)", (body,))
    else:
        conn.execute("INSERT INTO reference_webhook (body) VALUES (?)", (body,))


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    chunks = []
    while True:
        event = await receive()
        chunks.append(event.get("body", b""))
        if not event.get("more_body"):
            break
    body = b"".join(chunks)
    headers = dict(scope["headers"])
    signature = headers.get(b"x-hub-signature-256", b"").decode()
    expected = "sha256=" + hmac.new(APP_SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        status, reply = 403, b"bad signature"
    else:
        _insert(body)
        status, reply = 200, b"ok"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": reply})
