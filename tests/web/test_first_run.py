"""What a newcomer trips on in the web app (issue 9, item 19): the admin link, usernames,
error pages, the new-rule form, waiting times and who is offered a handoff."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from baton.agents.actions import do_create_user
from baton.agents.models import Team, TeamMembership, User
from baton.conversations.models import Contact, Conversation
from baton.conversations.ownership import do_claim_conversation
from tests.conftest import load_sample, make_inbox, make_user, meta_bytes, post_webhook

ADMIN_LINK = b"Settings (admin)"


@pytest.mark.parametrize("role", ["agent", "manager", "admin"])
def test_the_admin_link_is_shown_exactly_to_those_the_admin_lets_in(client, db, role):
    client.force_login(make_user(f"u-{role}", role=role))
    shows_link = ADMIN_LINK in client.get("/").content
    admin_answer = client.get("/admin/")
    opens_admin = admin_answer.status_code == 200
    assert shows_link == opens_admin
    assert shows_link == (role == "admin")


def test_a_staff_agent_gets_the_link_too(client, db):
    # The admin decides by is_staff, not by Baton's role: so does the link.
    agent = make_user("staffer")
    User.objects.filter(pk=agent.pk).update(is_staff=True, is_superuser=True)
    client.force_login(User.objects.get(pk=agent.pk))
    assert ADMIN_LINK in client.get("/").content
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("sample", ["inbound_text_username_only_bsuid.json",
                                    "inbound_text_phone_and_username.json"])  # fmt: skip
def test_a_whatsapp_username_is_shown_with_one_at(client, db, sample):
    payload = load_sample(sample)
    make_inbox(payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"])
    post_webhook(client, meta_bytes(payload))
    contact = Contact.objects.get()
    assert contact.username.startswith("@")  # Meta sends it with its "@"
    client.force_login(make_user("root", role="admin"))
    page = client.get(f"/c/{Conversation.objects.get().pk}/").content.decode()
    assert f"<dd>{contact.username}</dd>" in page
    assert "@@" not in page


def test_a_username_stored_without_at_gets_one(client, conversation):
    Contact.objects.filter(pk=conversation.contact_id).update(username="cust19")
    client.force_login(make_user("root", role="admin"))
    page = client.get(f"/c/{conversation.pk}/").content.decode()
    assert "<dd>@cust19</dd>" in page


def test_the_new_rule_form_starts_from_the_defaults_not_null(client, db):
    client.force_login(make_user("maria", role="manager"))
    page = client.get("/routing/new").content.decode()
    found = re.findall(r'<textarea name="(\w+)"[^>]*>\s*(.*?)</textarea>', page, re.S)
    boxes = {name: html.unescape(text) for name, text in found}
    assert "null" not in boxes.values()
    assert boxes["conditions"].replace("\n", "").replace(" ", "") == '{"all":[]}'
    assert boxes["actions"] == "{}"


def test_a_refused_page_is_styled_and_leads_back_to_the_inbox(client, db):
    client.force_login(make_user("alice"))
    response = client.get("/routing/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "/static/web/baton.css" in page
    assert 'href="/"' in page
    assert "Back to the inbox" in page
    assert "routing rules" in page.lower()  # the refusal says why


def test_a_refused_htmx_request_keeps_the_short_answer(client, db):
    client.force_login(make_user("alice"))
    response = client.get("/routing/", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert b"baton.css" not in response.content


def test_a_missing_page_is_styled(client, db):
    client.force_login(make_user("alice"))
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.content.decode()
    assert "/static/web/baton.css" in page
    assert "Back to the inbox" in page
    assert "Resolver404" not in page


def test_a_conversation_out_of_sight_is_a_styled_404_with_the_reason(client, conversation):
    client.force_login(make_user("olga", team="Sales"))
    response = client.get(f"/c/{conversation.pk}/")
    assert response.status_code == 404
    assert b"not visible to you" in response.content
    assert b"Back to the inbox" in response.content


def test_a_customer_who_just_wrote_has_waited_less_than_a_minute(client, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(waiting_since=timezone.now())
    client.force_login(make_user("alice"))
    page = client.get(f"/c/{conversation.pk}/").content.decode()
    assert "has been waiting less than a minute" in page
    assert "0 minutes" not in page


def test_waiting_times_read_as_words(client, conversation):
    waited = timedelta(hours=2, minutes=5, seconds=30)
    Conversation.objects.filter(pk=conversation.pk).update(waiting_since=timezone.now() - waited)
    client.force_login(make_user("alice"))
    page = client.get(f"/c/{conversation.pk}/").content.decode()
    assert "has been waiting 2 hours 5 minutes" in page


def test_handoff_offers_agents_and_only_managers_working_the_team(client, conversation):
    support = Team.objects.get(is_default=True)
    alice = make_user("alice")
    make_user("bob")
    make_user("olga", team="Sales")  # an agent of another team: a colleague all the same
    make_user("maria", role="manager")  # manages every team
    make_user("root", role="admin")
    working_manager = do_create_user("lena", "manager", team_name="Sales", password="pw")
    TeamMembership.objects.create(team=support, user=working_manager, is_manager=False)
    do_create_user("bot", "bot")
    do_claim_conversation(conversation.pk, alice)
    client.force_login(alice)
    page = client.get(f"/c/{conversation.pk}/").content.decode()
    offered = set(re.findall(r'<option value="agent:([^"]+)"', page))
    assert offered == {"bob", "olga", "lena"}
