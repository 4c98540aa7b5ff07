"""A manager sets up a routing rule in the browser; the next customer is routed by it."""

from __future__ import annotations

import httpx
import pytest

from baton.agents.models import Team
from baton.conversations.models import Conversation
from tests.conftest import make_inbox, make_user

pytestmark = pytest.mark.browser


def test_manager_creates_a_rule_and_a_new_customer_follows_it(browser, baton_server, simulator):
    make_inbox(access_token="test-token")
    Team.objects.create(name="Billing")
    make_user("maria", role="manager")
    page = browser.new_page()
    page.goto(f"{baton_server}/login/")
    page.fill("input[name=username]", "maria")
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.click("text=Routing rules")
    page.click("section:has-text('Main') >> text=Add a rule")

    page.fill("input[name=name]", "Refunds")
    page.fill(
        "textarea[name=conditions]",
        '{"field": "message.text", "op": "contains_any", "value": "refund"}',
    )
    page.fill("textarea[name=actions]", '{"team": "Billing", "priority": "urgent"}')
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=value must be a non-empty list of keywords")

    page.fill(
        "textarea[name=conditions]",
        '{"field": "message.text", "op": "contains_any", "value": ["refund", "money back"]}',
    )
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Saved “Refunds”")
    page.wait_for_selector("tr:has-text('Refunds') >> text=team: Billing")

    # The dry run with a pasted sample shows where such a message would go.
    page.click("text=Dry run")
    page.fill("textarea[name=text]", "I want my money back")
    page.select_option("select[name=inbox]", label="Main (15550001111)")
    page.click("button:has-text('Try the rules')")
    page.wait_for_selector("#sample-result:has-text('Refunds')")

    # A real customer, through the simulator and the signed webhook.
    httpx.post(
        f"{simulator.base_url}/_sim/customers/34600111333/messages",
        json={"text": "I need a REFUND please", "name": "Ana María"},
        timeout=10,
    ).raise_for_status()
    page.goto(f"{baton_server}/")
    page.click("#views [data-view=all]")
    customer = "#conversation-list .conv-item:has-text('Ana María')"
    page.wait_for_selector(customer, timeout=10_000)
    page.click(customer)
    page.wait_for_selector(".conv-title .team:text-is('Billing')")
    page.wait_for_selector(".routing-facts >> text=Urgent priority")
    page.wait_for_selector(".routing-facts >> text=via rule “Refunds”")
    conversation = Conversation.objects.get()
    assert conversation.priority == 3
