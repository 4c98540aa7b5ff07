"""The board's numbers against the hand-counted world (tests/dashboard/conftest.py)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from baton.agents.actions import do_set_presence
from baton.conversations.ownership import do_claim_conversation, do_resolve_conversation
from baton.core.errors import PermissionDenied
from baton.dashboard.queries import get_board, shift_end
from baton.routing.availability import ShiftWindow
from tests.conftest import make_user
from tests.routing.factories import add_shift, make_agent, make_team, queue_conversation


def teams_of(board):
    return {t.name: t for t in board.teams}


def agents_of(board):
    return {a.username: a for a in board.agents}


def test_team_numbers_match_the_hand_count(world):
    support = teams_of(get_board(world.maria, world.now))["Support"]
    assert support.queue_depth == 3
    assert support.oldest_waiting_seconds == pytest.approx(600, abs=1)
    assert support.handoffs_waiting == 1
    assert support.with_bot == 1
    assert (support.sla_running, support.sla_warning, support.sla_breached) == (2, 1, 1)
    assert support.predicted_breaches == 1
    # maria and root (offline), alice (available), bob (away): no schedules, all on shift.
    assert (support.agents_available, support.agents_on_shift) == (1, 4)
    # alice 2 assigned + 1 pending, bob 1: the bot's and the queue's do not count.
    assert support.open == 4
    assert support.capacity == 5 + 5 + 3 + 5


def test_agent_numbers_match_the_hand_count(world):
    agents = agents_of(get_board(world.maria, world.now))
    alice = agents["alice"]
    assert (alice.presence, alice.on_shift, alice.shift_ends_at) == ("available", True, None)
    assert (alice.open, alice.capacity) == (3, 3)
    assert alice.oldest_unanswered_seconds == pytest.approx(240, abs=1)
    assert alice.replies_today == 2  # not yesterday's, not the note
    assert alice.first_responses_today == 3  # met, missed and stopped; not yesterday's
    assert alice.median_first_response_seconds == 120
    bob = agents["bob"]
    assert (bob.presence, bob.open, bob.replies_today, bob.first_responses_today) == (
        "away",
        1,
        1,
        0,  # his breach record is not an answer
    )
    assert bob.median_first_response_seconds is None
    assert bob.oldest_unanswered_seconds is None


def test_a_manager_never_sees_another_teams_numbers(world):
    maria = get_board(world.maria, world.now)
    assert [t.name for t in maria.teams] == ["Support"]
    assert "sam" not in agents_of(maria)
    max_ = get_board(world.max, world.now)
    assert [t.name for t in max_.teams] == ["Sales"]
    assert set(agents_of(max_)) == {"max", "sam"}
    sales = teams_of(max_)["Sales"]
    assert (sales.queue_depth, sales.open, sales.sla_breached) == (2, 1, 1)
    assert sales.oldest_waiting_seconds == pytest.approx(1800, abs=1)


def test_admins_see_every_team(world):
    assert [t.name for t in get_board(world.admin, world.now).teams] == ["Sales", "Support"]


def test_agents_are_refused(world):
    with pytest.raises(PermissionDenied):
        get_board(world.alice, world.now)


def test_no_teams_is_an_empty_board(db):
    from baton.agents.models import Team

    admin = make_user("root", role="admin")
    Team.objects.all().delete()
    board = get_board(admin)
    assert (board.teams, board.agents) == ([], [])


def test_on_shift_until_the_end_of_the_running_shift(db):
    from django.utils import timezone

    team = make_team("Night", time_zone="Europe/Madrid")
    carla = make_agent("carla", team)
    dan = make_agent("dan", team)
    now = timezone.now()
    for weekday in range(7):  # every day, all day (an end at the start runs to midnight)
        add_shift(carla, team, weekday, time(0), time(0))
    add_shift(dan, team, 0, time(3), time(3, 1))  # one minute a week: off shift now
    admin = make_user("root", role="admin")
    agents = agents_of(get_board(admin, now))
    assert agents["carla"].on_shift is True
    # Days that touch are one shift: it runs on past the end of the week we look at.
    assert agents["carla"].shift_ends_at > now + timedelta(days=6)
    assert (agents["dan"].on_shift, agents["dan"].shift_ends_at) == (False, None)
    night = teams_of(get_board(admin, now))["Night"]
    assert (night.agents_on_shift, night.agents_available) == (1, 1)


def test_shift_end_follows_shifts_that_touch():
    from datetime import UTC, datetime

    windows = (ShiftWindow(0, time(22), time(0)), ShiftWindow(1, time(0), time(6)))
    monday_night = datetime(2025, 3, 3, 23, 0, tzinfo=UTC)  # a Monday
    assert shift_end("UTC", windows, monday_night) == datetime(2025, 3, 4, 6, 0, tzinfo=UTC)
    assert shift_end("UTC", windows, datetime(2025, 3, 4, 12, 0, tzinfo=UTC)) is None


def test_todays_activity_presence_assignments_and_resolves(world):
    do_set_presence(world.alice, "away")
    do_set_presence(world.alice, "available")
    do_claim_conversation(world.queued[0].pk, world.alice)
    do_resolve_conversation(world.queued[0].pk, world.alice)
    alice = agents_of(get_board(world.maria, agent="alice"))["alice"]
    kinds = [item.kind for item in alice.activity]
    assert kinds == ["presence", "presence", "assigned", "resolved"]
    assert alice.activity[0].label == "available → away"
    assert alice.activity[2].conversation_id == world.queued[0].pk
    # The strip: available from midnight until the first change, away, then available.
    assert [s.presence for s in alice.presence_spans] == ["available", "away", "available"]
    assert sum(s.width for s in alice.presence_spans) == pytest.approx(
        (alice.activity[-1].at - alice.day_start).total_seconds() / 86400, abs=0.01
    )


def test_handoff_in_and_out_land_on_both_days(world):
    from baton.conversations.ownership import do_accept_handoff

    do_accept_handoff(world.bob_offered.pk, world.alice)
    alice = agents_of(get_board(world.maria, agent="alice"))["alice"]
    bob = agents_of(get_board(world.maria, agent="bob"))["bob"]
    assert [i.kind for i in alice.activity] == ["handoff_in"]
    assert [i.kind for i in bob.activity] == ["handoff_out"]


def test_the_boards_counts_of_the_day_are_its_items(world):
    from baton.conversations.ownership import do_handoff_conversation, do_release_conversation

    do_claim_conversation(world.queued[0].pk, world.alice)
    do_claim_conversation(world.queued[1].pk, world.alice)
    do_release_conversation(world.queued[1].pk, world.alice)
    do_resolve_conversation(world.queued[0].pk, world.alice)
    do_handoff_conversation(world.alice_other.pk, world.alice, to_username="bob", reason="r")
    summary = agents_of(get_board(world.maria))
    for name in ("alice", "bob"):
        items = agents_of(get_board(world.maria, agent=name))[name]
        assert summary[name].moves_today == items.moves_today, name
        assert summary[name].buckets == items.buckets, name
    assert summary["alice"].moves_today == {
        "assigned": 2,
        "handoff_in": 0,
        "handoff_out": 0,  # offered, not accepted yet
        "released": 1,
        "resolved": 1,
    }


def test_query_count_is_constant_whatever_the_size(db, django_assert_max_num_queries):
    from django.utils import timezone

    admin = make_user("root", role="admin")

    def grow(prefix: str) -> None:
        for n in range(3):
            team = make_team(f"{prefix}-team-{n}")
            for m in range(3):
                agent = make_agent(f"{prefix}-{n}-{m}", team)
                add_shift(agent, team, 0, time(9), time(17))
                do_set_presence(agent, "away")
                conv = queue_conversation(team, timezone.now() - timedelta(minutes=m))
                do_claim_conversation(conv.pk, agent)

    grow("a")
    with django_assert_max_num_queries(12) as small:
        get_board(admin)
    grow("b")
    with django_assert_max_num_queries(12) as large:
        get_board(admin)
    assert len(large.captured_queries) == len(small.captured_queries)
