"""Customers' and agents' files opened in a real Chromium, logged in as an agent.

Every hostile file carries a script that would set the page title, write localStorage and
request /pwned/<name> if it ran; none of that may happen. A real image still shows.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from baton.conversations.models import Conversation, Message
from baton.conversations.ownership import do_claim_conversation
from tests.browser.pages import sign_in
from tests.conftest import make_inbox, make_user
from tests.live import running_baton
from tests.media_files import customer_sends_file, hostile_html

pytestmark = pytest.mark.browser

HOSTILE = ["html-document", "svg-image", "svg-document", "png-that-is-html"]


def open_file(page, url: str) -> None:
    """Open ``url`` as an agent would (a new tab on its link); a download is fine too."""
    try:
        # "Download is starting" aborts the navigation: that is the good outcome.
        with page.expect_download(timeout=3_000), contextlib.suppress(PlaywrightError):
            page.goto(url)
    except PlaywrightError:
        pass  # shown, not downloaded
    page.wait_for_timeout(300)  # a script, had one run, has had its moment


@pytest.fixture
def hostile_world(transactional_db):
    """Alice's conversation holding every file; made before the browser starts (Playwright's
    event loop on this thread would stop live events from being published)."""
    make_inbox()
    alice = make_user("alice")
    setup = Client()
    files = {name: customer_sends_file(setup, name) for name in [*HOSTILE, "real-png"]}
    conversation_id = files["real-png"].conversation_id
    # The sample customer wrote in 2023: reopen the 24-hour window so Alice may send.
    Conversation.objects.filter(pk=conversation_id).update(
        window_ends_at=timezone.now() + timedelta(hours=24)
    )
    do_claim_conversation(conversation_id, alice)
    # An agent's upload, through the composer's real endpoint.
    setup.force_login(alice)
    upload = SimpleUploadedFile("prices.html", hostile_html("agent-upload"), "text/html")
    response = setup.post(f"/c/{conversation_id}/reply", {"text": "", "attachment": upload})
    assert response.status_code == 302
    files["agent-upload"] = Message.objects.get(media_filename="prices.html")
    return conversation_id, files


@pytest.mark.parametrize("separate_media_origin", [False, True], ids=["app-origin", "media-origin"])
def test_no_customer_or_agent_file_runs_script(
    hostile_world, browser, settings, separate_media_origin
):
    conversation_id, files = hostile_world
    with running_baton(with_worker=False) as base_url:
        if separate_media_origin:
            # Same server, another origin: what media.example.com would be in production.
            settings.BATON_MEDIA_ORIGIN = base_url.replace("127.0.0.1", "localhost")
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        sign_in(page, base_url, "alice")

        # A real image still shows inline in the conversation, from whichever origin.
        page.goto(f"{base_url}/c/{conversation_id}/")
        image = page.wait_for_selector(f"#m{files['real-png'].pk} img.media")
        page.wait_for_function("img => img.complete && img.naturalWidth === 120", arg=image)
        origin = getattr(settings, "BATON_MEDIA_ORIGIN", "") or base_url
        image_url = f"{origin}/media/{files['real-png'].pk}"
        assert any(url.startswith(image_url) for url in requested), requested

        for name in [*HOSTILE, "agent-upload"]:
            tab = context.new_page()
            tab.on("request", lambda request: requested.append(request.url))
            open_file(tab, f"{base_url}/media/{files[name].pk}")
            assert tab.title() != "PWNED", name
            tab.close()

        page.goto(f"{base_url}/")
        assert page.evaluate("localStorage.getItem('pwned')") is None
        pwned = [url for url in requested if "/pwned/" in urlsplit(url).path]
        assert pwned == []
        context.close()
