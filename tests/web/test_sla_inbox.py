"""SLA in the inbox: the list badge in every state, the SLA risk view's order and
visibility, the header's clocks and the WhatsApp window warning.

The clocks come from the real flow (a policy, a customer message through the webhook, the
reactions that keep ``ConversationSla`` current). To see a clock later in its life without
waiting, ``age`` moves the conversation's history back and re-evaluates it with the real
action, at the real now.
"""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from baton.agents.models import Team
from baton.conversations.models import AuditEvent, Contact, Conversation, Message
from baton.conversations.ownership import do_claim_conversation, do_set_pending, lock_conversation
from baton.sla.actions import do_create_policy, do_refresh_sla
from baton.sla.models import ConversationSla
from baton.web.sla_display import left_or_over, short_duration
from tests.conftest import load_sample, make_user, meta_bytes, post_webhook
from tests.web.test_inbox import HX_LIST, HX_PANE, counters, make_conversations

BADGE = re.compile(
    r'<span class="chip sla sla-(?P<tone>\w+)(?P<predicted> sla-predicted)?"'
    r' title="(?P<title>[^"]*)"'
    r' data-sla-state="(?P<state>\w+)">'
    r'<span class="sla-tag">SLA</span> (?:<span data-sla-due="(?P<due>[^"]+)">)?(?P<text>[^<]*)'
)


def policy(**values):
    return do_create_policy(None, {"name": "Gold", "warn_before_seconds": 120, **values})


def arrive(client) -> Conversation:
    """The sample customer writes through the webhook; the 24-hour window is open now."""
    post_webhook(client, meta_bytes(load_sample("inbound_text.json")))
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(
        last_inbound_at=timezone.now(), window_ends_at=timezone.now() + timedelta(hours=24)
    )
    return conversation


def age(conversation: Conversation, seconds: float) -> ConversationSla:
    """As if everything in the conversation happened ``seconds`` earlier; re-evaluated now."""
    back = timedelta(seconds=seconds)
    Message.objects.filter(conversation=conversation).update(created_at=F("created_at") - back)
    AuditEvent.objects.filter(conversation=conversation).update(created_at=F("created_at") - back)
    with transaction.atomic():
        return do_refresh_sla(lock_conversation(conversation.pk))


def badges(html: str) -> list[dict]:
    return [m.groupdict() for m in BADGE.finditer(html)]


def list_html(client, view: str = "team") -> str:
    return client.get(f"/?view={view}", headers=HX_LIST).content.decode()


def pane_html(client, conversation) -> str:
    return client.get(f"/c/{conversation.pk}/", headers=HX_PANE).content.decode()


# ------------------------------------------------------------------------------------------
# The list badge


def test_no_badge_without_a_policy(client, inbox, agent):
    conversation = arrive(client)
    assert ConversationSla.objects.get(pk=conversation.pk).first_response_state == "none"
    client.force_login(agent)
    html = list_html(client)
    assert f'data-conversation-id="{conversation.pk}"' in html
    assert "chip sla" not in html
    assert 'id="sla-clocks"' not in pane_html(client, conversation)


def test_running_badge_counts_down_from_the_due_time(client, inbox, agent):
    policy(first_response_seconds=600)
    conversation = arrive(client)
    row = ConversationSla.objects.get(pk=conversation.pk)
    assert row.first_response_state == "running"
    client.force_login(agent)
    [badge] = badges(list_html(client))
    assert badge["tone"] == "running"
    assert badge["text"] in ("9m left", "10m left")
    # The browser counts down from this instant (live.js, one shared timer).
    assert badge["due"] == row.first_response_due_at.isoformat()
    assert badge["title"].startswith("First response due ")


def test_warning_badge_is_amber(client, inbox, agent):
    policy(first_response_seconds=600)
    conversation = arrive(client)
    row = age(conversation, 500)
    assert row.first_response_state == "warning"
    client.force_login(agent)
    [badge] = badges(list_html(client))
    assert (badge["tone"], badge["state"], badge["predicted"]) == ("warning", "warning", None)
    assert badge["text"] in ("1m left", "59s left", "58s left")


def test_breached_badge_is_red_and_counts_up(client, inbox, agent):
    policy(first_response_seconds=600)
    conversation = arrive(client)
    row = age(conversation, 750)
    assert row.first_response_state == "breached"
    client.force_login(agent)
    [badge] = badges(list_html(client))
    assert (badge["tone"], badge["state"]) == ("breached", "breached")
    assert badge["text"] == "2m over"
    assert badge["title"].startswith("First response breached")


