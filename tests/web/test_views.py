from datetime import timedelta

from django.utils import timezone

from baton.conversations.models import Conversation, Message
from tests.conftest import make_user


def test_inbox_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_renders(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_empty_inbox_says_so(client, agent):
    client.force_login(agent)
    response = client.get("/")
    assert response.status_code == 200
    assert b"Nothing on your plate" in response.content


def test_inbox_lists_conversation(client, agent, conversation):
    client.force_login(agent)
    response = client.get("/?view=unassigned")
    assert b"Test Name" in response.content
    assert b"Body Text" in response.content


def test_conversation_page_shows_timeline_and_window(client, agent, conversation):
    client.force_login(agent)
    response = client.get(f"/c/{conversation.pk}/")
    assert response.status_code == 200
    assert b"Body Text" in response.content
    assert b"24h window" in response.content


def test_reply_queues_outbound_message(client, agent, owned_conversation):
    conversation = owned_conversation
    client.force_login(agent)
    response = client.post(f"/c/{conversation.pk}/reply", {"text": "On its way!"})
    assert response.status_code == 302
    message = Message.objects.get(direction="outbound")
    assert message.text == "On its way!"
    assert message.author == agent
    assert message.status == "queued"


def test_reply_outside_window_shows_error_and_offers_templates(client, agent, owned_conversation):
    conversation = owned_conversation
    Conversation.objects.filter(pk=conversation.pk).update(
        window_ends_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(agent)
    page = client.get(f"/c/{conversation.pk}/")
    assert b"Send template" in page.content
    response = client.post(
        f"/c/{conversation.pk}/reply", {"text": "hello?"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422  # refused, with the pane saying why
    assert b"window is closed" in response.content
    assert not Message.objects.filter(direction="outbound").exists()


def test_note_mode(client, agent, conversation):
    client.force_login(agent)
    client.post(f"/c/{conversation.pk}/reply", {"text": "Call back later", "mode": "note"})
    assert Message.objects.get(direction="note").text == "Call back later"


def test_other_team_cannot_open(client, conversation):
    outsider = make_user("olga", team="Sales")
    client.force_login(outsider)
    assert client.get(f"/c/{conversation.pk}/").status_code == 404
    assert client.post(f"/c/{conversation.pk}/reply", {"text": "x"}).status_code == 404


def test_health(client, db):
    assert client.get("/healthz").json()["ok"] is True
