"""The background worker: django-tasks-db's worker loop plus a ticker for periodic jobs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import close_old_connections, connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger("baton.worker")

# (every N seconds, job) — each job is idempotent, so several workers may all tick.
PeriodicJob = tuple[float, Callable[[], object]]


def periodic_jobs() -> list[PeriodicJob]:
    from baton.conversations.tasks import scan_stale_conversations
    from baton.routing.tasks import scan_routing
    from baton.whatsapp.tasks import sweep_outbound

    return [
        (30.0, sweep_outbound.enqueue),
        (15.0, scan_stale_conversations.enqueue),
        (15.0, scan_routing.enqueue),
    ]


class Ticker(threading.Thread):
    """Enqueues periodic jobs; the worker runs them like any other task."""

    def __init__(self, jobs: list[PeriodicJob]) -> None:
        super().__init__(name="baton-ticker", daemon=True)
        self.jobs = jobs
        self.stopped = threading.Event()

    def run(self) -> None:
        next_run = [0.0 for _ in self.jobs]
        elapsed = 0.0
        step = 1.0
        while not self.stopped.wait(step):
            elapsed += step
            for i, (every, job) in enumerate(self.jobs):
                if elapsed >= next_run[i]:
                    next_run[i] = elapsed + every
                    try:
                        job()
                    except Exception:
                        logger.exception("periodic job failed to enqueue")
                    finally:
                        close_old_connections()
        connections.close_all()

    def stop(self) -> None:
        self.stopped.set()


def make_worker(interval: float = 0.2) -> Worker:
    return Worker(
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
        self.ticker = Ticker(periodic_jobs())

    def _run(self) -> None:
        try:
            self.worker.run()
        finally:
            from baton.whatsapp.graph import close_thread_client

            close_thread_client()
            connections.close_all()

    def start(self) -> None:
        self.thread.start()
        self.ticker.start()

    def stop(self) -> None:
        self.worker.running = False
        self.ticker.stop()
        self.thread.join(timeout=10)
