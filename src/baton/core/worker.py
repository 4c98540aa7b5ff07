"""The background worker: django-tasks-db's worker loop, supervised, plus a ticker.

The loop is restarted after any error (a dropped database connection, a database that is
down for a minute) with capped exponential back-off, so a worker never stops for good while
the web app keeps queueing work. The ticker thread enqueues periodic jobs, refreshes the
worker's heartbeat and re-queues the tasks of dead workers (see ``core.actions``).
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from baton.core.actions import (
    do_forget_stale_workers,
    do_forget_worker,
    do_reap_abandoned_tasks,
    do_record_worker_heartbeat,
)
from baton.core.periodic import PeriodicJob, periodic_jobs, thread_exit_hooks

logger = logging.getLogger("baton.worker")

# Back-off after the loop fails: 0.5 s, 1 s, 2 s, … up to 30 s while the failure lasts.
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0


class SupervisedWorker(Worker):
    """django-tasks-db's worker loop, restarted after an error instead of ending."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.started_at = timezone.now()
        self.failing = False
        self.restarts = 0
        self._wake = threading.Event()

    def run(self) -> None:
        delay = BACKOFF_FIRST_SECONDS
        try:
            while self.running:
                began = time.monotonic()
                try:
                    self._check_in()
                    super().run()
                    return  # stopped, or --max-tasks / batch reached
                except Exception:
                    self.failing = True
                    logger.exception(
                        "worker %s: task loop failed; restarting in %.1f s", self.worker_id, delay
                    )
                    _close_broken_connections()
                if time.monotonic() - began > BACKOFF_MAX_SECONDS:
                    delay = BACKOFF_FIRST_SECONDS  # it had been working for a while
                self.restarts += 1
                self._wake.wait(delay)
                delay = min(delay * 2, BACKOFF_MAX_SECONDS)
        finally:
            try:
                do_forget_worker(self.worker_id)
            except Exception:
                logger.warning("worker %s: could not remove its heartbeat", self.worker_id)
            connections.close_all()

    def _check_in(self) -> None:
        """Announce this worker, then take back what dead workers (or this loop, if it is
        restarting after an error) left RUNNING, before claiming anything new."""
        do_record_worker_heartbeat(self.worker_id, self.started_at)
        do_reap_abandoned_tasks(own_worker_id=self.worker_id if self.failing else None)
        # Once per (re)start, not on every heartbeat: day-old rows cost nothing meanwhile.
        do_forget_stale_workers()
        self.failing = False

    def keep_lease(self) -> None:
        """The ticker's job: a heartbeat while the loop works, and the reaper."""
        if self.failing:
            return  # a loop in back-off is not a live worker; let /healthz see it
        do_record_worker_heartbeat(self.worker_id, self.started_at)
        do_reap_abandoned_tasks()

    def stop(self) -> None:
        self.running = False
        self._wake.set()


def _close_broken_connections() -> None:
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:
            # A connection the server already dropped may fail to close; forget it anyway.
            connection.connection = None


class Ticker(threading.Thread):
    """Runs periodic jobs: most enqueue a task (the worker runs it like any other); the
    worker's heartbeat runs here directly, so it continues while a long task runs."""

    def __init__(self, jobs: list[PeriodicJob]) -> None:
        super().__init__(name="baton-ticker", daemon=True)
        self.jobs = jobs
        self.stopped = threading.Event()

    def run(self) -> None:
        next_run = [0.0 for _ in self.jobs]
        elapsed = 0.0
        step = min([1.0, *(every for every, _ in self.jobs)])
        while not self.stopped.wait(step):
            elapsed += step
            for i, (every, job) in enumerate(self.jobs):
                if elapsed >= next_run[i]:
                    next_run[i] = elapsed + every
                    try:
                        job()
                    except Exception:
                        name = getattr(job, "__qualname__", job)
                        logger.exception("periodic job %s failed", name)
                    finally:
                        close_old_connections()
        connections.close_all()

    def stop(self) -> None:
        self.stopped.set()


def make_ticker(worker: SupervisedWorker) -> Ticker:
    return Ticker([(settings.BATON_WORKER_HEARTBEAT_SECONDS, worker.keep_lease), *periodic_jobs()])


def make_worker(interval: float = 0.2) -> SupervisedWorker:
    return SupervisedWorker(
        queue_names=["*"],
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"baton-{get_random_string(12)}",
        excluded_queue_names=[],
    )


class EmbeddedWorker:
    """A worker and ticker running as threads inside the web server process."""

    def __init__(self) -> None:
        self.worker = make_worker()
        self.thread = threading.Thread(target=self._run, name="baton-worker", daemon=True)
        self.ticker = make_ticker(self.worker)

    def _run(self) -> None:
        try:
            self.worker.run()
        finally:
            for hook in thread_exit_hooks():
                hook()
            connections.close_all()

    def start(self) -> None:
        self.thread.start()
        self.ticker.start()

    def stop(self) -> None:
        self.worker.stop()
        self.ticker.stop()
        self.thread.join(timeout=10)
