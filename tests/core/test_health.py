"""/healthz reports the database, live workers and queue lag; 503 when work waits unserved."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from baton.core.models import WorkerHeartbeat
from baton.core.worker import make_worker
from tests.core import worker_tasks
from tests.live import wait_for


class RunningWorker:
    def __init__(self) -> None:
        self.worker = make_worker(interval=0.05)
        self.thread = threading.Thread(target=self.worker.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.worker.stop()
        self.thread.join(timeout=10)


def _health(client):
    response = client.get("/healthz")
    return response.status_code, response.json()


def test_healthy_when_nothing_waits(client, db):
    status, body = _health(client)
    assert status == 200
    assert body == {
        "ok": True,
        "database": "ok",
        "workers": 0,
        "tasks_ready": 0,
        "queue_lag_seconds": None,
    }


@pytest.mark.django_db(transaction=True)
def test_unhealthy_while_tasks_wait_without_a_worker_and_back_when_one_runs(client):
    worker_tasks.echo.enqueue("waiting")
    status, body = _health(client)
    assert status == 503
    assert body["ok"] is False
    assert body["workers"] == 0
    assert body["tasks_ready"] == 1
    assert body["queue_lag_seconds"] >= 0
    assert "no task worker seen" in body["reason"]

    running = RunningWorker()
    try:
        wait_for(lambda: _health(client)[0] == 200, message="never healthy with a worker")
        assert _health(client)[1]["workers"] == 1
    finally:
        running.stop()

    # Stopped: it no longer counts, and the next task waits for nobody.
    worker_tasks.echo.enqueue("waiting again")
    assert _health(client)[0] == 503

    running = RunningWorker()
    try:
        wait_for(lambda: _health(client)[0] == 200, message="not healthy after restart")
    finally:
        running.stop()


def test_a_worker_silent_for_longer_than_the_lease_is_not_live(client, db, settings):
    settings.BATON_WORKER_LEASE_SECONDS = 30
    long_ago = timezone.now() - timedelta(seconds=31)
    WorkerHeartbeat.objects.create(worker_id="gone", started_at=long_ago, last_seen=long_ago)
    worker_tasks.echo.enqueue("waiting")
    status, body = _health(client)
    assert (status, body["workers"]) == (503, 0)

    WorkerHeartbeat.objects.filter(worker_id="gone").update(last_seen=timezone.now())
    status, body = _health(client)
    assert (status, body["workers"]) == (200, 1)