def test_paused_badge_is_grey_and_has_no_countdown(client, inbox, agent):
    policy(resolution_seconds=3600, pause_resolution_when_pending=True)
    conversation = arrive(client)
    do_claim_conversation(conversation.pk, agent)
    do_set_pending(conversation.pk, agent)
    assert ConversationSla.objects.get(pk=conversation.pk).resolution_state == "paused"
    client.force_login(agent)
    html = client.get("/?view=pending", headers=HX_LIST).content.decode()
    [badge] = badges(html)
    assert badge == {
        "tone": "paused",
        "predicted": None,
        "state": "paused",
        "title": "Resolution clock paused",
        "due": None,
        "text": "paused",
    }
    assert "Resolution</span> paused" in pane_html(client, conversation)


def test_predicted_breach_is_amber_before_the_warning(client, inbox, agent):
    policy(first_response_seconds=1800)
    conversation = arrive(client)
    row = ConversationSla.objects.get(pk=conversation.pk)
    assert row.first_response_state == "running"
    # sla.prediction's answer, as it stores it (the predictor is not what this tests).
    answer_at = row.first_response_due_at + timedelta(minutes=4)
    ConversationSla.objects.filter(pk=row.pk).update(
        predicted_to_breach=True, predicted_answer_at=answer_at
    )
    client.force_login(agent)
    [badge] = badges(list_html(client))
    assert (badge["tone"], badge["state"], badge["predicted"]) == (
        "warning",
        "running",
        " sla-predicted",
    )
    assert re.search(
        r"predicted to breach in (29|30) min: likely answered (\w{3} )?\d\d:\d\d", badge["title"]
    )
    assert "predicted to breach in" in pane_html(client, conversation)


# ------------------------------------------------------------------------------------------
# The SLA risk view


def with_deadline(conversation: Conversation, due_in: timedelta | None) -> None:
    """Test data: the clocks ``sla.actions`` would keep for a deadline ``due_in`` from now."""
    due = timezone.now() + due_in if due_in is not None else None
    ConversationSla.objects.create(
        conversation=conversation,
        first_response_state=(
            "none" if due is None else "breached" if due_in < timedelta(0) else "running"
        ),
        first_response_due_at=due,
        nearest_due_at=due,
    )


def item_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-conversation-id="(\d+)"', html)]


def test_sla_risk_lists_open_deadlines_nearest_first_within_what_the_viewer_sees(client, inbox):
    alice = make_user("alice")
    sales = make_user("olga", team="Sales")
    late, soon, later, none, resolved = make_conversations(inbox, 5)
    [other_team] = make_conversations(inbox, 1, team=Team.objects.get(name="Sales"))
    with_deadline(later, timedelta(minutes=30))
    with_deadline(late, timedelta(minutes=-5))
    with_deadline(soon, timedelta(minutes=2))
    with_deadline(none, None)
    with_deadline(resolved, timedelta(minutes=1))
    Conversation.objects.filter(pk=resolved.pk).update(status="resolved")
    with_deadline(other_team, timedelta(minutes=-60))

    client.force_login(alice)
    html = client.get("/?view=sla").content.decode()
    assert counters(html.encode())["sla"] == 3
    fragment = list_html(client, "sla")
    assert item_ids(fragment) == [late.pk, soon.pk, later.pk]
    assert [b["tone"] for b in badges(fragment)] == ["breached", "running", "running"]
    assert "<h1>SLA risk</h1>" in fragment

    # Olga (Sales) sees her team's breach only, never Support's.
    client.force_login(sales)
    assert item_ids(list_html(client, "sla")) == [other_team.pk]
    assert counters(client.get("/?view=sla").content)["sla"] == 1


def test_sla_risk_is_empty_without_deadlines(client, inbox, agent):
    make_conversations(inbox, 2)
    client.force_login(agent)
    fragment = list_html(client, "sla")
    assert item_ids(fragment) == []
    assert "No deadline at risk" in fragment


def test_customer_text_never_runs_as_script_in_the_sla_view(client, inbox, agent):
    hostile = '<img src=x onerror="alert(1)">'
    [conversation] = make_conversations(inbox, 1)
    Contact.objects.filter(pk=conversation.contact_id).update(profile_name=hostile)
    Conversation.objects.filter(pk=conversation.pk).update(last_message_preview=hostile)
    with_deadline(conversation, timedelta(minutes=3))
    client.force_login(agent)
    for html in (list_html(client, "sla"), client.get("/?view=sla").content.decode()):
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_sla_list_query_count_does_not_grow(client, inbox, agent, django_assert_num_queries):
    for conversation in make_conversations(inbox, 30):
        with_deadline(conversation, timedelta(minutes=5))
    client.force_login(agent)
    client.get("/")

    # The same as every other view's (tests/web/test_inbox.py): the clocks come joined.
    with django_assert_num_queries(9):
        html = list_html(client, "sla")
    assert len(badges(html)) == 30


# ------------------------------------------------------------------------------------------
# The header clocks


def clocks(html: str) -> dict[str, str]:
    found = re.findall(
        r'<span class="pill sla-clock sla-\w+" data-metric="(\w+)" data-state="(\w+)">'
        r'<span class="sla-metric">[^<]+</span> ([^<]*)(?:<span data-sla-due="[^"]+">([^<]*))?',
        html,
    )
    return {
        metric: f"{state}: {text.strip()} {countdown}".strip()
        for metric, state, text, countdown in found
    }


