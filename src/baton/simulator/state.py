"""The simulator's in-memory world: what Meta remembers, and its rules as pure functions.

Every decision (pair limit, throughput, the 24-hour window, which statuses follow a send)
is a function of plain values and an explicit ``now``, so it is tested without a clock.
Everything here is touched from the simulator's single event loop only.
"""

from __future__ import annotations

import hashlib
import random
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WINDOW_SECONDS = 24 * 3600
MEDIA_URL_TTL_SECONDS = 300
THROUGHPUT_WINDOW_SECONDS = 1.0

# A business-scoped user id: country code, dot, then digits/letters (``US.1349…``,
# ``US.ENT.5068…``). Phone numbers never start with letters, so this tells them apart.
_BSUID = re.compile(r"^[A-Z]{2}\.[A-Za-z0-9.]+$")


def is_bsuid(value: str) -> bool:
    return bool(_BSUID.match(value or ""))


def customer_key(to: str) -> str:
    """How the world files a recipient: a BSUID as is, a phone number as bare digits.

    Meta accepts ``+34 600-111-222`` and ``34600111222`` alike and answers with the digits
    as ``wa_id``.
    """
    to = (to or "").strip()
    return to if is_bsuid(to) else re.sub(r"\D", "", to)


# ---------------------------------------------------------------------------- pure rules


@dataclass(frozen=True)
class Bucket:
    """A token bucket's level at the moment it was last touched."""

    tokens: float
    updated_at: float


def take_pair_token(
    bucket: Bucket | None, now: float, burst: int, interval_seconds: float
) -> tuple[bool, Bucket]:
    """Admit one message from a business number to one customer, or refuse it (131056).

    Meta allows one message per ``interval_seconds`` sustained and lets a burst of up to
    ``burst`` borrow future quota; a bucket that holds ``burst`` tokens and regains one every
    interval is exactly that. Returns the decision and the bucket to store.
    """
    if bucket is None:
        tokens = float(burst)
    else:
        elapsed = max(0.0, now - bucket.updated_at)
        tokens = min(float(burst), bucket.tokens + elapsed / interval_seconds)
    if tokens >= 1.0:
        return True, Bucket(tokens - 1.0, now)
    return False, Bucket(tokens, now)


def admit_throughput(recent: deque[float], now: float, per_second: int) -> bool:
    """Admit one more message for a number if fewer than ``per_second`` left it this second.

    ``recent`` holds the admission times of the last second and is updated in place; a
    sliding window (rather than a bucket) matches how Meta describes "messages per second".
    """
    while recent and now - recent[0] >= THROUGHPUT_WINDOW_SECONDS:
        recent.popleft()
    if len(recent) >= per_second:
        return False
    recent.append(now)
    return True


def window_is_open(
    last_inbound_at: float | None, now: float, seconds: float = WINDOW_SECONDS
) -> bool:
    """Free-form messages are allowed for 24 h after the customer's own last message.

    Only the customer opens the window: templates, reads and typing indicators do not.
    """
    return last_inbound_at is not None and now - last_inbound_at < seconds


def plan_statuses(
    rng: random.Random, reorder_probability: float, skip_delivered_probability: float
) -> list[str]:
    """The order in which status webhooks follow an accepted send.

    Meta guarantees none: a message read while the chat is open may never be reported
    ``delivered``, and ``read`` can overtake ``delivered`` (PROTOCOL §3).
    """
    if rng.random() < skip_delivered_probability:
        return ["sent", "read"]
    if rng.random() < reorder_probability:
        return ["sent", "read", "delivered"]
    return ["sent", "delivered", "read"]


def pricing_carrier(plan: list[str]) -> str:
    """Which status after ``sent`` carries ``pricing``: the first of delivered/read (§4.7)."""
    return next((s for s in plan if s in ("delivered", "read")), "")


# ---------------------------------------------------------------------------- limiters


class PairLimiter:
    """Pair rate limit buckets, one per (business number, customer)."""

    def __init__(self) -> None:
        self.buckets: dict[tuple[str, str], Bucket] = {}

    def allow(
        self, number: str, customer: str, now: float, burst: int, interval_seconds: float
    ) -> bool:
        allowed, bucket = take_pair_token(
            self.buckets.get((number, customer)), now, burst, interval_seconds
        )
        self.buckets[(number, customer)] = bucket
        return allowed


