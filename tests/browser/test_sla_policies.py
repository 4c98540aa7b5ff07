"""A manager creates an SLA policy on /sla/ and watches the preview count follow the
conditions as they type.

With BATON_SCREENSHOTS=docs/screenshots it refreshes docs/screenshots/sla-policies.png."""

from __future__ import annotations

import pytest
from django.utils import timezone

from baton.agents.models import Team
from baton.sla.models import SlaPolicy
from tests.browser.pages import sign_in
from tests.conftest import make_inbox, make_user
from tests.routing.factories import queue_conversation

pytestmark = pytest.mark.browser


def test_manager_creates_a_policy_and_sees_the_preview(browser, baton_server, screenshots_dir):
    make_inbox(access_token="test-token")
    support = Team.objects.get(is_default=True)
    now = timezone.now()
    queue_conversation(support, now, priority=3)
    for _ in range(2):
        queue_conversation(support, now)
    make_user("maria", role="manager")
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    page = context.new_page()
    sign_in(page, baton_server, "maria")
    page.click("text=SLA policies")
    page.wait_for_selector("text=No policies yet")
    page.click("text=Add a policy")
    page.wait_for_selector("#preview-count:has-text('Applies to 3 of the 3 open conversations')")

    page.fill("input[name=name]", "Urgent first")
    page.fill("input[name=first_response_minutes]", "2")
    page.fill("input[name=warn_before_minutes]", "5")
    page.fill(
        "textarea[name=conditions]",
        '{"field": "conversation.priority", "op": "equals", "value": "urgent"}',
    )
    page.wait_for_selector("#preview-count:has-text('Applies to 1 of the 3 open conversations')")
    page.fill("textarea[name=on_breach]", '[{"action": "notify_managers"}]')
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=The warning must come before the shortest target")
    page.fill("input[name=warn_before_minutes]", "1")
    page.wait_for_selector("#preview-count:has-text('Applies to 1 of the 3')")
    page.screenshot(path=str(screenshots_dir / "sla-policy-form.png"), full_page=True)
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Saved “Urgent first”")
    page.wait_for_selector("tr:has-text('Urgent first') >> text=First response: 2 min")
    policy = SlaPolicy.objects.get()
    assert (policy.first_response_seconds, policy.warn_before_seconds) == (120, 60)

    # A second policy, after the first: the urgent conversation is not its.
    page.click("text=Add a policy")
    page.fill("input[name=name]", "Everyone else")
    page.fill("input[name=first_response_minutes]", "10")
    page.wait_for_selector("#preview-count:has-text('Applies to 2 of the 3 open conversations')")
    page.click("button:has-text('Save')")
    page.wait_for_selector("tr:has-text('Everyone else')")
    page.screenshot(path=str(screenshots_dir / "sla-policies.png"), full_page=True)
    context.close()