def local_time(at, zone) -> str:
    """ "14:30", or "Tue 14:30" when not today (in ``zone``)."""
    local = at.astimezone(zone)
    same_day = local.date() == timezone.now().astimezone(zone).date()
    return local.strftime("%H:%M" if same_day else "%a %H:%M")


def test_header_shows_every_clock_in_the_teams_zone(client, inbox, agent):
    Team.objects.filter(is_default=True).update(time_zone="America/Sao_Paulo")
    policy(first_response_seconds=600, next_response_seconds=300, resolution_seconds=7200)
    conversation = arrive(client)
    row = ConversationSla.objects.get(pk=conversation.pk)
    zone = ZoneInfo("America/Sao_Paulo")
    client.force_login(agent)
    html = pane_html(client, conversation)
    assert '<span class="sla-policy">SLA · Gold</span>' in html
    first = local_time(row.first_response_due_at, zone)
    resolution = local_time(row.resolution_due_at, zone)
    shown = clocks(html)
    assert set(shown) == {"first_response", "resolution"}  # no next response before a reply
    assert re.fullmatch(rf"running: due {first} · (9|10)m left", shown["first_response"])
    assert re.fullmatch(rf"running: due {resolution} · (1h 59m|2h) left", shown["resolution"])


def test_header_says_met_and_missed(client, inbox, agent):
    policy(first_response_seconds=600, next_response_seconds=300)
    conversation = arrive(client)
    age(conversation, 900)  # first response breached 5 minutes ago
    client.force_login(agent)
    do_claim_conversation(conversation.pk, agent)
    response = client.post(f"/c/{conversation.pk}/reply", {"text": "Sorry for the wait"})
    assert response.status_code == 302
    row = ConversationSla.objects.get(pk=conversation.pk)
    assert row.first_response_state == "missed"
    late = short_duration(
        (row.first_response_stopped_at - row.first_response_due_at).total_seconds()
    )
    assert late == "5m"
    assert clocks(pane_html(client, conversation))["first_response"] == "missed: missed by 5m"

    # The customer writes again; answered a minute later: the next response was met.
    post_webhook(client, meta_bytes(inbound_text("wamid.second", "and my refund?")))
    age(conversation, 60)
    client.post(f"/c/{conversation.pk}/reply", {"text": "Refund is on its way"})
    shown = clocks(pane_html(client, conversation))
    assert shown["next_response"] == "met: met in 1m"
    assert shown["first_response"] == "missed: missed by 5m"  # aged with the rest


def inbound_text(wamid: str, text: str) -> dict:
    payload = load_sample("inbound_text.json")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update(id=wamid, text={"body": text})
    return payload


def test_window_warning_when_the_deadline_falls_after_the_window(client, inbox, agent):
    Team.objects.filter(is_default=True).update(time_zone="Europe/Madrid")
    policy(first_response_seconds=3600)
    conversation = arrive(client)
    closes = timezone.now() + timedelta(minutes=20)
    Conversation.objects.filter(pk=conversation.pk).update(window_ends_at=closes)
    row = ConversationSla.objects.get(pk=conversation.pk)
    zone = ZoneInfo("Europe/Madrid")
    client.force_login(agent)
    html = pane_html(client, conversation)
    expected = (
        f"window closes {closes.astimezone(zone):%H:%M}, before the "
        f"{row.first_response_due_at.astimezone(zone):%H:%M} deadline"
        " — after that only a template reaches the customer"
    )
    assert f'<p class="sla-window-warning" role="note">{expected}</p>' in html

    # The window outlasts the deadline: nothing to warn about.
    Conversation.objects.filter(pk=conversation.pk).update(
        window_ends_at=timezone.now() + timedelta(hours=23)
    )
    assert "sla-window-warning" not in pane_html(client, conversation)


def test_the_clocks_fragment_for_live_updates(client, inbox, agent):
    policy(first_response_seconds=600)
    conversation = arrive(client)
    client.force_login(agent)
    part = client.get(f"/c/{conversation.pk}/?part=sla", headers=HX_PANE).content.decode()
    assert part.startswith('<div id="sla-clocks" class="sla-clocks" role="group"')
    assert "First response</span> due" in part
    assert "<section" not in part  # the header's clocks only, not the pane

    # A conversation of another team: as invisible here as everywhere.
    sales = make_user("olga", team="Sales")
    client.force_login(sales)
    response = client.get(f"/c/{conversation.pk}/?part=sla", headers=HX_PANE)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(59.9, "59s left"), (61, "1m left"), (3600 * 3 + 120, "3h 2m left"), (-754, "12m over")],
)
def test_left_or_over(seconds, text):
    now = timezone.now()
    assert left_or_over(now + timedelta(seconds=seconds), now) == text