class ThroughputLimiter:
    """Per-number sliding windows of recent sends."""

    def __init__(self) -> None:
        self.recent: dict[str, deque[float]] = {}

    def allow(self, number: str, now: float, per_second: int) -> bool:
        return admit_throughput(self.recent.setdefault(number, deque()), now, per_second)


class Windows:
    """The last time each customer wrote to each business number."""

    def __init__(self) -> None:
        self.last_inbound: dict[tuple[str, str], float] = {}

    def record(self, number: str, keys: list[str], at: float) -> None:
        # A customer known by phone and BSUID may be addressed by either; an old message
        # replayed late must not move the window backwards.
        for key in keys:
            previous = self.last_inbound.get((number, key))
            if previous is None or at > previous:
                self.last_inbound[(number, key)] = at

    def last(self, number: str, key: str) -> float | None:
        return self.last_inbound.get((number, key))

    def is_open(self, number: str, key: str, now: float) -> bool:
        return window_is_open(self.last(number, key), now)


# ---------------------------------------------------------------------------- records


@dataclass
class SentMessage:
    """Something the business sent through the fake Graph API and it accepted."""

    wamid: str
    phone_number_id: str
    to: str
    body: dict[str, Any]
    accepted_at: float
    statuses: list[str] = field(default_factory=list)
    # Known at acceptance (a closed window, an injected failure), reported only once the
    # ``failed`` status has gone out.
    planned_error: int | None = None
    error_code: int | None = None

    @property
    def type(self) -> str:
        return str(self.body.get("type") or "text")

    def as_dict(self) -> dict[str, Any]:
        return {
            "wamid": self.wamid,
            "phone_number_id": self.phone_number_id,
            "to": self.to,
            "type": self.type,
            "body": self.body,
            "accepted_at": self.accepted_at,
            "statuses": list(self.statuses),
            "status": self.statuses[-1] if self.statuses else "accepted",
            "error_code": self.error_code,
        }


FAULT_KINDS = ("error", "async_failed", "hang", "drop")


@dataclass
class Fault:
    """An injected failure for the next send(s) through ``POST /{id}/messages``.

    ``error``: refuse synchronously with ``code`` and ``http_status`` (no ``code`` means a
    non-JSON body, like a proxy's 502 page). ``async_failed``: accept, then send a ``failed``
    status with ``code``. ``hang``: accept, answer only after ``delay_seconds`` (the caller
    times out). ``drop``: accept, then close the connection without any answer.
    """

    kind: str = "error"
    code: int | None = None
    http_status: int | None = None
    count: int = 1
    title: str = ""
    details: str = ""
    subcode: int | None = None
    delay_seconds: float = 3.0
    raw_body: str | None = None

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Fault:
        """Build from control-API JSON; ``{"code": 131026, "async": true}`` is shorthand."""
        spec = dict(spec)
        if spec.pop("async", False):
            spec.setdefault("kind", "async_failed")
        unknown = set(spec) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        fault = cls(**spec)
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}")
        if fault.kind == "async_failed" and not fault.code:
            raise ValueError("an async_failed fault needs a code")
        if fault.count < 1:
            raise ValueError("count must be at least 1")
        return fault

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class Faults:
    """Queued faults, consumed one send at a time in the order they were queued."""

    def __init__(self) -> None:
        self.queue: deque[Fault] = deque()

    def add(self, fault: Fault) -> None:
        self.queue.append(fault)

    def clear(self) -> None:
        self.queue.clear()

    def take(self, kinds: tuple[str, ...] = FAULT_KINDS) -> Fault | None:
        """Consume one use of the next fault if it is one of ``kinds``.

        Refusals fire before a request is validated; faults that accept the message
        first (async failure, hang, drop) wait for a send that is valid.
        """
        if not self.queue or self.queue[0].kind not in kinds:
            return None
        fault = self.queue[0]
        fault.count -= 1
        if fault.count <= 0:
            self.queue.popleft()
        return fault

    def pending(self) -> list[dict[str, Any]]:
        return [f.as_dict() for f in self.queue]


