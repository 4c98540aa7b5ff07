"""SLA work run by the task worker."""

from __future__ import annotations

from django_tasks import task


@task()
def scan_sla() -> int:
    return 0
