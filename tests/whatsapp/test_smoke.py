from baton.conversations.models import Conversation, Message
from tests.conftest import load_sample, meta_bytes, post_webhook


def test_text_sample_creates_conversation(client, inbox):
    response = post_webhook(client, meta_bytes(load_sample("inbound_text.json")))
    assert response.status_code == 200, response.content
    assert response.json()["stored"] == 1
    message = Message.objects.get()
    assert message.text == "Body Text"
    conv = Conversation.objects.get()
    assert conv.contact.user_id == "US.13491208655302741918"
    assert conv.status == "queued"
    assert conv.team.name == "Support"
