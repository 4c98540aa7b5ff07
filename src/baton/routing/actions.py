"""Writes of the assignment engine: hand waiting conversations to agents who can take them.

Concurrency (PostgreSQL): every assignment transaction first locks the team row, then the
rows of the candidate agents in id order (``queries.get_candidates(lock=True)``), and only
then counts their open conversations. Capacity is therefore checked and taken atomically:
two assigners that share an agent (two teams, or two workers on one team) queue behind each
other instead of both seeing a free slot. Presence changes update the same user rows, so an
agent going away waits for (or is seen by) the assignment in flight. Each conversation is
then taken with the ownership machinery's row lock and compare-and-set
(``lock_conversation`` and ``apply_move``), so a concurrent manual claim wins or loses
cleanly. Lock order everywhere: team → users → conversation. On SQLite the single writer
(BEGIN IMMEDIATE) serialises all of this.

Fairness: queues are served oldest waiting first (``queries.waiting_order``), so a newer
conversation never takes a slot an older one of the same team could have had
(chatwoot#10583).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from baton.agents.models import AssignmentStrategy, EndOfShift, Team, TeamMembership, User
from baton.conversations.lifecycle import OWNED, Action
from baton.conversations.models import (
    AuditEvent,
    Conversation,
    ConversationStatus,
    Direction,
    EventKind,
    Handoff,
    HandoffStatus,
    Message,
)
from baton.conversations.ownership import apply_move, cancel_pending_handoff, lock_conversation
from baton.routing import strategies
from baton.routing.availability import Candidate, is_assignable
from baton.routing.candidates import (
    ROUTABLE_ROLES,
    get_candidates,
    get_shift_state,
    queued_in_team,
    waiting_order,
)
from baton.routing.strategies import Pick

logger = logging.getLogger("baton.routing")

# Conversations assigned per transaction: long enough to amortise the locks, short enough
# that presence changes and claims never wait long behind a big backlog.
BATCH = 50

STRATEGY_LABELS = {
    strategies.LEAST_LOADED: "least loaded",
    strategies.ROUND_ROBIN: "round robin",
    strategies.STICKY: "sticky",
    "preferred_agent": "preferred agent",
}


@dataclass(frozen=True)
class Waiting:
    """A queued conversation as the assigner needs it, with what its routing rule asked."""

    id: int
    last_owner_id: int | None
    waiting_key: datetime
    preferred_agent_id: int | None = None
    strategy: str = ""
    rule: str = ""


class Assigner:
    """One transaction's locked view of a team: decide and take capacity, then apply.

    Must be created inside ``transaction.atomic()``; holds the team and agent row locks
    until that transaction ends.
    """

    def __init__(self, team_id: int, now: datetime, *, extra_user_ids: Iterable[int] = ()):
        # NO KEY UPDATE: new conversations of this team (FK) must not wait for an assigner.
        self.team = Team.objects.select_for_update(no_key=True).get(pk=team_id)
        self.now = now
        self.candidates: dict[int, Candidate] = get_candidates(
            self.team, now, extra_user_ids=extra_user_ids, lock=True
        )
        self.cursor = self.team.round_robin_cursor
        self._users: dict[int, User] = {}
        self._assigned_agents: set[int] = set()

    def any_assignable(self, excluding: int | None = None) -> bool:
        return any(is_assignable(c) for c in self.candidates.values() if c.id != excluding)

    def pick(
        self,
        waiting: Waiting,
        strategy: str | None = None,
        *,
        preferred_id: int | None = None,
        excluding: int | None = None,
    ) -> Pick | None:
        if preferred_id is not None:
            preferred = self.candidates.get(preferred_id)
            if preferred is not None and is_assignable(preferred):
                return Pick(preferred.id, "preferred_agent", "named by the routing rule")
        pool = [c for c in self.candidates.values() if c.id != excluding]
        strategy = strategy or self.team.assignment_strategy
        last_seen = None
        if strategy == strategies.STICKY and waiting.last_owner_id is not None:
            last_seen = (
                AuditEvent.objects.filter(
                    conversation_id=waiting.id, from_owner_id=waiting.last_owner_id
                )
                .order_by("-created_at")
                .values_list("created_at", flat=True)
                .first()
            )
        return strategies.choose_agent(
            strategy,
            pool,
            cursor=self.cursor,
            last_agent_id=waiting.last_owner_id,
            last_seen=last_seen,
            now=self.now,
            sticky_days=self.team.sticky_days,
        )

    def pick_teammate(self, waiting: Waiting, instead_of: int) -> Pick | None:
        """Someone other than ``instead_of`` to take over their conversation (end of shift,
        silent owner): the team's strategy, or least loaded in a manual team, since these
        conversations must go to someone rather than wait to be claimed."""
        strategy = (
            strategies.LEAST_LOADED
            if self.team.assignment_strategy == AssignmentStrategy.MANUAL
            else None
        )
        return self.pick(waiting, strategy, excluding=instead_of)

    def take(self, pick: Pick) -> tuple[User, Candidate]:
        before = self.candidates[pick.agent_id]
        self.candidates[pick.agent_id] = replace(
            before, open_count=before.open_count + 1, last_assigned_at=self.now
        )
        if pick.strategy == strategies.ROUND_ROBIN:
            self.cursor = pick.agent_id
        self._assigned_agents.add(pick.agent_id)
        if pick.agent_id not in self._users:
            self._users[pick.agent_id] = User.objects.get(pk=pick.agent_id)
        return self._users[pick.agent_id], before

    def explain(self, pick: Pick, before: Candidate, rule: str) -> tuple[str, dict[str, Any]]:
        label = STRATEGY_LABELS.get(pick.strategy, pick.strategy)
        reason = f"{label}: {pick.why}"
        if rule:
            reason = f"rule “{rule}” → {reason}"
        data = {
            "strategy": pick.strategy,
            "team_strategy": self.team.assignment_strategy,
            "rule": rule or None,
            "why": pick.why,
            "open_before": before.open_count,
            "capacity": before.capacity,
            "assignable_agents": sum(1 for c in self.candidates.values() if is_assignable(c)),
        }
        return reason, data

    def assign(self, waiting: Waiting, pick: Pick, *, rule: str = "") -> User | None:
        """Give a queued conversation to the picked agent; None if it was taken meanwhile."""
        conversation = lock_conversation(waiting.id)
        if (
            conversation.status != ConversationStatus.QUEUED
            or conversation.owner_id is not None
            or conversation.team_id != self.team.pk
        ):
            return None
        agent, before = self.take(pick)
        reason, data = self.explain(pick, before, rule)
        data["waited_seconds"] = round((self.now - waiting.waiting_key).total_seconds(), 3)
        apply_move(
            conversation,
            Action.AUTO_ASSIGN,
            actor=None,
            kind=EventKind.AUTO_ASSIGNED,
            owner=agent,
            reason=reason,
            data=data,
        )
        return agent

    def hand_over(self, conversation_id: int, from_user_id: int, pick: Pick, note: str) -> bool:
        """End of shift: a recorded handoff, accepted on the receiver's behalf."""
        conversation = lock_conversation(conversation_id)
        if conversation.owner_id != from_user_id or conversation.status not in OWNED:
            return False
        agent, before = self.take(pick)
        reason, data = self.explain(pick, before, "")
        cancel_pending_handoff(conversation, agent, "the shift ended")
        from_user = conversation.owner
        assert from_user is not None
        handoff = Handoff.objects.create(
            conversation=conversation,
            from_user=from_user,
            to_user=agent,
            requested_by=from_user,
            reason="shift ended",
            note=note,
            status=HandoffStatus.ACCEPTED,
            created_at=self.now,
            expires_at=self.now,
            responded_at=self.now,
            response_reason="accepted automatically",
        )
        apply_move(
            conversation,
            Action.ACCEPT_HANDOFF,
            actor=None,
            kind=EventKind.HANDOFF_ACCEPTED,
            owner=agent,
            reason="shift ended",
            note=note,
            data={**data, "handoff_id": handoff.pk, "automatic": True, "chosen_by": reason},
            extra={"last_owner": from_user},
        )
        return True

    def finish(self) -> None:
        """Persist what this transaction's decisions changed besides the conversations:
        round robin's position and the agents' last assignment time (least loaded's
        tie-breaker). Call before the transaction ends; the rows are still locked."""
        if self._assigned_agents:
            User.objects.filter(pk__in=self._assigned_agents).update(last_assigned_at=self.now)
            self._assigned_agents.clear()
        if self.cursor != self.team.round_robin_cursor:
            Team.objects.filter(pk=self.team.pk).update(round_robin_cursor=self.cursor)
            self.team.round_robin_cursor = self.cursor


