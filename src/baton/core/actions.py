"""Writes of the platform layer: worker heartbeats and the leases of running tasks.

A task worker claims a task by marking it RUNNING with its id (django-tasks-db's
``worker_ids``, one entry per claim). If the process is killed, nothing ever moves the task
on: the download stays "Downloading…" for ever. So every worker refreshes a heartbeat, and
the reaper re-queues RUNNING tasks whose worker has not been seen for the lease. Baton's
tasks are idempotent (each starts with a compare-and-set or a state check), so running one
again after a crash is safe. A task that keeps killing its worker is failed after
``BATON_TASK_MAX_ATTEMPTS`` claims instead of looping for ever.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from baton.core.models import WorkerHeartbeat

logger = logging.getLogger("baton.worker")

# Heartbeats of workers gone for this long are deleted (they only matter for one lease).
FORGET_WORKERS_AFTER = timedelta(days=1)


class WorkerLost(Exception):
    """Recorded on a task whose worker died under it more often than the retry cap allows."""


# task path -> called (inside the transaction that fails the task) with its args and kwargs,
# so the feature that owns the task can show the failure where people look.
AbandonedTaskHandler = Callable[[list[Any], dict[str, Any]], None]
_abandoned_task_handlers: dict[str, AbandonedTaskHandler] = {}


def register_abandoned_task_handler(task: Any, handler: AbandonedTaskHandler) -> None:
    """Have ``handler`` run when ``task`` (a django-tasks ``Task``) is given up after its
    worker died under it ``BATON_TASK_MAX_ATTEMPTS`` times. Call from ``AppConfig.ready``."""
    _abandoned_task_handlers[task.module_path] = handler


def do_record_worker_heartbeat(worker_id: str, started_at: datetime) -> None:
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen=now)
    if not updated:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": started_at,
                "last_seen": now,
            },
        )


def do_forget_stale_workers(now: datetime | None = None) -> int:
    """Heartbeats of workers gone for a day: they hold no lease any more, only rows."""
    before = (now or timezone.now()) - FORGET_WORKERS_AFTER
    deleted, _ = WorkerHeartbeat.objects.filter(last_seen__lt=before).delete()
    return deleted


def do_forget_worker(worker_id: str) -> None:
    """A worker stopping cleanly: it no longer counts as live (it holds no task any more)."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


@dataclass(frozen=True)
class ReapedTasks:
    requeued: int
    failed: int


def do_reap_abandoned_tasks(own_worker_id: str | None = None) -> ReapedTasks:
    """Re-queue (or, past the retry cap, fail) RUNNING tasks whose worker is gone.

    A worker is gone when its heartbeat is older than the lease, and the claim too (so a
    worker without heartbeats, such as django-tasks-db's own ``db_worker``, keeps a task
    for one lease). ``own_worker_id`` names a worker whose loop is restarting after an
    error: whatever it still shows as RUNNING was interrupted and is reaped at once.
    Safe to run from every worker at the same time: each move is a compare-and-set on the
    claim (status RUNNING with the same ``started_at``).
    """
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.BATON_WORKER_LEASE_SECONDS)
    live = set(
        WorkerHeartbeat.objects.filter(last_seen__gte=stale_before).values_list(
            "worker_id", flat=True
        )
    )
    requeued = failed = 0
    for task in DBTaskResult.objects.running().only("id", "started_at", "worker_ids", "task_path"):
        holder = task.worker_ids[-1] if task.worker_ids else None
        interrupted = own_worker_id is not None and holder == own_worker_id
        claimed_long_ago = task.started_at is None or task.started_at < stale_before
        abandoned = holder not in live and claimed_long_ago
        if not (interrupted or abandoned):
            continue
        if _give_back(task, holder, now):
            if len(task.worker_ids) >= settings.BATON_TASK_MAX_ATTEMPTS:
                failed += 1
            else:
                requeued += 1
    return ReapedTasks(requeued=requeued, failed=failed)


def _give_back(task: DBTaskResult, holder: str | None, now: datetime) -> bool:
    claimed = DBTaskResult.objects.filter(
        pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
    )
    attempts = len(task.worker_ids)
    with transaction.atomic():
        if attempts < settings.BATON_TASK_MAX_ATTEMPTS:
            moved = claimed.update(status=TaskResultStatus.READY, started_at=None)
            if moved:
                logger.warning(
                    "task %s (%s) re-queued: its worker %s stopped while running it "
                    "(attempt %d of %d)",
                    task.pk,
                    task.task_path,
                    holder,
                    attempts,
                    settings.BATON_TASK_MAX_ATTEMPTS,
                )
            return bool(moved)
        reason = (
            f"The worker running this task stopped {attempts} times in a row (last: "
            f"{holder}); it is not retried again. Look for what kills the worker "
            "(memory limit, crash) before re-enqueueing it."
        )
        moved = claimed.update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            return_value=None,
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}: {reason}\n",
        )
        if moved:
            logger.error("task %s (%s) failed: %s", task.pk, task.task_path, reason)
            handler = _abandoned_task_handlers.get(task.task_path)
            if handler is not None:
                full = DBTaskResult.objects.get(pk=task.pk)
                handler(full.args_kwargs["args"], full.args_kwargs["kwargs"])
        return bool(moved)
