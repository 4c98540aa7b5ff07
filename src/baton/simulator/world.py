"""The simulator's in-memory world and its rules, as plain classes with an injected clock."""

from __future__ import annotations

import hashlib
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

WINDOW_SECONDS = 24 * 3600
MEDIA_URL_TTL_SECONDS = 300


class PairLimiter:
    """One business number → one customer: a token bucket (burst, refill one per N s)."""

    def __init__(self, burst: int, refill_seconds: float) -> None:
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def allow(self, number: str, customer: str, now: float) -> bool:
        tokens, last = self.buckets.get((number, customer), (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) / self.refill_seconds)
        if tokens < 1:
            self.buckets[(number, customer)] = (tokens, now)
            return False
        self.buckets[(number, customer)] = (tokens - 1, now)
        return True


class ThroughputLimiter:
    """Messages per second per number, over a sliding one-second window."""

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self.recent: dict[str, deque[float]] = {}

    def allow(self, number: str, now: float) -> bool:
        window = self.recent.setdefault(number, deque())
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= self.per_second:
            return False
        window.append(now)
        return True


def window_is_open(last_customer_message_at: float | None, now: float) -> bool:
    """Free-form messages are allowed for 24 h after the customer's last message."""
    return last_customer_message_at is not None and now - last_customer_message_at < WINDOW_SECONDS


@dataclass
class SentMessage:
    """Something the business sent through the fake Graph API."""

    wamid: str
    phone_number_id: str
    to: str
    body: dict[str, Any]
    accepted_at: float
    statuses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "wamid": self.wamid,
            "phone_number_id": self.phone_number_id,
            "to": self.to,
            "type": self.body.get("type", "text"),
            "body": self.body,
            "accepted_at": self.accepted_at,
            "statuses": list(self.statuses),
        }


@dataclass
class Fault:
    """An injected failure for the next send(s).

    kind: ``error`` (synchronous Graph error), ``async_failed`` (accept, then a failed
    status with ``code``), ``hang`` (accept, then answer too late: a lost response).
    """

    kind: str
    code: int = 0
    http_status: int = 400
    count: int = 1
    title: str = ""
    details: str = ""
    delay_seconds: float = 3.0
    raw_body: str | None = None


@dataclass
class StoredMedia:
    media_id: str
    content: bytes
    mime_type: str

    @property
    def sha256_hex(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


class World:
    """Everything the fake Meta remembers."""

    def __init__(self, pair: PairLimiter, throughput: ThroughputLimiter) -> None:
        self.pair = pair
        self.throughput = throughput
        self.last_customer_message: dict[tuple[str, str], float] = {}
        self.outbox: list[SentMessage] = []
        self.media: dict[str, StoredMedia] = {}
        self.download_tokens: dict[str, tuple[str, float]] = {}
        self.faults: deque[Fault] = deque()
        self.counters: dict[str, int] = {}

    def count(self, key: str, n: int = 1) -> None:
        self.counters[key] = self.counters.get(key, 0) + n

    def next_fault(self) -> Fault | None:
        if not self.faults:
            return None
        fault = self.faults[0]
        fault.count -= 1
        if fault.count <= 0:
            self.faults.popleft()
        return fault

    def store_media(self, content: bytes, mime_type: str) -> StoredMedia:
        media = StoredMedia(str(secrets.randbelow(10**15) + 10**15), content, mime_type)
        self.media[media.media_id] = media
        return media

    def media_url_token(self, media_id: str, now: float) -> str:
        token = secrets.token_urlsafe(16)
        self.download_tokens[token] = (media_id, now + MEDIA_URL_TTL_SECONDS)
        return token

    def resolve_media_token(self, token: str, now: float) -> StoredMedia | None:
        media_id, expires = self.download_tokens.get(token, ("", 0.0))
        if not media_id or now > expires:
            return None
        return self.media.get(media_id)
