"""The worker loop survives database errors: it logs, backs off, reconnects and carries on.

The worker runs in a thread of the test process against the real test database; the
errors are real (a failing query, a terminated PostgreSQL backend), not mocks of the loop.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from baton.core.worker import make_worker
from tests.core import worker_tasks
from tests.live import wait_for

TASK_TABLE = DBTaskResult._meta.db_table


@pytest.fixture
def worker(transactional_db):
    worker = make_worker(interval=0.05)
    thread = threading.Thread(target=worker.run, name="test-worker", daemon=True)
    thread.start()
    yield worker
    worker.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()


def _status(result) -> str:
    return DBTaskResult.objects.get(pk=result.id).status


def _finished(result) -> bool:
    return _status(result) == TaskResultStatus.SUCCESSFUL


def test_worker_survives_a_failing_query_and_runs_the_next_task(worker, caplog):
    first = worker_tasks.echo.enqueue("before")
    wait_for(lambda: _finished(first), message="worker never ran the first task")
    # Every query the worker loop makes now fails for real ("no such table" / "relation
    # does not exist"); on main the loop raised and the worker was gone for good.
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TASK_TABLE} RENAME TO {TASK_TABLE}_away")
    try:
        wait_for(lambda: worker.restarts >= 2, timeout=10, message="loop error never seen")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {TASK_TABLE}_away RENAME TO {TASK_TABLE}")
    after = worker_tasks.echo.enqueue("after")
    wait_for(lambda: _finished(after), timeout=15, message="worker did not carry on")
    failures = [r for r in caplog.records if "task loop failed" in r.getMessage()]
    assert failures
    assert failures[0].exc_info is not None  # logged with its traceback


@pytest.mark.postgres
def test_worker_survives_its_connection_being_terminated(worker, tmp_path):
    release = tmp_path / "release"
    held = worker_tasks.hold_connection.enqueue(str(release))
    pid_file = tmp_path / "release.pid"
    wait_for(pid_file.exists, message="task never started")
    killed_pid = int(pid_file.read_text())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [killed_pid])
    release.touch()
    # The task's query fails, and so does recording the failure: on main the worker died
    # here and the task stayed RUNNING. Now the loop restarts, takes its interrupted task
    # back and runs it again on a fresh connection.
    wait_for(lambda: _finished(held), timeout=20, message="interrupted task never re-ran")
    row = DBTaskResult.objects.get(pk=held.id)
    assert row.worker_ids == [worker.worker_id, worker.worker_id]
    assert row.return_value != killed_pid
    after = worker_tasks.echo.enqueue("after")
    wait_for(lambda: _finished(after), timeout=15, message="worker did not carry on")