def waiting_items(qs, limit: int | None = None) -> list[Waiting]:
    # waiting_key is annotated by waiting_order(), which the type plugin cannot follow.
    rows = waiting_order(qs).values_list(  # type: ignore[misc]
        "pk",
        "last_owner_id",
        "waiting_key",
        "preferred_agent_id",
        "assignment_strategy",
        "routing_rule__name",
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        Waiting(pk, last_owner_id, key, preferred, strategy or "", rule or "")
        for pk, last_owner_id, key, preferred, strategy, rule in rows
    ]


def _with_rule_requests(qs):
    """In a manual team, only conversations a routing rule sent to an agent or a strategy."""
    return qs.filter(
        Q(preferred_agent__isnull=False)
        | (~Q(assignment_strategy="") & ~Q(assignment_strategy=AssignmentStrategy.MANUAL))
    )


def _without_manual_requests(qs):
    """Leave out what a routing rule kept for the manual queue (they wait to be claimed)."""
    return qs.exclude(Q(assignment_strategy=AssignmentStrategy.MANUAL) & Q(preferred_agent=None))


def _drain(assigner: Assigner, waiting: list[Waiting]) -> tuple[int, bool]:
    """Assign ``waiting`` in order while someone can take it; (assigned, stopped early).

    Each conversation is picked with what its routing rule asked (a named agent, a
    strategy); a rule that asked for the manual queue leaves it there without stopping.
    """
    assigned = 0
    for item in waiting:
        pick = assigner.pick(item, item.strategy or None, preferred_id=item.preferred_agent_id)
        if pick is None:
            if item.strategy == AssignmentStrategy.MANUAL:
                continue
            return assigned, True
        if assigner.assign(item, pick, rule=item.rule) is not None:
            assigned += 1
    return assigned, False


