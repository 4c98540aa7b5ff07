"""Published reads: ``is_thanks`` for the SLA, the routing intent reader, the manager page."""

from __future__ import annotations

import pytest

from baton.assist.queries import intent_of_opening_message, is_thanks
from baton.conversations.models import Message
from tests.conftest import make_user


@pytest.mark.usefixtures("trained_model")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thank you so much 🙏", True),
        ("muchísimas gracias", True),
        ("vielen dank!", True),
        ("thanks, where is my order?", False),
        ("I want a refund", False),
        ("", False),
        ("thanks " * 30, False),
    ],
)
def test_is_thanks(text, expected):
    assert is_thanks(text) is expected


def test_no_model_no_intent_and_no_thanks(conversation, settings, tmp_path):
    settings.DATA_DIR = tmp_path  # an install whose worker has not trained yet
    message = Message.objects.get(conversation=conversation)
    assert intent_of_opening_message(conversation, message) == ""
    assert is_thanks("thanks!") is False


@pytest.mark.usefixtures("trained_model")
def test_the_manager_page(client, db):
    client.force_login(make_user("alice", team="Support"))
    assert client.get("/assist/").status_code == 403
    client.force_login(make_user("mona", role="manager", team="Support"))
    response = client.get("/assist/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Held-out accuracy" in html
    assert "order status" in html  # a row of the per-intent table
    assert '<strong class="corrections">0</strong>' in html


def test_the_pane_shows_the_intent_select_and_the_chips_placeholder_once_classified(
    client, owned_conversation, agent
):
    from baton.conversations.models import Conversation

    client.force_login(agent)
    url = f"/c/{owned_conversation.pk}/"
    html = client.get(url).content.decode()
    assert "assist-intent" not in html  # not classified yet: nothing rendered
    assert "assist-placeholder" not in html
    Conversation.objects.filter(pk=owned_conversation.pk).update(
        intent="order_status", intent_confidence=0.91
    )
    html = client.get(url).content.decode()
    assert 'value="order_status" selected' in html
    assert "91% sure" in html
    assert f'hx-get="/assist/conversations/{owned_conversation.pk}/suggestions"' in html
