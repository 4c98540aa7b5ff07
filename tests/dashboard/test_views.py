"""/dashboard/: who may open it, what it shows, and where every number leads."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import make_user

LINK = re.compile(r'data-number="(?P<name>[a-z_]+)" href="(?P<href>[^"]+)">(?P<text>[^<]*)<')
ROW = re.compile(r'data-conversation-id="(\d+)"')


def links(body: str, scope: str) -> dict[str, tuple[str, str]]:
    """The numbers inside the element marked ``scope`` (a team card, an agent row)."""
    start = body.index(scope)
    end_tag = "</article>" if "data-team" in scope else "</tr>"
    part = body[start : body.index(end_tag, start)]
    return {m["name"]: (html.unescape(m["href"]), m["text"]) for m in LINK.finditer(part)}


def listed(client, href: str) -> set[int]:
    response = client.get(href, headers={"HX-Request": "true", "HX-Target": "conversation-list"})
    assert response.status_code == 200
    return {int(i) for i in ROW.findall(response.content.decode())}


def test_anonymous_visitors_go_to_the_login_page(client, db):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_agents_get_the_styled_403(client, world):
    client.force_login(world.alice)
    response = client.get("/dashboard/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "You cannot open this page" in body
    assert "Only managers and admins see the manager" in body


def test_the_inbox_links_to_the_board_for_managers_only(client, world):
    client.force_login(world.maria)
    assert 'href="/dashboard/"' in client.get("/").content.decode()
    client.force_login(world.alice)
    assert 'href="/dashboard/"' not in client.get("/").content.decode()


def test_a_manager_sees_only_their_teams(client, world):
    client.force_login(world.maria)
    body = client.get("/dashboard/").content.decode()
    assert f'data-team="{world.support.pk}"' in body
    assert f'data-team="{world.sales.pk}"' not in body
    assert 'data-agent="sam"' not in body
    assert 'data-agent="alice"' in body


def test_every_team_number_opens_the_conversations_it_counts(client, world):
    client.force_login(world.maria)
    body = client.get("/dashboard/").content.decode()
    numbers = links(body, f'data-team="{world.support.pk}"')
    q = [c.pk for c in world.queued]
    expected = {
        "queue_depth": ("3", set(q)),
        "oldest_waiting": ("10m", set(q)),
        "handoffs_waiting": ("1", {world.bob_offered.pk}),
        "with_bot": ("1", {world.bot_conversation.pk}),
        "sla_running": ("2", {q[0], q[2]}),
        "sla_warning": ("1", {q[1]}),
        "sla_breached": ("1", {world.alice_waiting.pk}),
        "predicted_breaches": ("1", {q[2]}),
    }
    for name, (text, ids) in expected.items():
        href, shown = numbers[name]
        assert shown == text, name
        assert listed(client, href) == ids, name
    href, shown = numbers["open"]
    assert shown == "4 open"
    assert len(listed(client, href)) == 4


def test_every_agent_number_opens_the_conversations_behind_it(client, world):
    client.force_login(world.maria)
    body = client.get("/dashboard/").content.decode()
    numbers = links(body, 'data-agent="alice"')
    href, shown = numbers["agent_open"]
    assert shown == "3 / 3"
    assert len(listed(client, href)) == 3
    href, shown = numbers["oldest_unanswered"]
    assert (shown, listed(client, href)) == ("4m", {world.alice_waiting.pk})
    href, shown = numbers["replies_today"]
    assert (shown, listed(client, href)) == ("2", {world.alice_other.pk})
    href, shown = numbers["first_responses_today"]
    answered = {world.alice_other.pk, world.alice_waiting.pk, world.queued[0].pk}
    assert (shown, listed(client, href)) == ("3", answered)
    assert numbers["median_first_response"][1] == "2m"


def test_a_filter_never_widens_what_the_user_may_see(client, world):
    # maria follows a link made for Sales: the list is empty, not Sales' queue.
    client.force_login(world.maria)
    assert listed(client, f"/?team={world.sales.pk}&status=queued") == set()
    client.force_login(world.max)
    assert listed(client, f"/?team={world.sales.pk}&status=queued") == {
        c.pk for c in world.sales_queued
    }


@pytest.mark.parametrize(
    "query", ["status=nonsense", "sla=purple", "handoff=maybe", "team=abc", "owner=nobody"]
)
def test_unknown_filter_values_match_nothing(client, world, query):
    client.force_login(world.admin)
    assert listed(client, f"/?{query}") == set()


def test_the_filtered_list_says_what_it_shows_and_keeps_its_filters(client, world):
    client.force_login(world.maria)
    response = client.get(f"/?team={world.support.pk}&status=queued")
    body = response.content.decode()
    assert "Filtered: Support · waiting for a human" in body
    assert "3 conversations" in body
    assert f'data-filters="team={world.support.pk}&amp;status=queued"' in body


def test_the_live_fragment_is_the_board_without_the_page(client, world):
    client.force_login(world.maria)
    response = client.get("/dashboard/", headers={"HX-Request": "true", "HX-Target": "board"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert f'data-team="{world.support.pk}"' in body


def test_empty_states(client, db):
    from baton.agents.models import Team

    admin = make_user("root", role="admin")
    client.force_login(admin)
    Team.objects.all().delete()
    assert "No teams yet" in client.get("/dashboard/").content.decode()


def test_nobody_on_shift_is_said(client, world):
    from datetime import time

    from baton.agents.models import Shift, TeamMembership

    client.force_login(world.maria)
    for m in TeamMembership.objects.filter(team=world.support):
        Shift.objects.create(
            user=m.user, team=world.support, weekday=0, start=time(3), end=time(3, 1)
        )
    assert "Nobody is on shift" in client.get("/dashboard/").content.decode()


def test_the_page_costs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    client.force_login(world.admin)
    with django_assert_max_num_queries(16):
        client.get("/dashboard/")


def test_an_agents_day_item_by_item_within_the_managers_teams(client, world):
    from baton.conversations.ownership import do_claim_conversation

    do_claim_conversation(world.queued[0].pk, world.alice)
    client.force_login(world.maria)
    body = client.get("/dashboard/?agent=alice", headers={"HX-Request": "true"}).content.decode()
    assert f'href="/c/{world.queued[0].pk}/"' in body
    assert "claimed" in body
    # sam works in Sales: not maria's to read.
    assert client.get("/dashboard/?agent=sam").status_code == 404
