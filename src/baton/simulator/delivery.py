"""Webhook delivery to Baton the way Meta does it: signed, batched, retried, sometimes twice.

Changes (one ``value`` each: inbound messages or statuses) are queued; a dispatcher takes
whatever is queued together, up to ``batch_max``, into one signed POST; each POST is
retried with growing delays until Baton answers exactly 200, and a successful one is now
and then delivered a second time, byte for byte (PROTOCOL §2, §3).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from typing import Any

import httpx

from baton.simulator.config import SimNumber, SimulatorConfig
from baton.simulator.state import Stats
from baton.simulator.wire import SIGNATURE_HEADER, envelope, meta_json_bytes, sign

logger = logging.getLogger("baton.simulator.delivery")


@dataclass(frozen=True)
class DeliveryResult:
    """How a webhook POST ended: Baton's last HTTP status (0 = no answer) and attempts."""

    status: int
    attempts: int

    @property
    def delivered(self) -> bool:
        return self.status == 200


@dataclass
class _Pending:
    number: SimNumber
    value: dict[str, Any]
    done: asyncio.Future[DeliveryResult]


def _abandon(batch: list[_Pending]) -> None:
    """Release the waiters of a batch that will never be answered (shutdown)."""
    for pending in batch:
        if not pending.done.done():
            pending.done.cancel()


def retry_delay(attempt: int, base_seconds: float, max_seconds: float) -> float:
    """Seconds to wait after failed ``attempt`` (1-based): doubling, capped.

    Meta retries "with decreasing frequency"; doubling from a small base keeps tests fast
    and still spaces a real outage out.
    """
    return min(max_seconds, base_seconds * (2 ** (attempt - 1)))


class WebhookSender:
    """Owns the webhook queue, the dispatcher task and the HTTP client."""

    def __init__(self, config: SimulatorConfig, stats: Stats, rng: random.Random) -> None:
        self.config = config
        self.stats = stats
        self.rng = rng
        self.queue: asyncio.Queue[_Pending] | None = None
        self.client: httpx.AsyncClient | None = None
        self.dispatcher: asyncio.Task[None] | None = None
        self.in_flight: set[asyncio.Task[None]] = set()
        self.slots: asyncio.Semaphore | None = None

    async def start(self) -> None:
        self.queue = asyncio.Queue()
        self.slots = asyncio.Semaphore(max(1, self.config.webhook_concurrency))
        self.client = httpx.AsyncClient(timeout=self.config.webhook_timeout_seconds)
        self.dispatcher = asyncio.create_task(self._dispatch(), name="webhook-dispatcher")

    async def stop(self) -> None:
        tasks = [t for t in (self.dispatcher, *self.in_flight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.queue is not None:
            while not self.queue.empty():
                _abandon([self.queue.get_nowait()])
        if self.client is not None:
            await self.client.aclose()

    def submit(self, number: SimNumber, value: dict[str, Any]) -> asyncio.Future[DeliveryResult]:
        """Queue one change; the future resolves once its POST has succeeded or given up.

        Several ``submit`` calls in a row without an ``await`` between them end up in the
        same POST: that is how batches are made.
        """
        assert self.queue is not None, "start() first"
        done: asyncio.Future[DeliveryResult] = asyncio.get_running_loop().create_future()
        self.queue.put_nowait(_Pending(number, value, done))
        return done

    async def deliver(self, number: SimNumber, value: dict[str, Any]) -> DeliveryResult:
        return await self.submit(number, value)

    async def _dispatch(self) -> None:
        assert self.queue is not None
        assert self.slots is not None
        while True:
            batch = [await self.queue.get()]
            try:
                if self.config.batch_window_seconds > 0:
                    await asyncio.sleep(self.config.batch_window_seconds)
                while len(batch) < max(1, self.config.batch_max) and not self.queue.empty():
                    batch.append(self.queue.get_nowait())
                # Waiting for a slot here (not inside the task) keeps FIFO order when the
                # concurrency is 1 and stops an outage from piling up unbounded tasks.
                await self.slots.acquire()
            except asyncio.CancelledError:
                _abandon(batch)
                raise
            task = asyncio.create_task(self._post_batch(batch))
            self.in_flight.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.in_flight.discard(task)
        assert self.slots is not None
        self.slots.release()
        if not task.cancelled() and task.exception() is not None:
            logger.error("webhook batch crashed", exc_info=task.exception())

    async def _post_batch(self, batch: list[_Pending]) -> None:
        try:
            body = meta_json_bytes(envelope([(p.number, p.value) for p in batch]))
            if len(batch) > 1:
                self.stats.incr("batched_posts")
            result = await self.post_with_retries(body)
            self.stats.incr(
                "changes_delivered" if result.delivered else "changes_dropped", len(batch)
            )
            if result.delivered and self.rng.random() < self.config.duplicate_probability:
                # Meta redelivers now and then: the very same bytes. Sent before the waiters
                # are told, so a test that waited for delivery also sees the duplicate.
                self.stats.incr("duplicates_sent")
                await self.post_with_retries(body)
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_result(result)
        finally:
            _abandon(batch)

    async def post_with_retries(self, body: bytes) -> DeliveryResult:
        """POST ``body`` until Baton answers 200 or ``webhook_max_attempts`` run out."""
        status = 0
        attempts = 0
        max_attempts = max(1, self.config.webhook_max_attempts)
        while attempts < max_attempts:
            attempts += 1
            if attempts > 1:
                self.stats.incr("webhook_retries")
            status = await self._post_once(body)
            if status == 200:
                self.stats.incr("webhooks_delivered")
                return DeliveryResult(status, attempts)
            self.stats.incr("webhook_failures")
            if attempts < max_attempts:
                await asyncio.sleep(
                    retry_delay(
                        attempts,
                        self.config.webhook_retry_base_seconds,
                        self.config.webhook_retry_max_seconds,
                    )
                )
        self.stats.incr("webhooks_dropped")
        logger.warning("webhook dropped after %s attempts (last status %s)", attempts, status)
        return DeliveryResult(status, attempts)

    async def _post_once(self, body: bytes) -> int:
        assert self.client is not None
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, self.config.app_secret),
        }
        self.stats.incr("webhook_posts")
        # The URL is read per attempt: tests point a running simulator at Baton later.
        try:
            response = await self.client.post(
                self.config.webhook_url, content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            logger.info("webhook POST to %s failed: %r", self.config.webhook_url, exc)
            return 0
        with contextlib.suppress(httpx.HTTPError):
            await response.aclose()
        return response.status_code
