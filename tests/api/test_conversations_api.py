from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from baton.agents.actions import do_create_api_token
from baton.conversations.models import Conversation, Message
from tests.conftest import make_user


def token_headers(user) -> dict[str, str]:
    return {"Authorization": f"Token {do_create_api_token(user)}"}


def test_anonymous_is_refused(client, conversation):
    assert client.get("/api/v1/conversations").status_code == 401


def test_wrong_token_is_refused(client, conversation):
    response = client.get("/api/v1/conversations", headers={"Authorization": "Token nope"})
    assert response.status_code == 401


def test_list_with_token(client, conversation, agent):
    response = client.get("/api/v1/conversations", headers=token_headers(agent))
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["id"] for i in items] == [conversation.pk]
    item = items[0]
    assert item["status"] == "queued"
    assert item["owner"] is None
    assert item["contact"]["name"] == "Test Name"
    assert item["inbox"]["phone_number_id"] == "1122334455667"


def test_list_with_session(client, conversation, agent):
    client.force_login(agent)
    assert client.get("/api/v1/conversations").json()["count"] == 1


def test_agent_of_another_team_does_not_see_it(client, conversation):
    outsider = make_user("olga", team="Sales")
    headers = token_headers(outsider)
    assert client.get("/api/v1/conversations", headers=headers).json()["items"] == []
    response = client.get(f"/api/v1/conversations/{conversation.pk}", headers=headers)
    assert response.status_code == 404


def test_messages_endpoint(client, conversation, agent):
    response = client.get(
        f"/api/v1/conversations/{conversation.pk}/messages", headers=token_headers(agent)
    )
    assert response.status_code == 200
    [message] = response.json()["items"]
    assert message["direction"] == "inbound"
    assert message["text"] == "Body Text"


def test_send_text_queues_message_and_task(client, owned_conversation, agent):
    conversation = owned_conversation
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages",
        {"text": "Hello José"},
        content_type="application/json",
        headers=token_headers(agent),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued"
    message = Message.objects.get(pk=body["id"])
    assert message.request["to"] == "+972987654321"
    assert message.request["text"]["body"] == "Hello José"
    assert DBTaskResult.objects.filter(task_path__endswith="send_outbound_message").count() == 1


def test_free_text_refused_when_window_closed(client, owned_conversation, agent):
    conversation = owned_conversation
    Conversation.objects.filter(pk=conversation.pk).update(
        window_ends_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages",
        {"text": "Are you there?"},
        content_type="application/json",
        headers=token_headers(agent),
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "window_closed"
    assert "template" in error["message"]
    assert not Message.objects.filter(direction="outbound").exists()


def test_template_allowed_when_window_closed(client, owned_conversation, agent):
    conversation = owned_conversation
    Conversation.objects.filter(pk=conversation.pk).update(
        window_ends_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages",
        {"template": {"name": "order_update", "language": "en_US", "parameters": ["42", "today"]}},
        content_type="application/json",
        headers=token_headers(agent),
    )
    assert response.status_code == 201, response.content
    message = Message.objects.get(pk=response.json()["id"])
    assert message.request["template"] == {
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "42"}, {"type": "text", "text": "today"}],
            }
        ],
    }


@pytest.mark.parametrize(
    "payload",
    [{}, {"text": "a", "template": {"name": "x"}}, {"text": ""}, {"text": "x" * 4097}],
)
def test_invalid_send_bodies(client, owned_conversation, agent, payload):
    conversation = owned_conversation
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages",
        payload,
        content_type="application/json",
        headers=token_headers(agent),
    )
    assert response.status_code in (400, 422)
    assert not Message.objects.filter(direction="outbound").exists()


def test_note_is_never_sent(client, conversation, agent):
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages",
        {"text": "VIP customer", "note": True},
        content_type="application/json",
        headers=token_headers(agent),
    )
    assert response.status_code == 201
    assert response.json()["direction"] == "note"
    # The new conversation's routing run and its message's classification are queued, but
    # nothing is sent.
    assert (
        not DBTaskResult.objects.exclude(task_path__endswith="assign_waiting")
        .exclude(task_path__endswith="classify_message")
        .exists()
    )


def test_openapi_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/conversations" in paths
    assert "post" in paths["/api/v1/conversations/{conversation_id}/messages"]
