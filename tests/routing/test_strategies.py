"""Assignment strategies: unit cases and properties (hypothesis)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.routing.availability import Candidate, is_assignable
from baton.routing.strategies import (
    LEAST_LOADED,
    MANUAL,
    ROUND_ROBIN,
    STICKY,
    choose_agent,
    pick_least_loaded,
    pick_round_robin,
    pick_sticky,
)

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def agent(id: int, open_count: int = 0, capacity: int = 3, **kw) -> Candidate:
    fields = {"presence": "available", "on_shift": True, **kw}
    return Candidate(id=id, open_count=open_count, capacity=capacity, **fields)


candidates_st = st.lists(
    st.builds(
        Candidate,
        id=st.integers(1, 10_000),
        presence=st.sampled_from(["available", "away", "offline"]),
        on_shift=st.booleans(),
        open_count=st.integers(0, 12),
        capacity=st.integers(0, 12),
        is_active=st.booleans(),
        last_assigned_at=st.none()
        | st.datetimes(
            min_value=datetime(2026, 1, 1),  # noqa: DTZ001
            max_value=datetime(2026, 12, 1),  # noqa: DTZ001
            timezones=st.just(UTC),
        ),
    ),
    max_size=12,
    unique_by=lambda c: c.id,
)


def test_least_loaded_picks_most_free_capacity():
    pool = [agent(1, open_count=2), agent(2, open_count=0), agent(3, open_count=1)]
    assert pick_least_loaded(pool).id == 2


def test_least_loaded_compares_free_capacity_not_raw_load():
    # Agent 1 has more open chats but a much larger capacity.
    pool = [agent(1, open_count=3, capacity=10), agent(2, open_count=1, capacity=2)]
    assert pick_least_loaded(pool).id == 1


def test_least_loaded_tie_goes_to_who_waited_longest_then_lowest_id():
    earlier, later = NOW - timedelta(hours=1), NOW
    pool = [agent(1, last_assigned_at=later), agent(2, last_assigned_at=earlier)]
    assert pick_least_loaded(pool).id == 2
    assert pick_least_loaded([*pool, agent(3)]).id == 3  # never assigned: first
    assert pick_least_loaded([agent(5), agent(4)]).id == 4


def test_round_robin_goes_in_id_order_and_wraps():
    pool = [agent(3), agent(1), agent(2)]
    assert pick_round_robin(pool, 0).id == 1
    assert pick_round_robin(pool, 1).id == 2
    assert pick_round_robin(pool, 3).id == 1


def test_round_robin_skips_unavailable_and_full_agents():
    pool = [agent(1), agent(2, presence="away"), agent(3, open_count=3), agent(4)]
    assert pick_round_robin(pool, 1).id == 4


def test_sticky_returns_the_last_agent_within_the_window_only():
    pool = [agent(1), agent(2, open_count=2)]
    assert pick_sticky(pool, 2, NOW - timedelta(days=6), NOW, 7).id == 2
    assert pick_sticky(pool, 2, NOW - timedelta(days=8), NOW, 7) is None
    assert pick_sticky(pool, None, None, NOW, 7) is None
    assert pick_sticky([agent(1), agent(2, presence="away")], 2, NOW, NOW, 7) is None


def test_choose_agent_sticky_falls_back_to_least_loaded():
    pool = [agent(1, open_count=2), agent(2, presence="offline"), agent(3, open_count=1)]
    pick = choose_agent(STICKY, pool, last_agent_id=2, last_seen=NOW, now=NOW)
    assert (pick.agent_id, pick.strategy) == (3, LEAST_LOADED)
    assert "sticky fallback" in pick.why
    pick = choose_agent(STICKY, pool, last_agent_id=1, last_seen=NOW, now=NOW)
    assert (pick.agent_id, pick.strategy) == (1, STICKY)


def test_manual_never_picks_and_unknown_strategy_is_an_error():
    assert choose_agent(MANUAL, [agent(1)]) is None
    with pytest.raises(ValueError, match="unknown strategy"):
        choose_agent("random", [agent(1)])


def test_choose_agent_explains_the_choice():
    pick = choose_agent(LEAST_LOADED, [agent(1, open_count=1, capacity=4)])
    assert pick.why == "most free capacity (1/4 open)"
    assert choose_agent(ROUND_ROBIN, [agent(7)], cursor=7).why == "next in turn"


# -- properties ---------------------------------------------------------------------------


@given(candidates_st, st.sampled_from([LEAST_LOADED, ROUND_ROBIN, STICKY]), st.integers(0, 10**4))
def test_never_an_unassignable_agent(pool, strategy, cursor):
    last = pool[0].id if pool else None
    pick = choose_agent(strategy, pool, cursor=cursor, last_agent_id=last, last_seen=NOW, now=NOW)
    assignable = [c for c in pool if is_assignable(c)]
    if not assignable:
        assert pick is None
    else:
        chosen = next(c for c in pool if c.id == pick.agent_id)
        assert is_assignable(chosen)
        assert chosen.open_count < chosen.capacity  # never at or above capacity


@given(candidates_st)
def test_least_loaded_picks_maximum_free_capacity(pool):
    chosen = pick_least_loaded(pool)
    assignable = [c for c in pool if is_assignable(c)]
    if chosen is None:
        assert not assignable
    else:
        assert chosen.free == max(c.free for c in assignable)


@given(candidates_st, st.integers(0, 200))
def test_assigning_repeatedly_never_exceeds_capacity(pool, conversations):
    """Feed conversations one at a time, updating loads: nobody ends above capacity and
    nothing stays unassigned while free capacity exists."""
    state = {c.id: c for c in pool}
    unassigned = 0
    for _ in range(conversations):
        chosen = pick_least_loaded(list(state.values()))
        if chosen is None:
            unassigned += 1
            continue
        state[chosen.id] = Candidate(**{**chosen.__dict__, "open_count": chosen.open_count + 1})
    for before in pool:
        after = state[before.id]
        assert after.open_count <= max(before.open_count, before.capacity)
        if not is_assignable(before):
            assert after.open_count == before.open_count
    if unassigned:
        assert not any(is_assignable(c) for c in state.values())


@given(st.integers(1, 8), st.integers(1, 60))
def test_round_robin_is_fair_among_equal_agents(agents, rounds):
    pool = [agent(i, capacity=10**6) for i in range(1, agents + 1)]
    cursor = 0
    counts: Counter[int] = Counter()
    for _ in range(rounds):
        chosen = pick_round_robin(pool, cursor)
        counts[chosen.id] += 1
        cursor = chosen.id
    assert max(counts.values()) - min(counts[c.id] for c in pool) <= 1


@given(st.integers(1, 8), st.integers(1, 60))
def test_least_loaded_spreads_evenly_from_empty(agents, rounds):
    pool = {i: agent(i, capacity=10**6) for i in range(1, agents + 1)}
    for _ in range(rounds):
        chosen = pick_least_loaded(list(pool.values()))
        pool[chosen.id] = agent(chosen.id, open_count=chosen.open_count + 1, capacity=10**6)
    loads = [c.open_count for c in pool.values()]
    assert max(loads) - min(loads) <= 1


@given(candidates_st, st.integers(0, 30))
def test_sticky_only_returns_the_named_agent(pool, days):
    for c in pool:
        chosen = pick_sticky(pool, c.id, NOW - timedelta(days=days), NOW, 7)
        if chosen is not None:
            assert chosen.id == c.id
            assert is_assignable(c)
            assert days <= 7
