"""SLA in a real browser: a customer writes through the webhook, the badge in the SLA risk
view counts down every second, turns amber at the warning and red at the breach as the
embedded worker's scan records them (no reload), and the manager gets a notice."""

from __future__ import annotations

import re
import time

import pytest

from baton.agents.actions import do_create_user
from baton.conversations.models import Conversation
from baton.sla.actions import do_create_policy
from tests.browser.pages import post_customer_message
from tests.browser.test_inbox import login, shot  # noqa: F401 (a fixture)
from tests.conftest import make_inbox
from tests.live import wait_for

pytestmark = pytest.mark.browser

FIRST_RESPONSE_SECONDS = 20
WARN_BEFORE_SECONDS = 10


def badge_seconds(page) -> int:
    """The badge's time left, in seconds (negative once over)."""
    text = page.inner_text("#conversation-list .chip.sla [data-sla-due]")
    match = re.fullmatch(r"(\d+)([sm]) (left|over)", text.strip())
    assert match, text
    seconds = int(match[1]) * (60 if match[2] == "m" else 1)
    return seconds if match[3] == "left" else -seconds


def test_badge_counts_down_turns_amber_then_red_live(browser, baton_server, shot):  # noqa: F811
    make_inbox()
    do_create_user("maria", "manager", password="pw", display_name="Maria")
    do_create_policy(
        None,
        {
            "name": "Gold",
            "first_response_seconds": FIRST_RESPONSE_SECONDS,
            "warn_before_seconds": WARN_BEFORE_SECONDS,
            "on_warning": [{"action": "notify_managers"}],
            "on_breach": [{"action": "notify_managers"}],
        },
    )
    page = login(browser, baton_server, "maria")
    page.click('#views a[data-view="sla"]')
    page.wait_for_selector('#conversation-list .items[data-view="sla"]')

    post_customer_message(
        baton_server,
        "34600111222",
        "Ana Souza",
        {"id": "wamid.sla.1", "type": "text", "text": {"body": "My order never arrived"}},
    )
    started = time.monotonic()
    page.wait_for_selector('#conversation-list .chip.sla[data-sla-state="running"]', timeout=10000)
    assert page.inner_text("#conversation-list .conv-item .name") == "Ana Souza"
    assert page.inner_text('#views [data-count="sla"]') == "1"

    # Counting down in the browser: the very element the server rendered changes its text
    # (marked, so a list re-rendered by a live event would not pass for a countdown; then
    # the new element is marked and watched instead).
    first = badge_seconds(page)
    assert 0 < first <= FIRST_RESPONSE_SECONDS
    ticked = """() => {
      const el = document.querySelector('.chip.sla [data-sla-due]');
      if (!el) return false;
      if (el.seenText === undefined) { el.seenText = el.textContent; return false; }
      return el.textContent !== el.seenText;
    }"""
    wait_for(lambda: page.evaluate(ticked), timeout=5, message="the same badge counting down")
    assert badge_seconds(page) < first

    # The scan (every 5 s) records the warning: amber, and a notice for the manager. (With
    # nobody available the prediction may have turned it amber already: "sla-predicted".)
    page.wait_for_selector(
        '#conversation-list .chip.sla.sla-warning[data-sla-state="warning"]', timeout=15000
    )
    assert time.monotonic() - started >= FIRST_RESPONSE_SECONDS - WARN_BEFORE_SECONDS - 1
    page.wait_for_selector(".toast.sla-toast.sla-warning", timeout=10000)
    assert "due soon" in page.inner_text(".toast.sla-warning .toast-text").lower()

    # Open it: the header shows the clock, and follows the breach live too.
    page.click("#conversation-list .conv-item")
    page.wait_for_selector(".conversation[data-ready] #sla-clocks .sla-clock.sla-warning")
    assert "SLA · Gold" in page.inner_text("#sla-clocks")

    page.wait_for_selector(
        '#conversation-list .chip.sla.sla-breached[data-sla-state="breached"]', timeout=20000
    )
    assert time.monotonic() - started >= FIRST_RESPONSE_SECONDS - 1
    page.wait_for_selector("#sla-clocks .sla-clock.sla-breached", timeout=10000)
    page.wait_for_selector(".toast.sla-toast.sla-breach", timeout=10000)
    assert badge_seconds(page) <= 0
    # The timeline has the breach line, with what the policy did.
    wait_for(
        lambda: "breached" in page.inner_text("#timeline"),
        timeout=10,
        message="the breach line in the timeline",
    )
    conversation = Conversation.objects.get()
    assert conversation.sla.first_response_state == "breached"
    shot(page, "sla-inbox")
