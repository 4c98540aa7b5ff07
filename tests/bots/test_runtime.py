"""Bot flows end to end through the real webhook: start, buttons, ask, handoff with the
card, the escape word, timeouts, a person's takeover, the return to the bot and CSAT."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from baton.agents.models import Team, TeamMembership
from baton.bots.actions import BOT_USERNAME, do_create_flow, do_fire_bot_timeouts, do_return_to_bot
from baton.bots.models import BotSession, CsatResponse, SessionState
from baton.bots.queries import handoff_card
from baton.bots.tasks import run_flow_on_resolve
from baton.conversations.models import (
    AuditEvent,
    Conversation,
    ConversationStatus,
    Direction,
    EventKind,
    Message,
)
from baton.conversations.ownership import do_claim_conversation, do_resolve_conversation
from baton.core.errors import PermissionDenied
from baton.realtime.events import team_managers_group
from baton.whatsapp.outbound import do_queue_outbound_message
from tests.bots.flows import closing, front_desk
from tests.bots.helpers import customer_picks, customer_taps, customer_writes
from tests.conftest import make_user


@pytest.fixture
def teams(db):
    return {name: Team.objects.get_or_create(name=name)[0] for name in ("Support", "Sales")}


@pytest.fixture
def desk(teams, inbox):
    return do_create_flow(front_desk(), None)


async def drain(layer, channel) -> list[dict]:
    """Every event waiting on ``channel`` (in memory or Redis)."""
    events = []
    while True:
        try:
            message = await asyncio.wait_for(layer.receive(channel), 0.5)
        except TimeoutError:
            return events
        events.append(message["event"])


def the_conversation() -> Conversation:
    return Conversation.objects.select_related("owner", "team", "last_owner").get()


def bot_messages() -> list[Message]:
    return list(Message.objects.filter(direction=Direction.OUTBOUND, author__username=BOT_USERNAME))


def session() -> BotSession:
    return BotSession.objects.get()


def test_new_conversation_meets_the_bot_with_buttons(client, desk):
    customer_writes(client, "Hi")
    conversation = the_conversation()
    assert conversation.status == ConversationStatus.BOT
    assert conversation.owner.username == BOT_USERNAME
    [menu] = bot_messages()
    assert menu.type == "interactive"
    assert menu.request["interactive"] == {
        "type": "button",
        "body": {"text": "Hi! What can we do for you?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "track", "title": "Track my order"}},
                {"type": "reply", "reply": {"id": "talk", "title": "Talk to us"}},
            ]
        },
    }
    assert session().step == "menu"
    assert session().waiting_until > timezone.now() + timedelta(seconds=590)
    started = AuditEvent.objects.get(kind=EventKind.BOT_STARTED)
    assert (started.from_status, started.to_status) == ("queued", "bot")
    assert started.data == {"flow": "Front desk", "version": 1}


def test_button_ask_handoff_with_fields_note_and_card(client, desk, teams):
    customer_writes(client, "Hi")
    customer_taps(client, "track", "Track my order")
    assert bot_messages()[-1].text == "Your order number?"
    customer_writes(client, "my order is 12a")
    assert bot_messages()[-1].text == "Only digits, please."
    customer_writes(client, "1234")
    conversation = the_conversation()
    assert conversation.status == ConversationStatus.QUEUED
    assert conversation.owner is None
    assert conversation.team == teams["Support"]
    assert conversation.attributes == {"order_number": "1234"}
    assert bot_messages()[-1].text == "Thanks! A colleague takes over for order 1234."
    moved = AuditEvent.objects.get(kind=EventKind.BOT_HANDOFF)
    assert moved.reason == "handed off by bot: Order 1234"
    assert (moved.from_status, moved.to_status) == ("bot", "queued")
    assert moved.to_team == teams["Support"]
    note = Message.objects.get(direction=Direction.NOTE)
    assert note.text == "Order 1234"
    assert session().state == SessionState.HANDED_OFF
    assert session().waiting_until is None
    card = handoff_card(conversation)
    assert card["flow"] == "Front desk"
    assert card["path"] == ["menu", "order_no", "to_support"]
    assert card["fields"] == {"order_number": "1234"}
    assert card["answers"] == [
        {"step": "menu", "text": "Track my order"},
        {"step": "order_no", "text": "my order is 12a"},
        {"step": "order_no", "text": "1234"},
    ]
    assert card["reason"] == "flow step 'to_support'"
    # Later messages are for people: the bot says nothing more.
    count = len(bot_messages())
    customer_writes(client, "hello?")
    assert len(bot_messages()) == count


def test_the_pane_shows_the_card_to_the_agent(client, desk, teams):
    customer_writes(client, "Hi")
    customer_taps(client, "track", "Track my order")
    customer_writes(client, "98765")
    agent = make_user("sam", team="Support")
    client.force_login(agent)
    page = client.get(f"/c/{the_conversation().pk}/").content.decode()
    assert "handoff-card" in page
    assert "order_number" in page
    assert "98765" in page
    assert "Track my order" in page


def test_escape_word_hands_off_to_the_team_queue(client, desk):
    customer_writes(client, "Hi")
    customer_writes(client, "Quero falar com um atendente")
    conversation = the_conversation()
    assert conversation.status == ConversationStatus.QUEUED
    assert session().state == SessionState.HANDED_OFF
    assert session().end_reason == "the customer asked for a person"
    assert AuditEvent.objects.get(kind=EventKind.BOT_HANDOFF).reason == (
        "handed off by bot: the customer asked for a person"
    )


def test_timeout_takes_the_branch(client, desk, teams):
    customer_writes(client, "Hi")
    assert do_fire_bot_timeouts() == 0  # not yet
    BotSession.objects.update(waiting_until=timezone.now() - timedelta(seconds=1))
    assert do_fire_bot_timeouts() == 1
    # No business hours configured: always open, so the branch goes to Sales.
    conversation = the_conversation()
    assert conversation.status == ConversationStatus.QUEUED
    assert conversation.team == teams["Sales"]
    assert session().path == ["menu", "after_silence", "to_sales"]
    assert session().answers == [["menu", "(no answer)"]]
    assert do_fire_bot_timeouts() == 0  # idempotent


def test_a_person_taking_over_cancels_the_flow_and_its_timeout(client, desk, teams):
    customer_writes(client, "Hi")
    agent = make_user("sam", team="Support")
    TeamMembership.objects.get_or_create(team=the_conversation().team, user=agent)
    do_claim_conversation(the_conversation().pk, agent)
    assert the_conversation().owner == agent
    assert session().state == SessionState.CANCELLED
    assert session().waiting_until is None
    assert session().end_reason == "claimed"
    count = len(bot_messages())
    customer_taps(client, "track", "Track my order")
    BotSession.objects.update(waiting_until=timezone.now() - timedelta(seconds=1))
    assert do_fire_bot_timeouts() == 0
    assert len(bot_messages()) == count


def hand_to_alice(client, teams):
    """The customer goes through the front desk to Support, where alice claims it."""
    customer_writes(client, "Hi")
    customer_taps(client, "track", "Track my order")
    customer_writes(client, "1234")
    alice = make_user("alice", team="Support")
    do_claim_conversation(the_conversation().pk, alice)
    conversation = the_conversation()
    do_queue_outbound_message(conversation, alice, text="It ships tomorrow.")
    return alice


def test_return_to_bot_then_csat_5_is_recorded_and_credited(client, desk, teams):
    do_create_flow(closing(), None)
    alice = hand_to_alice(client, teams)
    do_return_to_bot(the_conversation().pk, alice, "Closing")
    conversation = the_conversation()
    assert conversation.status == ConversationStatus.BOT
    assert conversation.last_owner == alice
    returned = AuditEvent.objects.get(kind=EventKind.BOT_RETURNED)
    assert returned.actor == alice
    rating = bot_messages()[-1]
    assert rating.request["interactive"]["type"] == "list"
    rows = rating.request["interactive"]["action"]["sections"][0]["rows"]
    assert rows[0] == {"id": "csat_5", "title": "5 ⭐ Excellent"}
    customer_picks(client, "csat_5", "5 ⭐ Excellent")
    response = CsatResponse.objects.get()
    assert response.score == 5
    assert response.last_agent == alice
    assert [u.username for u in response.agents.all()] == ["alice"]
    conversation = the_conversation()
    assert conversation.status == ConversationStatus.RESOLVED
    assert conversation.last_owner == alice
    assert bot_messages()[-1].text == "Have a nice day!"
    client.force_login(alice)
    items = client.get("/api/v1/csat").json()["items"]
    assert items == [
        {
            "conversation": conversation.pk,
            "score": 5,
            "comment": "",
            "agents": ["alice"],
            "created_at": items[0]["created_at"],
        }
    ]
    future = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert client.get("/api/v1/csat", {"since": future}).json()["items"] == []


def test_only_the_owner_or_a_manager_returns_to_the_bot(client, desk, teams):
    do_create_flow(closing(), None)
    hand_to_alice(client, teams)
    bob = make_user("bob", team="Support")
    with pytest.raises(PermissionDenied):
        do_return_to_bot(the_conversation().pk, bob, "Closing")
    boss = make_user("boss", role="manager", team="Support")
    do_return_to_bot(the_conversation().pk, boss, "Closing")
    assert the_conversation().status == ConversationStatus.BOT


def test_a_question_instead_of_a_rating_goes_back_to_the_last_owner(client, desk, teams):
    do_create_flow(closing(), None)
    alice = hand_to_alice(client, teams)
    do_return_to_bot(the_conversation().pk, alice, "Closing")
    customer_writes(client, "Wait, can I change the address?")
    conversation = the_conversation()
    assert conversation.status == ConversationStatus.QUEUED
    assert conversation.preferred_agent == alice
    assert conversation.team == teams["Support"]
    assert not CsatResponse.objects.exists()


def test_team_setting_runs_the_closing_flow_on_resolve(client, desk, teams):
    do_create_flow(closing(), None)
    Team.objects.filter(name="Support").update(on_resolve_flow="Closing")
    alice = hand_to_alice(client, teams)
    do_resolve_conversation(the_conversation().pk, alice)
    # The resolve queued the flow's start with itself; the worker runs it.
    [queued] = DBTaskResult.objects.filter(task_path__endswith="run_flow_on_resolve")
    assert queued.args_kwargs["args"] == [the_conversation().pk, "Closing"]
    assert the_conversation().status == ConversationStatus.RESOLVED
    assert run_flow_on_resolve.call(the_conversation().pk, "Closing") is True
    conversation = the_conversation()
    assert conversation.status == ConversationStatus.BOT
    assert conversation.last_owner == alice
    customer_picks(client, "csat_4", "4 ⭐ Good")
    assert CsatResponse.objects.get().score == 4
    assert the_conversation().status == ConversationStatus.RESOLVED


def test_csat_outside_the_window_is_skipped_and_recorded(client, desk, teams):
    do_create_flow(closing(), None)
    alice = hand_to_alice(client, teams)
    Conversation.objects.update(window_ends_at=timezone.now() - timedelta(minutes=1))
    count = len(bot_messages())
    do_return_to_bot(the_conversation().pk, alice, "Closing")
    response = CsatResponse.objects.get()
    assert response.score is None
    assert response.skipped_reason == "the 24-hour window is closed and no template is set"
    assert len(bot_messages()) == count  # nothing could be sent
    assert the_conversation().status == ConversationStatus.RESOLVED
    assert AuditEvent.objects.get(kind=EventKind.CSAT).reason == (
        "rating not asked: the 24-hour window is closed and no template is set"
    )


def test_csat_is_asked_at_most_once_per_contact_per_week(client, desk, teams):
    do_create_flow(closing(), None)
    alice = hand_to_alice(client, teams)
    do_return_to_bot(the_conversation().pk, alice, "Closing")
    customer_picks(client, "csat_5", "5 ⭐ Excellent")
    customer_writes(client, "One more thing")  # reopens the conversation
    conversation = the_conversation()
    do_claim_conversation(conversation.pk, alice)
    do_return_to_bot(conversation.pk, alice, "Closing")
    skipped = CsatResponse.objects.filter(score__isnull=True).get()
    assert skipped.skipped_reason.startswith("rated 0.0 days ago")


def test_score_1_alerts_the_team_managers(client, desk, teams, django_capture_on_commit_callbacks):
    do_create_flow(closing(), None)
    alice = hand_to_alice(client, teams)
    do_return_to_bot(the_conversation().pk, alice, "Closing")
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(team_managers_group(teams["Support"].pk), channel)
    with django_capture_on_commit_callbacks(execute=True):
        customer_picks(client, "csat_1", "1 ⭐ Very poor")
    events = async_to_sync(drain)(layer, channel)
    low = [e for e in events if e["type"] == "csat.low"]
    assert low == [
        {
            "type": "csat.low",
            "conversation_id": the_conversation().pk,
            "score": 1,
            "comment": "",
            "agents": ["alice"],
            "text": f"Test Name rated conversation #{the_conversation().pk} 1/5",
        }
    ]
    async_to_sync(layer.group_discard)(team_managers_group(teams["Support"].pk), channel)


def test_api_hands_the_conversation_to_a_flow(client, desk, teams):
    do_create_flow(closing(), None)
    alice = hand_to_alice(client, teams)
    conversation_id = the_conversation().pk
    url = f"/api/v1/conversations/{conversation_id}/bot"
    client.force_login(make_user("bob", team="Support"))
    refused = client.post(url, {"flow": "Closing"}, content_type="application/json")
    assert refused.status_code == 403
    client.force_login(alice)
    unknown = client.post(url, {"flow": "Nope"}, content_type="application/json")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == "No enabled flow 'Nope'."
    answer = client.post(url, {"flow": "Closing"}, content_type="application/json")
    assert answer.status_code == 200
    assert answer.json()["status"] == "bot"
    again = client.post(url, {"flow": "Closing"}, content_type="application/json")
    assert again.status_code == 409


def test_the_pane_offers_return_to_bot_to_the_owner(client, desk, teams):
    do_create_flow(closing(), None)
    alice = hand_to_alice(client, teams)
    conversation_id = the_conversation().pk
    client.force_login(alice)
    page = client.get(f"/c/{conversation_id}/", headers={"HX-Request": "true"}).content.decode()
    assert "Return to bot" in page
    assert f'hx-post="/c/{conversation_id}/bot"' in page
    assert "{&quot;flow&quot;: &quot;Closing&quot;}" in page or '{"flow": "Closing"}' in page
    response = client.post(f"/c/{conversation_id}/bot", {"flow": "Closing"})
    assert response.status_code in (200, 302)
    assert the_conversation().status == ConversationStatus.BOT
    # While the bot holds it, nobody is offered to return it again.
    page = client.get(f"/c/{conversation_id}/", headers={"HX-Request": "true"}).content.decode()
    assert "Return to bot" not in page


def test_a_flow_that_hands_off_at_once_queues_the_new_conversation(client, inbox, teams):
    do_create_flow(
        {
            "name": "Night",
            "start_on": "new_conversation",
            "start": "when",
            "steps": [
                {
                    "id": "when",
                    "type": "branch",
                    "branches": [
                        {
                            "when": {
                                "field": "conversation.language",
                                "op": "equals",
                                "value": "xx",
                            },
                            "next": "bye",
                        }
                    ],
                    "default": "sales",
                },
                {"id": "bye", "type": "close"},
                {"id": "sales", "type": "handoff", "team": "Sales"},
            ],
        },
        None,
    )
    customer_writes(client, "Hi")
    conversation = the_conversation()
    assert conversation.status == ConversationStatus.QUEUED
    assert conversation.team == teams["Sales"]
    assert [e.kind for e in AuditEvent.objects.order_by("id")][-2:] == [
        EventKind.BOT_STARTED,
        EventKind.BOT_HANDOFF,
    ]