@dataclass
class StoredMedia:
    """A file the fake Meta holds: uploaded by the business or sent by a customer."""

    media_id: str
    content: bytes
    mime_type: str
    filename: str = ""

    @property
    def sha256_hex(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class MediaUrl:
    """A short-lived download URL, bound to the token that asked for it."""

    media_id: str
    access_token: str
    expires_at: float


class MediaStore:
    """Media ids and the 5-minute download URLs handed out for them."""

    def __init__(self) -> None:
        self.items: dict[str, StoredMedia] = {}
        self.urls: dict[str, MediaUrl] = {}

    def put(self, content: bytes, mime_type: str, filename: str = "") -> StoredMedia:
        # Meta's media ids are 15-16 digit strings.
        media_id = str(10**15 + secrets.randbelow(9 * 10**15))
        media = StoredMedia(media_id, content, mime_type, filename)
        self.items[media_id] = media
        return media

    def get(self, media_id: str) -> StoredMedia | None:
        return self.items.get(media_id)

    def delete(self, media_id: str) -> bool:
        return self.items.pop(media_id, None) is not None

    def issue_url(self, media_id: str, access_token: str, now: float) -> str:
        """A fresh URL key for ``media_id``, valid five minutes for the same token."""
        key = secrets.token_urlsafe(24)
        self.urls[key] = MediaUrl(media_id, access_token, now + MEDIA_URL_TTL_SECONDS)
        return key

    def resolve(self, key: str, media_id: str, now: float) -> MediaUrl | None:
        url = self.urls.get(key)
        if url is None or url.media_id != media_id:
            return None
        if now >= url.expires_at:
            del self.urls[key]
            return None
        return url


class Stats:
    """Counters shown by ``GET /_sim/stats`` and the ``simulate`` command's progress lines."""

    def __init__(self) -> None:
        self.counters: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.async_failed: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()

    def incr(self, key: str, n: int = 1) -> None:
        self.counters[key] += n

    def get(self, key: str) -> int:
        return self.counters[key]

    def snapshot(self) -> dict[str, Any]:
        return {
            **dict(sorted(self.counters.items())),
            "sends_refused": dict(self.refused),
            "async_failed": dict(self.async_failed),
            "statuses_sent": dict(self.statuses),
        }


@dataclass
class KnownCustomer:
    """What a customer revealed about themselves in their webhooks (for status ``contacts``)."""

    name: str
    wa_id: str | None
    user_id: str | None
    username: str | None = None

    def contact(self) -> dict[str, Any]:
        profile: dict[str, Any] = {"name": self.name}
        if self.username:
            profile["username"] = self.username
        contact: dict[str, Any] = {"profile": profile}
        if self.wa_id:
            contact["wa_id"] = self.wa_id
        if self.user_id:
            contact["user_id"] = self.user_id
        return contact


class World:
    """Everything the fake Meta remembers, with an injectable clock."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._forget_everything()

    def _forget_everything(self) -> None:
        self.pair = PairLimiter()
        self.throughput = ThroughputLimiter()
        self.windows = Windows()
        self.outbox: list[SentMessage] = []
        self.by_wamid: dict[str, SentMessage] = {}
        self.inbound: list[dict[str, Any]] = []
        self.read_receipts: list[dict[str, Any]] = []
        self.customers: dict[tuple[str, str], KnownCustomer] = {}
        self.media = MediaStore()
        self.faults = Faults()
        self.stats = Stats()

    def now(self) -> float:
        return self.clock()

    def record_sent(self, sent: SentMessage) -> None:
        self.outbox.append(sent)
        self.by_wamid[sent.wamid] = sent

    def remember_customer(self, number: str, customer: KnownCustomer) -> None:
        for key in (customer.wa_id, customer.user_id):
            if key:
                self.customers[(number, key)] = customer

    def known_customer(self, number: str, key: str) -> KnownCustomer | None:
        return self.customers.get((number, key))

    def sent_to(self, number: str, keys: set[str]) -> list[SentMessage]:
        return [m for m in self.outbox if m.phone_number_id == number and m.to in keys]

    def reset(self) -> None:
        """Forget everything but the clock (``POST /_sim/reset`` between tests)."""
        self._forget_everything()
