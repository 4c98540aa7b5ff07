"""Rows the platform itself keeps: which task workers are alive."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """A task worker's sign of life, refreshed every few seconds while it runs.

    A task left RUNNING under a worker whose heartbeat is older than the lease belongs to a
    dead process and is re-queued (``core.actions.do_reap_abandoned_tasks``); ``/healthz``
    counts the live ones.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"
