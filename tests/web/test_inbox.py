"""The inbox page: views and counters, paging, query counts, composer states, actions."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone

from baton.agents.models import Team
from baton.conversations.models import (
    Alert,
    AlertKind,
    CannedResponse,
    Contact,
    Conversation,
    Handoff,
    Message,
)
from baton.conversations.ownership import do_claim_conversation, do_handoff_conversation
from baton.web import queries
from baton.whatsapp.models import MessageTemplate
from tests.conftest import make_user

_numbers = count(34600000000)

HX_LIST = {"HX-Request": "true", "HX-Target": "conversation-list"}
HX_PANE = {"HX-Request": "true", "HX-Target": "conversation-pane"}


def make_conversations(inbox, n: int, **fields) -> list[Conversation]:
    """``n`` open conversations with distinct contacts (test data, no webhooks needed)."""
    now = timezone.now()
    contacts = Contact.objects.bulk_create(
        [Contact(wa_id=str(next(_numbers)), profile_name=f"Customer {i}") for i in range(n)]
    )
    defaults = {
        "status": "queued",
        "team": Team.objects.get(is_default=True),
        "last_message_at": now,
        "waiting_since": now,
        "window_ends_at": now + timedelta(hours=20),
        "last_message_preview": "Hello",
    }
    defaults.update(fields)
    return Conversation.objects.bulk_create(
        [Conversation(inbox=inbox, contact=c, **defaults) for c in contacts]
    )


def counters(html: bytes) -> dict[str, int]:
    return {
        slug: int(value)
        for slug, value in re.findall(rb'data-count="(\w+)">(\d+)<', html)
        for slug, value in [(slug.decode(), value.decode())]
    }


def test_views_and_counters_follow_ownership(client, inbox):
    alice = make_user("alice")
    bob = make_user("bob")
    convs = make_conversations(inbox, 4)
    do_claim_conversation(convs[0].pk, alice)
    do_claim_conversation(convs[1].pk, bob)
    do_handoff_conversation(convs[1].pk, bob, to_username="alice", reason="shift ends")
    Conversation.objects.filter(pk=convs[2].pk).update(status="resolved")
    client.force_login(alice)
    html = client.get("/?view=mine").content
    assert counters(html) == {
        "mine": 1,
        "unassigned": 1,
        "team": 3,
        "handoffs": 1,
        "sla": 0,  # no policy: no deadline
        "pending": 0,
        "snoozed": 0,
    }
    # The lists themselves.
    mine = client.get("/?view=mine", headers=HX_LIST).content.decode()
    assert mine.count('class="conv-item') == 1
    assert "is-mine" in mine
    team = client.get("/?view=team", headers=HX_LIST).content.decode()
    assert team.count("is-others") == 1
    assert team.count("is-unassigned") == 1
    assert "</span>bob</span>" in team  # the owner is named, with a lock
    handoffs = client.get("/?view=handoffs", headers=HX_LIST).content.decode()
    assert f'data-conversation-id="{convs[1].pk}"' in handoffs
    resolved = client.get("/?view=resolved", headers=HX_LIST).content.decode()
    assert f'data-conversation-id="{convs[2].pk}"' in resolved
    # Agents have no "All" view; asking for it falls back to their own.
    assert b'data-view="all"' not in html
    assert b"<h1>Mine</h1>" in client.get("/?view=all", headers=HX_LIST).content


def test_list_fragment_carries_counters_out_of_band(client, inbox, agent):
    make_conversations(inbox, 2)
    client.force_login(agent)
    fragment = client.get("/?view=unassigned", headers=HX_LIST).content
    assert b'id="views" class="views" aria-label="Inbox views" hx-swap-oob="true"' in fragment
    assert b"<html" not in fragment


def test_list_is_paged(client, inbox, agent):
    make_conversations(inbox, queries.PAGE_SIZE + 5)
    client.force_login(agent)
    first = client.get("/?view=unassigned", headers=HX_LIST).content.decode()
    assert first.count('class="conv-item') == queries.PAGE_SIZE
    assert "page=2" in first
    second = client.get("/?view=unassigned&page=2", headers={"HX-Request": "true"})
    assert second.content.decode().count('class="conv-item') == 5
    assert b"page=3" not in second.content


@pytest.mark.parametrize("n", [3, 120])
def test_list_query_count_does_not_grow_with_conversations(
    client, inbox, django_assert_num_queries, n
):
    agent = make_user("alice")
    convs = make_conversations(inbox, n)
    for c in convs[: n // 3]:
        do_claim_conversation(c.pk, agent)
    Alert.objects.create(
        conversation=convs[-1], kind=AlertKind.UNASSIGNED_WAITING, waiting_since=timezone.now()
    )
    client.force_login(agent)
    client.get("/")  # warm the session and the user cache
    # session + user, view page (memberships x2, list), counters (memberships x2,
    # aggregate, handoffs), no alerts for agents.
    with django_assert_num_queries(9):
        response = client.get("/?view=team", headers=HX_LIST)
    assert response.status_code == 200


@pytest.mark.parametrize("n", [3, 120])
def test_manager_list_with_alerts_has_constant_queries(client, inbox, django_assert_num_queries, n):
    manager = make_user("maria", role="manager")
    convs = make_conversations(inbox, n)
    for c in convs[:3]:
        Alert.objects.create(
            conversation=c, kind=AlertKind.UNASSIGNED_WAITING, waiting_since=timezone.now()
        )
    client.force_login(manager)
    client.get("/")
    # Visibility look-ups repeat per query function (managed teams, memberships); what
    # matters is that the count is the same for 3 and 120 conversations.
    with django_assert_num_queries(16):
        response = client.get("/?view=all", headers=HX_LIST)
    assert response.content.count(b'class="alert-row') == 3


def test_conversation_query_count_is_constant(
    client, inbox, agent, owned_conversation, django_assert_num_queries
):
    client.force_login(agent)
    url = f"/c/{owned_conversation.pk}/"
    client.get(url, headers=HX_PANE)

    def queries_for_pane() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            client.get(url, headers=HX_PANE)
        return len(ctx.captured_queries)

    before = queries_for_pane()
    for i in range(30):
        Message.objects.create(
            conversation=owned_conversation,
            direction="outbound" if i % 2 else "note",
            author=agent,
            text=f"message {i}",
            timestamp=timezone.now(),
        )
    assert queries_for_pane() == before


def test_alerts_are_shown_to_managers_only(client, inbox, agent):
    conv = make_conversations(inbox, 1)[0]
    Alert.objects.create(
        conversation=conv, kind=AlertKind.UNASSIGNED_WAITING, waiting_since=timezone.now()
    )
    manager = make_user("maria", role="manager")
    client.force_login(manager)
    page = client.get("/").content.decode()
    assert 'class="badge-count">1<' in page
    assert "Customer 0" in page
    client.force_login(agent)
    assert "alerts-button" not in client.get("/").content.decode()


def test_composer_states(client, inbox, agent, conversation):
    bob = make_user("bob")
    client.force_login(agent)
    url = f"/c/{conversation.pk}/"
    # Unassigned: a Claim button, no composer.
    page = client.get(url).content.decode()
    assert 'data-action="claim"' in page
    assert 'id="composer"' not in page
    # Someone else's: locked with the owner's name; a note is still possible.
    do_claim_conversation(conversation.pk, bob)
    page = client.get(url).content.decode()
    assert "Owned by <strong>bob</strong> — ask for a handoff" in page
    assert 'id="composer"' not in page
    assert 'name="mode" value="note"' in page
    # A handoff to me: accept / decline.
    do_handoff_conversation(conversation.pk, bob, to_username="alice", reason="lunch", note="VIP")
    page = client.get(url).content.decode()
    assert "bob wants to hand this conversation to you" in page
    assert 'data-action="accept"' in page
    assert "“VIP”" in page


def test_window_closed_offers_templates_with_parameters(client, agent, owned_conversation):
    MessageTemplate.objects.create(
        name="order_update", language="en_US", body="Order {{1}} arrives {{2}}."
    )
    MessageTemplate.objects.create(
        name="draft_one", language="en_US", body="Not yet {{1}}", status="pending"
    )
    Conversation.objects.filter(pk=owned_conversation.pk).update(
        window_ends_at=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(agent)
    page = client.get(f"/c/{owned_conversation.pk}/").content.decode()
    assert 'name="template_id"' in page
    assert 'data-params="2"' in page
    assert "order_update" in page
    assert "draft_one" not in page  # only approved templates are offered
    assert '<textarea name="text" rows="3"' not in page  # free text is locked


def test_template_parameter_count_is_checked_before_queueing(client, agent, owned_conversation):
    template = MessageTemplate.objects.create(
        name="order_update", language="en_US", body="Order {{1}} arrives {{2}}."
    )
    client.force_login(agent)
    url = f"/c/{owned_conversation.pk}/reply"
    response = client.post(
        url, {"template_id": template.pk, "template_param": ["42"]}, headers=HX_PANE
    )
    assert "needs 2 parameter(s)" in response.content.decode()
    assert not Message.objects.filter(direction="outbound").exists()
    client.post(url, {"template_id": template.pk, "template_param": ["42", "today"]})
    sent = Message.objects.get(direction="outbound")
    assert sent.type == "template"
    assert sent.request["template"]["components"][0]["parameters"][1]["text"] == "today"


def test_reply_to_a_message_quotes_it(client, agent, owned_conversation):
    inbound = Message.objects.get(direction="inbound")
    client.force_login(agent)
    client.post(
        f"/c/{owned_conversation.pk}/reply", {"text": "Yes, it ships today", "reply_to": inbound.pk}
    )
    reply = Message.objects.get(direction="outbound")
    assert reply.reply_to == inbound
    assert reply.request["context"] == {"message_id": inbound.wamid}


def test_canned_responses_for_my_teams_only(client, agent, owned_conversation):
    CannedResponse.objects.create(shortcut="hi", title="Hello", text="Hi there!")
    CannedResponse.objects.create(
        shortcut="ship", title="Shipping", text="We ship daily.", team=Team.objects.get()
    )
    sales = Team.objects.create(name="Sales")
    CannedResponse.objects.create(shortcut="deal", title="Deal", text="10% off", team=sales)
    client.force_login(agent)
    page = client.get(f"/c/{owned_conversation.pk}/").content.decode()
    assert '"shortcut": "hi"' in page
    assert '"shortcut": "ship"' in page
    assert '"shortcut": "deal"' not in page


def test_handoff_dialog_then_accept_with_note(client, inbox, agent, owned_conversation):
    bob = make_user("bob")
    client.force_login(agent)
    response = client.post(
        f"/c/{owned_conversation.pk}/handoff",
        {"to": "agent:bob", "reason": "End of shift", "note": "Wants express"},
        headers=HX_PANE,
    )
    assert "Offered to <strong>bob</strong>" in response.content.decode()
    client.force_login(bob)
    page = client.post(f"/c/{owned_conversation.pk}/accept", headers=HX_PANE).content.decode()
    assert "Wants express" in page
    assert 'id="composer"' in page
    assert Conversation.objects.get().owner == bob


def test_handoff_to_a_team_and_errors_in_words(client, agent, owned_conversation):
    Team.objects.create(name="Sales")
    client.force_login(agent)
    url = f"/c/{owned_conversation.pk}/handoff"
    no_reason = client.post(url, {"to": "team:Sales", "reason": ""}, headers=HX_PANE)
    assert "A handoff needs a reason." in no_reason.content.decode()
    client.post(url, {"to": "team:Sales", "reason": "Pricing question"})
    conv = Conversation.objects.get()
    assert conv.team.name == "Sales"
    assert conv.owner is None
    assert conv.status == "queued"


def test_decline_needs_a_reason(client, agent, owned_conversation):
    bob = make_user("bob")
    do_handoff_conversation(owned_conversation.pk, agent, to_username="bob", reason="x")
    client.force_login(bob)
    url = f"/c/{owned_conversation.pk}/decline"
    assert "Say why you decline" in client.post(url, {}, headers=HX_PANE).content.decode()
    client.post(url, {"reason": "Off in 5 minutes"})
    assert Handoff.objects.get().status == "declined"


def test_snooze_pending_resolve_reopen(client, agent, owned_conversation):
    client.force_login(agent)
    cid = owned_conversation.pk
    client.post(f"/c/{cid}/snooze", {"hours": "4"})
    conv = Conversation.objects.get()
    assert conv.status == "snoozed"
    assert conv.snoozed_until > timezone.now() + timedelta(hours=3)
    bad = client.post(f"/c/{cid}/snooze", {"hours": "forever"}, headers=HX_PANE)
    assert "Choose how long to snooze." in bad.content.decode()
    client.post(f"/c/{cid}/resolve")
    assert Conversation.objects.get().status == "resolved"
    page = client.get(f"/c/{cid}/").content.decode()
    assert 'data-action="reopen"' in page
    client.post(f"/c/{cid}/reopen")
    assert Conversation.objects.get().status == "queued"


def test_presence_switch(client, agent):
    client.force_login(agent)
    response = client.post("/presence", {"status": "available"}, headers={"HX-Request": "true"})
    assert b"presence-available" in response.content
    agent.refresh_from_db()
    assert agent.presence == "available"
    bad = client.post("/presence", {"status": "asleep"}, headers={"HX-Request": "true"})
    assert b"Unknown presence" in bad.content


def test_timeline_shows_activity_items(client, agent, owned_conversation):
    client.force_login(agent)
    page = client.get(f"/c/{owned_conversation.pk}/").content.decode()
    assert "activity-claimed" in page
    assert "claimed the conversation" in page


def test_past_conversations_in_contact_panel(client, agent, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(status="resolved")
    again = Conversation.objects.create(
        inbox=conversation.inbox, contact=conversation.contact, status="queued"
    )
    client.force_login(agent)
    page = client.get(f"/c/{again.pk}/").content.decode()
    assert f'href="/c/{conversation.pk}/"' in page


def test_every_view_action_refuses_invisible_conversations(client, conversation):
    outsider = make_user("olga", team="Sales")
    client.force_login(outsider)
    for verb in ("claim", "resolve", "handoff", "accept", "decline", "snooze", "reopen"):
        assert client.post(f"/c/{conversation.pk}/{verb}").status_code == 404, verb
    assert client.post(f"/c/{conversation.pk}/nonsense").status_code == 404