def do_assign_waiting(team_id: int, *, now: datetime | None = None) -> int:
    """Assign the team's queued conversations, oldest waiting first, while assignable
    agents exist (never above capacity). Returns how many were assigned. Idempotent: safe
    to run from any trigger, any number of times, concurrently."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            if not Team.objects.filter(pk=team_id).exists():
                return total
            queue = queued_in_team(team_id)
            # Agents a rule named may be outside the team: they are candidates too.
            named = set(
                queue.filter(preferred_agent__isnull=False).values_list(
                    "preferred_agent_id", flat=True
                )
            )
            assigner = Assigner(team_id, now, extra_user_ids=sorted(named))
            if assigner.team.assignment_strategy == AssignmentStrategy.MANUAL:
                queue = _with_rule_requests(queue)
            else:
                queue = _without_manual_requests(queue)
            if not assigner.any_assignable():
                return total
            batch = waiting_items(queue, BATCH)
            assigned, stopped = _drain(assigner, batch)
            assigner.finish()
        total += assigned
        # A full batch that assigned nothing would come back unchanged: stop, never spin.
        if stopped or len(batch) < BATCH or assigned == 0:
            return total


def do_route_conversation(
    conversation_id: int,
    *,
    preferred_agent: str | None = None,
    strategy: str | None = None,
    rule: str = "",
    now: datetime | None = None,
) -> User | None:
    """Route one queued conversation (called by routing rules, or after it opens).

    Older conversations of the same team waiting in the queue are served first, with the
    team's strategy: a newer conversation never takes capacity an older one could use, even
    when a rule names a preferred agent. Then this one goes to ``preferred_agent`` if they
    are assignable (present, on shift, under capacity), else to ``strategy`` (or the
    team's). Returns the new owner, or None when it stays queued. The timeline records the
    strategy and the rule that chose the agent.
    """
    if strategy is not None and strategy not in strategies.STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}")
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            Conversation.objects.filter(pk=conversation_id)
            .values_list("team_id", "status", "owner_id")
            .first()
        )
        if row is None or row[0] is None or row[1] != ConversationStatus.QUEUED or row[2]:
            return None
        team_id = row[0]
        preferred_id = None
        if preferred_agent:
            preferred_id = (
                User.objects.filter(
                    username=preferred_agent, is_active=True, role__in=ROUTABLE_ROLES
                )
                .values_list("pk", flat=True)
                .first()
            )
        assigner = Assigner(team_id, now, extra_user_ids=[preferred_id] if preferred_id else [])
        found = waiting_items(queued_in_team(team_id).filter(pk=conversation_id))
        if not found:
            return None  # taken between the first read and the locks
        this = found[0]
        if assigner.team.assignment_strategy != AssignmentStrategy.MANUAL:
            # Older ones first, as many as the agents can take (stop at the first miss).
            older = waiting_order(_without_manual_requests(queued_in_team(team_id))).filter(
                Q(waiting_key__lt=this.waiting_key)
                | Q(waiting_key=this.waiting_key, pk__lt=this.id)
            )
            while assigner.any_assignable():
                batch = waiting_items(older, BATCH)
                assigned, stopped = _drain(assigner, batch)
                if stopped or len(batch) < BATCH or assigned == 0:
                    break
        pick = assigner.pick(
            this,
            strategy or this.strategy or None,
            preferred_id=preferred_id or this.preferred_agent_id,
        )
        agent = assigner.assign(this, pick, rule=rule or this.rule) if pick is not None else None
        assigner.finish()
        return agent


# ------------------------------------------------------------------------------------------
# End of shift, owner silent, overflow


def _latest_notes(conversation_id: int, author_id: int, limit: int = 3) -> str:
    texts = list(
        Message.objects.filter(
            conversation_id=conversation_id, direction=Direction.NOTE, author_id=author_id
        )
        .order_by("-timestamp", "-id")
        .values_list("text", flat=True)[:limit]
    )
    return "\n".join(reversed(texts))


def do_end_shift(user_id: int, team_id: int, *, now: datetime | None = None) -> int:
    """Apply the team's end-of-shift policy to the agent's open conversations in it.

    keep: nothing moves. hand_off: each goes to an assignable teammate as a recorded
    handoff (reason "shift ended", with the agent's latest notes); those nobody can take go
    back to the queue. return_to_queue: back to the team's queue. Returns how many moved.
    """
    now = now or timezone.now()
    team = Team.objects.get(pk=team_id)
    if team.end_of_shift == EndOfShift.KEEP:
        return 0
    moved = 0
    with transaction.atomic():
        assigner = Assigner(team_id, now)
        owned = waiting_order(
            Conversation.objects.filter(owner_id=user_id, team_id=team_id, status__in=OWNED)
        ).values_list("pk", "waiting_key")  # type: ignore[misc]
        for conversation_id, key in owned:
            if team.end_of_shift == EndOfShift.HAND_OFF:
                pick = assigner.pick_teammate(Waiting(conversation_id, None, key), user_id)
                if pick is not None and assigner.hand_over(
                    conversation_id, user_id, pick, _latest_notes(conversation_id, user_id)
                ):
                    moved += 1
                    continue
            moved += _return_to_queue(conversation_id, user_id, now)
        assigner.finish()
    return moved


def _return_to_queue(conversation_id: int, user_id: int, now: datetime) -> int:
    conversation = lock_conversation(conversation_id)
    if conversation.owner_id != user_id or conversation.status not in OWNED:
        return 0
    cancel_pending_handoff(conversation, conversation.owner, "the shift ended")  # type: ignore[arg-type]
    apply_move(
        conversation,
        Action.RELEASE,
        actor=None,
        kind=EventKind.RELEASED,
        owner=None,
        reason="shift ended",
        note=_latest_notes(conversation_id, user_id),
        extra={"last_owner": conversation.owner},
    )
    return 1


def do_scan_shift_boundaries(now: datetime | None = None) -> tuple[int, int]:
    """Detect shifts that started or ended since the last scan (idempotent: each flip of
    ``TeamMembership.on_shift`` is a compare-and-set, so it happens once however many
    workers scan). A start runs the team's queue; an end applies the team's policy.
    Returns (started, ended)."""
    now = now or timezone.now()
    started = ended = 0
    for team in Team.objects.all():
        memberships = list(
            TeamMembership.objects.filter(
                team=team, user__is_active=True, user__role__in=ROUTABLE_ROLES
            ).values_list("pk", "user_id", "on_shift")
        )
        state = get_shift_state(team, [user_id for _, user_id, _ in memberships], now)
        team_changed = False
        for pk, user_id, was in memberships:
            is_now = state[user_id]
            if is_now == was:
                continue
            if not TeamMembership.objects.filter(pk=pk, on_shift=was).update(on_shift=is_now):
                continue  # another scanner recorded this flip
            team_changed = True
            if is_now:
                started += 1
            else:
                ended += 1
                do_end_shift(user_id, team.pk, now=now)
        if team_changed:
            do_assign_waiting(team.pk, now=now)
    return started, ended
