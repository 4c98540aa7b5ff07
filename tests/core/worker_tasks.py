"""Tasks that exist only for the worker tests (their path must import in a worker process)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from django.db import connection
from django_tasks import task


@task()
def echo(value: str) -> str:
    return value


@task()
def hold_connection(release_flag: str) -> int:
    """Report this worker's PostgreSQL backend pid, wait until the test releases it (after
    terminating that backend), then use the connection again."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    Path(f"{release_flag}.pid").write_text(str(pid))
    deadline = time.monotonic() + 30
    while not Path(release_flag).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return pid


@task()
def kill_own_worker() -> None:
    """A task that takes its worker process down every time (think: out of memory)."""
    os.kill(os.getpid(), signal.SIGKILL)
