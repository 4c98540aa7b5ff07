"""Assignment strategies: which agent gets the next conversation (pure: no database).

Every strategy takes the team's candidates (``availability.Candidate``) and returns one
of the *assignable* ones, or None. Ties are broken deterministically so the same state
always gives the same answer (tests and simulations reproduce).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from baton.routing.availability import Candidate, is_assignable

LEAST_LOADED = "least_loaded"
ROUND_ROBIN = "round_robin"
STICKY = "sticky"
MANUAL = "manual"
STRATEGIES = (LEAST_LOADED, ROUND_ROBIN, STICKY, MANUAL)

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Pick:
    """The chosen agent and the words the timeline shows for why."""

    agent_id: int
    strategy: str
    why: str


def _assignable(candidates: Sequence[Candidate]) -> list[Candidate]:
    return [c for c in candidates if is_assignable(c)]


def pick_least_loaded(candidates: Sequence[Candidate]) -> Candidate | None:
    """Most free capacity; then whoever waited longest since their last assignment; then
    the lowest id."""
    pool = _assignable(candidates)
    if not pool:
        return None
    return min(pool, key=lambda c: (-c.free, c.last_assigned_at or _NEVER, c.id))


def pick_round_robin(candidates: Sequence[Candidate], cursor: int) -> Candidate | None:
    """The next assignable agent after ``cursor`` (the id given the previous one), in id
    order, wrapping around. Unavailable agents are skipped, not queued for later."""
    pool = sorted(_assignable(candidates), key=lambda c: c.id)
    if not pool:
        return None
    for candidate in pool:
        if candidate.id > cursor:
            return candidate
    return pool[0]


def pick_sticky(
    candidates: Sequence[Candidate],
    last_agent_id: int | None,
    last_seen: datetime | None,
    now: datetime,
    days: int,
) -> Candidate | None:
    """The customer's last agent, if they are assignable and the customer was last served
    within ``days``; None otherwise (the caller then falls back to least loaded)."""
    if last_agent_id is None or last_seen is None or now - last_seen > timedelta(days=days):
        return None
    for candidate in candidates:
        if candidate.id == last_agent_id and is_assignable(candidate):
            return candidate
    return None


def choose_agent(
    strategy: str,
    candidates: Sequence[Candidate],
    *,
    cursor: int = 0,
    last_agent_id: int | None = None,
    last_seen: datetime | None = None,
    now: datetime | None = None,
    sticky_days: int = 7,
) -> Pick | None:
    """Apply a team's strategy. Manual never picks; sticky falls back to least loaded."""
    if strategy == MANUAL:
        return None
    if strategy == ROUND_ROBIN:
        chosen = pick_round_robin(candidates, cursor)
        return Pick(chosen.id, ROUND_ROBIN, "next in turn") if chosen else None
    if strategy == STICKY and now is not None:
        chosen = pick_sticky(candidates, last_agent_id, last_seen, now, sticky_days)
        if chosen is not None:
            return Pick(chosen.id, STICKY, f"the customer's last agent (within {sticky_days} d)")
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}")
    chosen = pick_least_loaded(candidates)
    if chosen is None:
        return None
    why = f"most free capacity ({chosen.open_count}/{chosen.capacity} open)"
    if strategy == STICKY:
        why = "sticky fallback, no recent last agent available: " + why
    return Pick(chosen.id, LEAST_LOADED, why)
