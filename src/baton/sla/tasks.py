"""SLA work run by the task worker: the periodic scan."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from baton.sla.actions import do_scan_sla
from baton.sla.models import ConversationSla
from baton.sla.prediction_scan import do_predict_breaches

# A tick never holds a worker longer than this; a backlog (a storm of breaches at one
# instant) continues in another scan, queued at once.
TICK_SECONDS = 1.0


@task()
def scan_sla() -> int:
    """Warnings and breaches whose instant has come (every 5 s, any number of workers)."""
    looked_at = do_scan_sla(max_seconds=TICK_SECONDS)
    # After a refresh a row's next check is in the future: rows still due are a backlog.
    if looked_at and ConversationSla.objects.filter(next_check_at__lte=timezone.now()).exists():
        scan_sla.enqueue()
    return looked_at


@task()
def predict_breaches() -> int:
    """Predicted breaches from the queues and the teams' capacity (every 15 s: a few hundred
    milliseconds for 10,000 queued conversations, so not on the 5 s scan)."""
    return do_predict_breaches()
