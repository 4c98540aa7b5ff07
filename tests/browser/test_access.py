"""An agent deactivated while their inbox is open is sent to the login page by the socket's
close (issue 9, item 12): live.js must not keep reconnecting a session that is gone."""

from __future__ import annotations

import pytest

from baton.agents.actions import do_deactivate_user
from tests.browser.pages import sign_in
from tests.conftest import make_user

pytestmark = pytest.mark.browser


def test_a_deactivated_agents_open_inbox_goes_to_the_login_page(browser, baton_server):
    alice = make_user("alice")
    page = browser.new_page()
    sign_in(page, baton_server, "alice")
    do_deactivate_user(alice)
    page.wait_for_url("**/login/**", timeout=10_000)
    assert page.locator("input[name=username]").is_visible()
