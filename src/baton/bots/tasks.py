"""Bot work run by the task worker: firing the timeouts of waiting sessions."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from baton.bots.actions import do_fire_bot_timeouts, do_run_flow_on_resolve
from baton.bots.models import BotSession, SessionState

TICK_SECONDS = 1.0


@task()
def fire_bot_timeouts() -> int:
    """Sessions whose wait is over (every 5 s from the ticker, any number of workers)."""
    fired = do_fire_bot_timeouts(max_seconds=TICK_SECONDS)
    if (
        fired
        and BotSession.objects.filter(
            state=SessionState.ACTIVE, waiting_until__lte=timezone.now()
        ).exists()
    ):
        fire_bot_timeouts.enqueue()  # a backlog: carry on in another task at once
    return fired


@task()
def run_flow_on_resolve(conversation_id: int, flow_name: str) -> bool:
    """A team's on-resolve flow (queued by the resolve itself)."""
    return do_run_flow_on_resolve(conversation_id, flow_name) is not None
