"""The manager's board in a real browser: a customer writes through the real webhook, the
queue-depth number changes without a reload, and the number leads to those conversations.

``make screenshots`` also saves docs/screenshots/dashboard.png from here.
"""

from __future__ import annotations

import time

import pytest

from baton.agents.actions import do_create_user, do_set_presence
from tests.browser.pages import post_customer_message
from tests.browser.test_inbox import login
from tests.conftest import make_inbox

pytestmark = pytest.mark.browser

PHONE_NUMBER_ID = "1122334455667"


def customer_writes(base_url: str, wa_id: str, name: str, text: str) -> None:
    message = {"id": f"wamid.{wa_id}.{time.monotonic_ns()}", "type": "text", "text": {"body": text}}
    post_customer_message(base_url, wa_id, name, message)


def queue_depth(page) -> str:
    return page.inner_text("#board a[data-number=queue_depth]")


def test_the_board_changes_live_and_its_numbers_lead_to_the_conversations(
    browser, baton_server, screenshots_dir
):
    make_inbox(PHONE_NUMBER_ID)
    do_create_user("maria", "manager", team_name="Support", password="pw", display_name="Maria")
    alice = do_create_user("alice", "agent", password="pw", display_name="Alice Agent")
    do_create_user("bob", "agent", password="pw", display_name="Bob Builder")
    # Alice is away: nobody available, so what customers write waits in the queue.
    do_set_presence(alice, "available")
    do_set_presence(alice, "away")
    customer_writes(baton_server, "34600000001", "Ana García", "Hola, where is my order?")

    page = login(browser, baton_server, "maria")
    page.click("a.topbar-link:has-text('Manager board')")
    page.wait_for_selector("#live-state.on")
    assert page.url.endswith("/dashboard/")
    assert queue_depth(page) == "1"
    page.evaluate("window.__notReloaded = true")

    started = time.monotonic()
    customer_writes(baton_server, "34600000002", "Bruno Díaz", "My parcel is late")
    page.wait_for_function(
        "() => document.querySelector('#board a[data-number=queue_depth]').textContent === '2'",
        timeout=5000,
    )
    elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"the board took {elapsed:.1f} s to show the new conversation"
    assert page.evaluate("window.__notReloaded") is True  # changed in place, no reload
    assert page.inner_text("[data-agent=alice] .presence-pill") == "Away"
    page.screenshot(path=str(screenshots_dir / "dashboard.png"), full_page=True)

    page.click("#board a[data-number=queue_depth]")
    page.wait_for_selector("#conversation-list .items[data-view=filtered]")
    names = page.locator("#conversation-list .conv-item .name").all_inner_texts()
    assert sorted(names) == ["Ana García", "Bruno Díaz"]
    assert "Filtered: Support · waiting for a human" in page.inner_text(".list-head")
