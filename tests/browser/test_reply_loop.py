"""The whole loop in a real browser: a customer writes, an agent replies, ticks come back."""

from __future__ import annotations

import httpx
import pytest
from django.db import connections

from tests.browser.pages import sign_in
from tests.conftest import make_inbox, make_user

pytestmark = pytest.mark.browser


def test_agent_sees_message_live_replies_and_sees_read_ticks(browser, baton_server, simulator):
    make_inbox(access_token="test-token")
    make_user("alice")
    page = browser.new_page()
    sign_in(page, baton_server, "alice")
    page.click("#views [data-view=unassigned]")
    page.wait_for_selector("text=The queue is empty")

    # The customer writes while the page is open: it appears without a reload.
    httpx.post(
        f"{simulator.base_url}/_sim/customers/34600111222/messages",
        json={"text": "¿Tienen envío hoy?", "name": "José Gómez"},
        timeout=10,
    ).raise_for_status()
    page.wait_for_selector(".conv-item:has-text('José Gómez')", timeout=10_000)

    page.click(".conv-item:has-text('José Gómez')")
    page.click(".conversation[data-ready] .conv-actions button:has-text('Claim')")
    page.wait_for_selector(".conversation[data-ready] textarea[name=text]")
    page.fill(".conversation[data-ready] textarea[name=text]", "Sí, hasta las 18h")
    page.click(".conversation[data-ready] button:has-text('Send')")

    # The reply reaches WhatsApp (the simulator)...
    def sent_bodies() -> list[str]:
        items = httpx.get(f"{simulator.base_url}/_sim/outbox", timeout=5).json()["items"]
        return [item["body"]["text"]["body"] for item in items]

    page.wait_for_function("() => true")  # let htmx settle
    for _ in range(100):
        if sent_bodies():
            break
        page.wait_for_timeout(100)
    assert sent_bodies() == ["Sí, hasta las 18h"]
    # ...and its statuses come back live, up to read.
    page.wait_for_selector("article.outbound[data-status='read']", timeout=15_000)
    # The ORM calls above ran in Playwright's context, on a connection of their own that the
    # test teardown does not see; left open, PostgreSQL refuses to drop the test database.
    connections.close_all()
