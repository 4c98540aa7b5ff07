"""SLA work run by the task worker: the periodic scan."""

from __future__ import annotations

from django_tasks import task

from baton.sla.actions import do_scan_sla


@task()
def scan_sla() -> int:
    """Warnings and breaches whose instant has come (every 5 s, any number of workers)."""
    return do_scan_sla()
