"""Reads of the platform layer: is the database there, are task workers alive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from baton.core.models import WorkerHeartbeat


@dataclass(frozen=True)
class WorkerHealth:
    live_workers: int
    ready_tasks: int
    # Seconds the oldest task that is due has waited for a worker (queue lag); None if none.
    oldest_ready_seconds: float | None

    @property
    def stalled(self) -> bool:
        """Work is waiting and no worker has been seen within the lease."""
        return self.ready_tasks > 0 and self.live_workers == 0


def get_worker_health() -> WorkerHealth:
    now = timezone.now()
    seen_after = now - timedelta(seconds=settings.BATON_WORKER_LEASE_SECONDS)
    live = WorkerHeartbeat.objects.filter(last_seen__gte=seen_after).count()
    ready = DBTaskResult.objects.ready()
    # A task enqueued without run_after carries the far-future sentinel: it has been due
    # since it was enqueued; a delayed one since its run_after.
    waits = ready.aggregate(
        total=Count("pk"),
        immediate=Min("enqueued_at", filter=_no_delay()),
        delayed=Min("run_after", filter=~_no_delay()),
    )
    since = [t for t in (waits["immediate"], waits["delayed"]) if t is not None]
    oldest = (now - min(since)).total_seconds() if since else None
    return WorkerHealth(
        live_workers=live,
        ready_tasks=waits["total"],
        oldest_ready_seconds=max(oldest, 0.0) if oldest is not None else None,
    )


def _no_delay() -> Q:
    return Q(run_after=get_date_max())
