"""Customer text that looks like markup, shown to an agent in a real Chromium.

A customer controls their profile name, message text, captions, place names, list and button
titles. Each field below carries markup that would set the page title, write localStorage and
request /pwned/<field> if it ran; the agent's list, pane, contact panel and alerts must show it
as plain text instead.
"""

from __future__ import annotations

import copy
from urllib.parse import urlsplit

import pytest
from django.test import Client

from baton.conversations.models import Conversation
from tests.browser.pages import sign_in
from tests.conftest import load_sample, make_inbox, make_user, meta_bytes, post_webhook
from tests.live import running_baton
from tests.media_files import script

pytestmark = pytest.mark.browser

WA_ID = "972987654321"


def markup(field: str) -> str:
    """Three ways into a page: a script element, an event handler, and a broken-out attribute."""
    return (
        f"<script>{script(field)}</script>"
        f'<img src=x onerror="{script(field)}">'
        f'"><svg onload="{script(field)}">'
    )


def customer_writes(client: Client, wamid: str, message: dict) -> None:
    payload = copy.deepcopy(load_sample("inbound_text.json"))
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["profile"]["name"] = markup("profile-name")
    value["contacts"][0]["wa_id"] = WA_ID
    message = {"from": WA_ID, "id": wamid, "timestamp": "1697043223", **message}
    value["messages"] = [message]
    assert post_webhook(client, meta_bytes(payload)).status_code == 200


@pytest.fixture
def hostile_conversation(transactional_db) -> int:
    make_inbox()
    make_user("alice")
    client = Client()
    customer_writes(client, "wamid.text", {"type": "text", "text": {"body": markup("text")}})
    customer_writes(
        client,
        "wamid.place",
        {
            "type": "location",
            "location": {
                "latitude": 1.0,
                "longitude": 2.0,
                "name": markup("place-name"),
                "address": markup("place-address"),
            },
        },
    )
    customer_writes(
        client,
        "wamid.list",
        {
            "type": "interactive",
            "interactive": {
                "type": "list_reply",
                "list_reply": {
                    "id": "row-1",
                    "title": markup("list-title"),
                    "description": markup("list-description"),
                },
            },
        },
    )
    customer_writes(
        client,
        "wamid.button",
        {"type": "button", "button": {"payload": "p", "text": markup("button-text")}},
    )
    return Conversation.objects.get().pk


def test_customer_markup_is_shown_as_text_and_never_runs(hostile_conversation, browser):
    with running_baton(with_worker=False) as base_url:
        context = browser.new_context()
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        sign_in(page, base_url, "alice")

        page.goto(f"{base_url}/c/{hostile_conversation}/?view=unassigned")
        page.wait_for_selector(".conversation[data-ready]")
        page.wait_for_timeout(500)  # an injected handler, had one been parsed, has fired

        text = page.inner_text("body")
        for field in ["profile-name", "text", "place-name", "list-title", "button-text"]:
            # Shown literally (the customer's words, markup and all), not interpreted.
            assert f"localStorage.setItem('pwned','{field}')" in text, field
        assert page.title() != "PWNED"
        assert page.evaluate("localStorage.getItem('pwned')") is None
        injected = ".conversation script, .conversation img[src='x'], .conversation svg[onload]"
        assert page.locator(injected).count() == 0
        pwned = [url for url in requested if "/pwned/" in urlsplit(url).path]
        assert pwned == []
        context.close()
