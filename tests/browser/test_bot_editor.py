"""A manager edits a bot flow on /bots/ (an error naming the step first, then a new
version), reads the diagram, and plays the flow in the test run panel: nothing is sent.

With BATON_SCREENSHOTS=docs/screenshots it refreshes docs/screenshots/bot-editor.png."""

from __future__ import annotations

import json

import pytest

from baton.agents.models import Team
from baton.bots.actions import do_create_flow
from baton.bots.models import Flow
from baton.conversations.models import Message
from tests.bots.flows import front_desk
from tests.browser.pages import sign_in
from tests.conftest import make_inbox, make_user

pytestmark = pytest.mark.browser


def test_manager_edits_a_flow_and_runs_the_test_panel(browser, baton_server, screenshots_dir):
    make_inbox(access_token="test-token")
    for name in ("Support", "Sales"):
        Team.objects.get_or_create(name=name)
    flow = do_create_flow(front_desk(), None)
    make_user("maria", role="manager")
    context = browser.new_context(viewport={"width": 1400, "height": 1300})
    page = context.new_page()
    sign_in(page, baton_server, "maria")
    page.click("text=Bot flows")
    page.wait_for_selector(f"tr[data-flow='{flow.pk}']:has-text('v1')")
    page.click(f"tr[data-flow='{flow.pk}'] a")
    page.wait_for_selector("svg.flow-diagram g[data-step='order_no']")

    broken = front_desk()
    broken["steps"][1]["next"] = "nowhere"
    page.fill("textarea[name=definition]", json.dumps(broken, indent=2))
    page.click("button:has-text('Save as a new version')")
    page.wait_for_selector("text=step 'order_no': next 'nowhere' is not a step.")
    assert Flow.objects.get().current_version.number == 1

    changed = front_desk()
    changed["steps"][0]["text"] = "Hi there! How can we help?"
    page.fill("textarea[name=definition]", json.dumps(changed, indent=2))
    page.click("button:has-text('Save as a new version')")
    page.wait_for_selector("text=Saved “Front desk” as version 2.")
    page.wait_for_selector(f"tr[data-flow='{flow.pk}']:has-text('v2')")

    page.click(f"tr[data-flow='{flow.pk}'] a")
    page.click("button:has-text('Start the test run')")
    page.wait_for_selector("#trial >> text=Hi there! How can we help?")
    page.click("#trial button:has-text('Track my order')")
    page.wait_for_selector("#trial >> text=Your order number?")
    page.fill("#trial-text", "12ab")
    page.press("#trial-text", "Enter")
    page.wait_for_selector("#trial >> text=Only digits, please.")
    page.fill("#trial-text", "123456")
    page.click("#trial button:has-text('Send')")
    page.wait_for_selector("#trial >> text=Saved order_number = 123456")
    page.wait_for_selector("#trial >> text=Hands off to Support")
    page.wait_for_selector("#trial-done")
    assert not Message.objects.exists()  # nothing was sent
    page.screenshot(path=str(screenshots_dir / "bot-editor.png"), full_page=True)
    context.close()
