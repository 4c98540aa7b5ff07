"""A simulated shift: 3 agents, 200 conversations in an hour, one agent leaving mid-shift.

Time is driven explicitly (``now`` arguments), not slept: every 10 simulated seconds the
loop delivers arrivals, resolves finished chats, scans shift boundaries and runs
assignment, checking the invariants after each step. Run with ``-s`` to see the report
(wait times and how evenly the load was spread).
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import UTC, datetime, time, timedelta

from baton.conversations import ownership
from baton.conversations.models import Conversation
from baton.routing.actions import do_assign_waiting, do_scan_shift_boundaries
from baton.routing.availability import is_assignable
from baton.routing.candidates import get_candidates
from tests.routing.factories import add_shift, make_agent, make_team, queue_conversation

START = datetime(2026, 11, 23, 9, tzinfo=UTC)  # Monday 09:00
TICK = timedelta(seconds=10)
ARRIVALS = 200
CAPACITY = 4


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def test_shift_simulation(db):
    rng = random.Random(7)
    team = make_team("Support", default_capacity=CAPACITY, end_of_shift="hand_off")
    agents = {name: make_agent(name, team) for name in ("ana", "ben", "eve")}
    for name, agent in agents.items():
        end = time(9, 30) if name == "eve" else time(11)  # eve leaves mid-shift
        add_shift(agent, team, START.weekday(), time(9), end)
    # 200 arrivals spread over the hour (Poisson process), 1-3 minutes of handling each.
    arrivals = sorted(START + timedelta(seconds=rng.uniform(0, 3600)) for _ in range(ARRIVALS))
    handling = [timedelta(seconds=rng.uniform(60, 180)) for _ in range(ARRIVALS)]

    arrived_at: dict[int, datetime] = {}
    assigned_at: dict[int, datetime] = {}
    done_at: dict[int, datetime] = {}
    first_owner: dict[int, int] = {}
    handling_of: dict[int, timedelta] = {}
    next_arrival = 0
    now = START
    eve = agents["eve"]
    while now <= START + timedelta(hours=2):
        # 1. Customers write.
        while next_arrival < ARRIVALS and arrivals[next_arrival] <= now:
            conversation = queue_conversation(team, arrivals[next_arrival])
            arrived_at[conversation.pk] = arrivals[next_arrival]
            handling_of[conversation.pk] = handling[next_arrival]
            next_arrival += 1
        # 2. Agents finish chats (freeing capacity).
        for pk, owner_id in Conversation.objects.filter(status="assigned").values_list(
            "pk", "owner_id"
        ):
            if assigned_at[pk] + handling_of[pk] <= now:
                owner = next(a for a in agents.values() if a.pk == owner_id)
                ownership.do_resolve_conversation(pk, owner)
                done_at[pk] = now
        # 3. Shifts begin and end; 4. the queue is served.
        do_scan_shift_boundaries(now)
        do_assign_waiting(team.pk, now=now)
        for pk, owner_id in Conversation.objects.filter(owner__isnull=False).values_list(
            "pk", "owner_id"
        ):
            if pk not in assigned_at:
                assigned_at[pk] = now
                first_owner[pk] = owner_id
        # Invariants, at every step.
        candidates = get_candidates(team, now)
        assert all(c.open_count <= c.capacity for c in candidates.values())
        if Conversation.objects.filter(status="queued").exists():
            assert not any(is_assignable(c) for c in candidates.values())
        if now >= START + timedelta(minutes=30):
            assert not Conversation.objects.filter(owner=eve).exists(), "eve is off shift"
        if (
            next_arrival == ARRIVALS
            and not Conversation.objects.exclude(status="resolved").exists()
        ):
            break
        now += TICK

    assert len(done_at) == ARRIVALS, "every conversation was served"
    waits = [(assigned_at[pk] - arrived_at[pk]).total_seconds() for pk in arrived_at]
    load = Counter(first_owner.values())
    per_agent = {name: load[agent.pk] for name, agent in agents.items()}
    full_shift = [per_agent["ana"], per_agent["ben"]]
    cv = statistics.pstdev(full_shift) / statistics.mean(full_shift)
    from baton.conversations.models import Handoff

    handed = Handoff.objects.filter(reason="shift ended", from_user=eve).count()
    print(
        f"\nshift simulation: {ARRIVALS} conversations, 3 agents (capacity {CAPACITY}), "
        f"eve leaves at 09:30, finished at {now:%H:%M:%S}\n"
        f"  wait before assignment: p50 {percentile(waits, 0.5):.0f} s, "
        f"p95 {percentile(waits, 0.95):.0f} s, max {max(waits):.0f} s\n"
        f"  assigned per agent: {per_agent}; coefficient of variation (ana, ben) {cv:.3f}\n"
        f"  eve's open chats handed off at 09:30: {handed} (waits are measured in 10 s ticks)"
    )
    # Least loaded spreads the work between the two agents who worked the whole hour.
    assert cv < 0.15
    assert per_agent["eve"] < min(full_shift)
    # No newer chat jumped the queue: assignment order follows arrival order.
    order = sorted(arrived_at, key=lambda pk: (assigned_at[pk], arrived_at[pk]))
    assert [arrived_at[pk] for pk in order] == sorted(arrived_at.values())
