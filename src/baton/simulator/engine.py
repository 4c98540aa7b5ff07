"""The simulated Meta: accepts sends, emits their statuses, and carries customers' messages.

The HTTP layers (``graph_api``, ``control``) translate requests into calls on
:class:`Simulator`; it owns the world, the webhook sender, the per-message status
emitters and the simulated customers, all on one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from baton.simulator import media as media_files
from baton.simulator.config import SimNumber, SimulatorConfig
from baton.simulator.customers import Crowd, default_name
from baton.simulator.delivery import DeliveryResult, WebhookSender
from baton.simulator.state import (
    KnownCustomer,
    SentMessage,
    StoredMedia,
    World,
    customer_key,
    is_bsuid,
    plan_statuses,
    pricing_carrier,
)
from baton.simulator.wire import (
    KNOWN_ERRORS,
    inbound_message,
    new_wamid,
    pricing,
    status_item,
    webhook_error,
)

Progress = Callable[[str], None]

INBOUND_KINDS = {
    "text": "text",
    "image": "image",
    "photo": "image",
    "document": "document",
    "location": "location",
    "reaction": "reaction",
    "interactive": "interactive",
    "button_reply": "interactive",
    "list_reply": "interactive",
    "button": "button",
}


@dataclass(frozen=True)
class AsyncFailure:
    """A send that WhatsApp accepts and later reports ``failed`` (131047, 131026, …)."""

    code: int
    title: str
    details: str

    @classmethod
    def of(cls, code: int, title: str = "", details: str = "") -> AsyncFailure:
        known_title, _, known_details = KNOWN_ERRORS.get(code, ("Message failed", 400, ""))
        return cls(code, title or known_title, details or known_details)


@dataclass(frozen=True)
class InboundResult:
    """A customer message as sent: its wamid, media id if any, and how delivery went."""

    wamid: str
    media_id: str | None
    delivery: DeliveryResult

    def as_dict(self) -> dict[str, Any]:
        return {
            "wamid": self.wamid,
            "status": self.delivery.status,
            "attempts": self.delivery.attempts,
            "media_id": self.media_id,
        }


@dataclass
class _Emitter:
    task: asyncio.Task[None]
    release: asyncio.Event


def inbound_kind(spec: dict[str, Any]) -> str:
    """The message type a control-API spec asks for; unknown types stay as given."""
    given = str(spec.get("type") or "").strip()
    if not given:
        return "text"
    return INBOUND_KINDS.get(given, given)


class Simulator:
    """One simulated WhatsApp Cloud API with its customers."""

    def __init__(
        self,
        config: SimulatorConfig,
        *,
        clock: Callable[[], float] = time.time,
        progress: Progress | None = None,
    ) -> None:
        self.config = config
        self.rng = random.Random(config.seed)  # noqa: S311 -- simulation, not security
        self.world = World(clock)
        self.sender = WebhookSender(config, self.world.stats, self.rng)
        self.crowd = Crowd(self)
        self.progress: Progress = progress or (lambda line: None)
        self.emitters: dict[str, _Emitter] = {}
        self.background: set[asyncio.Task[Any]] = set()
        # Replaced on every accepted send, so waiters wake without polling.
        self._outbox_changed = asyncio.Event()

    @property
    def public_base_url(self) -> str:
        return self.config.base_url

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._outbox_changed = asyncio.Event()
        await self.sender.start()
        if self.config.customers > 0:
            self.spawn(self.crowd.run(), "customers")
        if self.config.report_every_seconds > 0:
            self.spawn(self._report_forever(), "reporter")

    async def stop(self) -> None:
        tasks = [*self.background, *(e.task for e in self.emitters.values())]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.sender.stop()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        # The loop keeps only weak references to tasks: hold them until they finish.
        task = asyncio.create_task(coro, name=name)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    async def _report_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.report_every_seconds)
            self.progress(self.report_line())

    def report_line(self) -> str:
        s = self.world.stats
        refused = ", ".join(f"{code}: {n}" for code, n in sorted(s.refused.items())) or "none"
        return (
            f"[{time.strftime('%H:%M:%S')}] webhooks {s.get('webhooks_delivered')} delivered, "
            f"{s.get('webhook_retries')} retried, {s.get('duplicates_sent')} duplicated · "
            f"customers {self.crowd.active} active, {s.get('conversations_started')} started, "
            f"{s.get('customer_messages')} messages, {s.get('replies_seen')} replies seen, "
            f"{s.get('customers_silent')} went silent · sends {s.get('sends_accepted')} "
            f"accepted, refused {refused}"
        )

    # ------------------------------------------------------------------ business → customer

    def accept(
        self,
        number: SimNumber,
        body: dict[str, Any],
        to: str,
        failure: AsyncFailure | None = None,
    ) -> SentMessage:
        """Record an accepted send and schedule its status webhooks.

        The 24-hour rule is decided here, not by the caller: the HTTP answer is 200 either
        way, and a free-form message outside the window only fails later (PROTOCOL §5.3).
        """
        now = self.world.now()
        sent = SentMessage(new_wamid(to), number.phone_number_id, to, body, now)
        is_template = sent.type == "template"
        window_open = self.world.windows.is_open(number.phone_number_id, to, now)
        if failure is None and not is_template and not window_open:
            failure = AsyncFailure.of(131047)
        self.world.record_sent(sent)
        self.world.stats.incr("sends_accepted")
        if failure is not None:
            plan = ["failed"]
            sent.planned_error = failure.code
        else:
            plan = plan_statuses(
                self.rng,
                self.config.reorder_probability,
                self.config.skip_delivered_probability,
            )
        price = self._pricing(body, window_open)
        release = asyncio.Event()
        task = asyncio.create_task(
            self._emit_statuses(number, sent, plan, price, failure, release),
            name=f"statuses-{sent.wamid[-12:]}",
        )
        self.emitters[sent.wamid] = _Emitter(task, release)
        task.add_done_callback(lambda _: self.emitters.pop(sent.wamid, None))
        changed, self._outbox_changed = self._outbox_changed, asyncio.Event()
        changed.set()
        return sent

    def _pricing(self, body: dict[str, Any], window_open: bool) -> dict[str, Any]:
        if body.get("type") != "template":
            return pricing("service", free=True)
        template = body.get("template") or {}
        approved = self.config.template(
            str(template.get("name") or ""), str((template.get("language") or {}).get("code"))
        )
        category = approved.category if approved else "utility"
        # Utility templates inside an open window are free; marketing never is.
        return pricing(category, free=category == "utility" and window_open)

    async def _emit_statuses(
        self,
        number: SimNumber,
        sent: SentMessage,
        plan: list[str],
        price: dict[str, Any],
        failure: AsyncFailure | None,
        release: asyncio.Event,
    ) -> None:
        carrier = pricing_carrier(plan)
        callback = sent.body.get("biz_opaque_callback_data")
        for name in plan:
            await self._status_pause(release)
            known = self.world.known_customer(number.phone_number_id, sent.to)
            item = status_item(
                wamid=sent.wamid,
                status=name,
                at=self.world.now(),
                recipient=sent.to,
                recipient_user_id=known.user_id if known else None,
                callback_data=str(callback) if callback is not None else None,
                pricing_info=price if name in ("sent", carrier) else None,
                errors=(
                    [webhook_error(failure.code, failure.title, failure.details)]
                    if failure is not None
                    else None
                ),
            )
            value: dict[str, Any] = {"statuses": [item]}
            # Since 2026 Meta adds the recipient's contact to sent/delivered/read, never to
            # failed ones (PROTOCOL §4.7).
            if self.config.status_contacts and known is not None and name != "failed":
                value["contacts"] = [known.contact()]
            await self.sender.deliver(number, value)
            sent.statuses.append(name)
            self.world.stats.statuses[name] += 1
            if failure is not None:
                sent.error_code = failure.code
                self.world.stats.async_failed[str(failure.code)] += 1

    async def _status_pause(self, release: asyncio.Event) -> None:
        if release.is_set():
            return
        if not self.config.auto_statuses:
            await release.wait()
            return
        low, high = self.config.status_delay_seconds
        delay = self.rng.uniform(low, high)
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(release.wait(), delay)

    async def flush_statuses(self, wamid: str | None = None, timeout: float = 10.0) -> int:
        """Emit the remaining statuses of every (or one) message now; wait until delivered."""
        emitters = [e for w, e in list(self.emitters.items()) if wamid is None or w == wamid]
        for emitter in emitters:
            emitter.release.set()
        if emitters:
            await asyncio.wait([e.task for e in emitters], timeout=timeout)
        return len(emitters)

    async def wait_for_reply(
        self, number: SimNumber, keys: set[str], seen: int, timeout: float
    ) -> list[SentMessage] | None:
        """Business messages to ``keys`` beyond the first ``seen``, once there are any.

        Messages that WhatsApp will fail (131047 and friends) never reach the customer,
        so they do not count. ``None`` when nothing came within ``timeout`` seconds.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            received = self.received_by(number, keys)
            if len(received) > seen:
                return received[seen:]
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox_changed.wait(), remaining)

    def received_by(self, number: SimNumber, keys: set[str]) -> list[SentMessage]:
        return [
            m for m in self.world.sent_to(number.phone_number_id, keys) if m.planned_error is None
        ]

    # ------------------------------------------------------------------ customer → business

    def compose_inbound(
        self, number: SimNumber, key: str, spec: dict[str, Any]
    ) -> tuple[dict[str, Any], str, StoredMedia | None]:
        """The webhook ``value`` for one customer message, recorded in the world.

        ``key`` is the customer's phone (wa_id) or, for username-only customers, their
        BSUID: those arrive without ``wa_id`` and ``from`` (PROTOCOL §8.2).
        """
        bsuid_only = bool(spec.get("bsuid_only")) or is_bsuid(key)
        wa_id = None if bsuid_only else customer_key(key)
        user_id = key if bsuid_only else (str(spec["user_id"]) if spec.get("user_id") else None)
        customer = KnownCustomer(
            name=str(spec.get("name") or default_name(key)),
            wa_id=wa_id,
            user_id=user_id,
            username=str(spec["username"]) if spec.get("username") else None,
        )
        kind = inbound_kind(spec)
        at = float(spec["timestamp"]) if spec.get("timestamp") else self.world.now()
        stored = self._customer_media(kind, spec)
        wamid = new_wamid(wa_id or user_id or key, inbound=True)
        message = inbound_message(
            spec=spec,
            kind=kind,
            wamid=wamid,
            at=at,
            wa_id=wa_id,
            user_id=user_id,
            business_display_number=number.display_phone_number,
            media=stored,
        )
        keys = [k for k in (wa_id, user_id) if k]
        # The customer's own message opens (or extends) the 24-hour window.
        self.world.windows.record(number.phone_number_id, keys, at)
        self.world.remember_customer(number.phone_number_id, customer)
        self.world.inbound.append(
            {"wamid": wamid, "phone_number_id": number.phone_number_id, "from": key, **message}
        )
        self.world.stats.incr("customer_messages")
        return {"contacts": [customer.contact()], "messages": [message]}, wamid, stored

    def _customer_media(self, kind: str, spec: dict[str, Any]) -> StoredMedia | None:
        if kind == "image":
            # PNG unless asked: Baton's own tests check for PNG bytes.
            if str(spec.get("format") or "png").lower() in ("jpeg", "jpg"):
                return self.world.media.put(media_files.jpeg(), "image/jpeg", "photo.jpg")
            return self.world.media.put(media_files.png(), "image/png", "photo.png")
        if kind == "document":
            filename = str(spec.get("filename") or "invoice.pdf")
            content = media_files.pdf(f"{filename} - sent by a simulated customer")
            return self.world.media.put(content, "application/pdf", filename)
        return None

    async def customer_writes(
        self, number: SimNumber, key: str, specs: list[dict[str, Any]]
    ) -> list[InboundResult]:
        """Send customer messages as signed webhooks and wait until each POST is settled.

        Messages submitted together leave in one POST (up to ``batch_max``).
        """
        composed = [self.compose_inbound(number, key, spec) for spec in specs]
        futures = [self.sender.submit(number, value) for value, _, _ in composed]
        results = await asyncio.gather(*futures)
        return [
            InboundResult(wamid, media.media_id if media else None, result)
            for (_, wamid, media), result in zip(composed, results, strict=True)
        ]

    def reset(self) -> None:
        """Forget the world (outbox, windows, buckets, media, faults, counters)."""
        for emitter in self.emitters.values():
            emitter.task.cancel()
        self.emitters.clear()
        self.world.reset()
        self.sender.stats = self.world.stats
