"""API v1: classify for any logged-in user; suggestions scoped by what the caller may see."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from baton.agents.models import Team
from baton.assist.models import SuggestionEvent
from baton.conversations.models import (
    CannedResponse,
    Contact,
    Conversation,
    Direction,
    Message,
)
from tests.conftest import make_user

pytestmark = pytest.mark.usefixtures("trained_model")


def test_classify_for_a_logged_in_user(client, db):
    assert (
        client.post(
            "/api/v1/assist/classify", {"text": "hi"}, content_type="application/json"
        ).status_code
        == 401
    )
    client.force_login(make_user("alice"))
    response = client.post(
        "/api/v1/assist/classify",
        {"text": "ich möchte meine bestellung stornieren bitte"},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["intent"] == "cancel_order"
    assert body["language"] == "de"
    assert 0 < body["confidence"] <= 1
    empty = client.post("/api/v1/assist/classify", {"text": ""}, content_type="application/json")
    assert empty.status_code == 422


def past_exchange(inbox, team, n: int, question: str, reply: str, author) -> Conversation:
    contact = Contact.objects.create(wa_id=f"3400000{team.pk}{n:04d}", profile_name=f"C{n}")
    conversation = Conversation.objects.create(
        inbox=inbox, contact=contact, team=team, status="resolved"
    )
    now = timezone.now() - timedelta(days=1)
    Message.objects.create(
        conversation=conversation, direction=Direction.INBOUND, text=question, timestamp=now
    )
    Message.objects.create(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        text=reply,
        author=author,
        timestamp=now + timedelta(minutes=1),
    )
    return conversation


def open_question(inbox, team, text: str) -> Conversation:
    contact = Contact.objects.create(wa_id=f"3499999{team.pk}", profile_name="New")
    conversation = Conversation.objects.create(inbox=inbox, contact=contact, team=team)
    Message.objects.create(
        conversation=conversation,
        direction=Direction.INBOUND,
        text=text,
        timestamp=timezone.now(),
    )
    return conversation


@pytest.fixture
def two_teams(db, inbox):
    north, south = Team.objects.create(name="North"), Team.objects.create(name="South")
    ann = make_user("ann", team="North")
    sam = make_user("sam", team="South")
    past_exchange(inbox, north, 1, "where is my parcel", "North secret: parcels ship Fridays", ann)
    past_exchange(inbox, south, 2, "where is my parcel", "South says: tracking link soon", sam)
    past_exchange(inbox, south, 3, "do you sell gift cards", "Yes, gift cards from 10 €", sam)
    CannedResponse.objects.create(
        shortcut="track", title="Tracking", text="Here is your parcel tracking link", team=north
    )
    CannedResponse.objects.create(
        shortcut="south", title="South only", text="South parcel canned", team=south
    )
    return {"north": north, "south": south, "ann": ann, "sam": sam}


def test_suggestions_come_from_the_teams_own_replies_and_canned_responses(client, inbox, two_teams):
    asking = open_question(inbox, two_teams["north"], "hello, where is my parcel??")
    client.force_login(two_teams["ann"])
    response = client.get(f"/api/v1/conversations/{asking.pk}/suggestions")
    assert response.status_code == 200
    items = response.json()["items"]
    texts = [item["text"] for item in items]
    assert texts[0] in ("North secret: parcels ship Fridays", "Here is your parcel tracking link")
    assert set(texts) >= {"North secret: parcels ship Fridays", "Here is your parcel tracking link"}
    assert {item["source"] for item in items} == {"reply", "canned"}
    assert all(item["score"] > 0 for item in items)
    assert not any("South" in text for text in texts)


def test_an_agent_never_gets_another_teams_text(client, inbox, two_teams):
    asking = open_question(inbox, two_teams["north"], "where is my parcel")
    client.force_login(two_teams["sam"])
    # Sam cannot see North's conversation at all.
    assert client.get(f"/api/v1/conversations/{asking.pk}/suggestions").status_code == 404
    # Owning it (a colleague handed it over) shows it, but not North's replies.
    Conversation.objects.filter(pk=asking.pk).update(owner=two_teams["sam"])
    items = client.get(f"/api/v1/conversations/{asking.pk}/suggestions").json()["items"]
    texts = [item["text"] for item in items]
    assert "North secret: parcels ship Fridays" not in texts
    assert "Here is your parcel tracking link" not in texts
    assert texts == ["South parcel canned"]


def test_the_chips_fragment_counts_shown_and_used(client, inbox, two_teams):
    asking = open_question(inbox, two_teams["north"], "where is my parcel")
    client.force_login(two_teams["ann"])
    page = client.get(f"/assist/conversations/{asking.pk}/suggestions")
    html = page.content.decode()
    assert 'data-text="North secret: parcels ship Fridays"' in html
    assert "Draft a reply" not in html  # no provider configured
    used = client.post(f"/assist/conversations/{asking.pk}/suggestions/used", {"source": "reply"})
    assert used.status_code == 204
    kinds = sorted(SuggestionEvent.objects.values_list("kind", "source", "team__name"))
    assert kinds == [("shown", "", "North"), ("used", "reply", "North")]


@pytest.mark.django_db(transaction=True)
def test_a_new_reply_reaches_the_index_after_its_refresh(client, inbox, two_teams, settings):
    settings.BATON_ASSIST_INDEX_SECONDS = 0
    from baton.assist.suggestions import indexes

    asking = open_question(inbox, two_teams["south"], "can I pay with a voucher")
    client.force_login(two_teams["sam"])
    assert client.get(f"/api/v1/conversations/{asking.pk}/suggestions").json()["items"] == []
    past_exchange(
        inbox, two_teams["south"], 4, "can I pay with a voucher", "Vouchers: yes", two_teams["sam"]
    )
    before = indexes._indexes[two_teams["south"].pk]
    client.get(f"/api/v1/conversations/{asking.pk}/suggestions")  # notices, rebuilds aside
    for _ in range(200):  # the rebuild runs in a thread of its own
        if indexes._indexes[two_teams["south"].pk] is not before:
            break
        time.sleep(0.05)
    items = client.get(f"/api/v1/conversations/{asking.pk}/suggestions").json()["items"]
    assert [item["text"] for item in items] == ["Vouchers: yes"]
