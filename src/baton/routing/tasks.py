"""Routing work run by the task worker, and the one helper that requests it.

Why a task and not inline after commit: the trigger sites are the webhook (which must
answer Meta fast) and agents' clicks; the task row is written in the same transaction as
the change that freed or queued work, so a crash can never lose an assignment run, and the
embedded worker picks it up within its poll interval (0.2 s).
"""

from __future__ import annotations

from collections.abc import Iterable

from django_tasks import task

from baton.agents.tasks import do_expire_presence
from baton.routing.actions import do_assign_waiting, do_route_conversation, do_scan_shift_boundaries
from baton.routing.alerts import do_scan_overflow, do_scan_stale_conversations


def request_assignment(team_ids: Iterable[int | None]) -> None:
    """Queue an assignment run for each team (call inside the transaction that queued or
    freed work: the task row commits, or rolls back, with it)."""
    for team_id in sorted({t for t in team_ids if t is not None}):
        assign_waiting.enqueue(team_id)


@task()
def assign_waiting(team_id: int) -> int:
    return do_assign_waiting(team_id)


@task()
def route_conversation(
    conversation_id: int,
    preferred_agent: str | None = None,
    strategy: str | None = None,
    rule: str = "",
) -> str | None:
    agent = do_route_conversation(
        conversation_id, preferred_agent=preferred_agent, strategy=strategy, rule=rule
    )
    return agent.username if agent else None


@task()
def scan_stale_conversations() -> int:
    return do_scan_stale_conversations()


@task()
def scan_routing() -> dict[str, int]:
    """The periodic routing scan: presence timeouts, shift starts/ends, overflow."""
    expired = do_expire_presence()
    started, ended = do_scan_shift_boundaries()
    overflowed = do_scan_overflow()
    return {
        "presence_expired": expired,
        "shifts_started": started,
        "shifts_ended": ended,
        "overflow": overflowed,
    }
