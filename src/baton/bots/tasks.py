"""Bot work run by the task worker: firing the timeouts of waiting sessions, running a
team's on-resolve flow and posting agent-bot events."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks import task

from baton.bots.actions import do_fire_bot_timeouts, do_run_flow_on_resolve
from baton.bots.agent_bot import MAX_ATTEMPTS, post_event, retry_delay
from baton.bots.models import AgentBot, BotSession, SessionState

logger = logging.getLogger("baton.bots")

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


@task()
def deliver_agent_bot_event(agent_bot_id: int, payload: dict[str, Any], attempt: int) -> int:
    """POST one signed event to an agent bot; anything but 2xx is retried later (2, 8, 32,
    128 s), then dropped with a warning. Returns the HTTP status (0: unreachable)."""
    agent = AgentBot.objects.filter(pk=agent_bot_id, enabled=True).first()
    if agent is None:
        return 0
    status = post_event(agent.webhook_url, agent.secret, payload)
    if 200 <= status < 300:
        return status
    if attempt < MAX_ATTEMPTS:
        deliver_agent_bot_event.using(
            run_after=timezone.now() + timedelta(seconds=retry_delay(attempt))
        ).enqueue(agent_bot_id, payload, attempt + 1)
    else:
        logger.warning(
            "agent bot %s: event %s dropped after %s attempts (last HTTP %s)",
            agent_bot_id,
            payload.get("delivery"),
            attempt,
            status,
        )
    return status
