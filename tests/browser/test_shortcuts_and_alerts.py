"""The keyboard help lists every shortcut the inbox takes, and each listed one works; an
alert clicked opens its conversation (menu closed, URL pushed)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from baton.agents.actions import do_create_user
from baton.agents.models import Team
from baton.conversations.models import Conversation, Message
from baton.demo.inbox import seed_inbox_catalogue
from baton.routing.alerts import do_scan_stale_conversations
from tests.browser.pages import post_customer_message
from tests.browser.test_inbox import item, login, open_pane
from tests.conftest import make_inbox
from tests.live import wait_for

pytestmark = pytest.mark.browser

PHONE_NUMBER_ID = "1122334455667"

# What the help must list: (combos, where) of each shortcut. Every one of them is pressed
# below; a shortcut added to live.js without a line here (and a check) fails the test.
EXPECTED_HELP = [
    ("j", "page"),
    ("k", "page"),
    ("r", "page"),
    ("n", "page"),
    ("c", "page"),
    ("h", "page"),
    ("e", "page"),
    ("g m", "page"),
    ("g u", "page"),
    ("g t", "page"),
    ("g h", "page"),
    ("g a", "page"),
    ("?", "page"),
    ("Ctrl+Enter", "composer"),
    ("/", "composer"),
    ("ArrowDown,ArrowUp", "canned"),
    ("Enter,Tab", "canned"),
    ("Escape", "canned"),
    ("Escape", "typing"),
    ("Escape", "dialog"),
]


def customer_writes(baton_server: str, wa_id: str, name: str, text: str) -> None:
    message = {"id": f"wamid.{wa_id}.{time.monotonic_ns()}", "type": "text", "text": {"body": text}}
    post_customer_message(baton_server, wa_id, name, message)


def press(page, *keys: str) -> None:
    for key in keys:
        page.keyboard.press(key)


def open_id(page) -> str | None:
    try:
        return page.evaluate(
            "() => { const c = document.querySelector('.conversation[data-ready]');"
            " return c ? c.dataset.conversationId : null; }"
        )
    except PlaywrightError as exc:
        # A view switch may still be loading its page when we look: look again.
        if "Execution context was destroyed" in str(exc):
            return None
        raise


def current_view(page, view: str) -> None:
    page.wait_for_selector(f"#conversation-list .items[data-view={view}]")


def focused(page) -> str:
    return page.evaluate(
        "() => { const a = document.activeElement;"
        " return a ? a.tagName + '.' + (a.name || '') : ''; }"
    )


def test_every_listed_shortcut_works_and_every_shortcut_is_listed(browser, baton_server):
    Team.objects.filter(is_default=True).update(assignment_strategy="manual")
    make_inbox(access_token="test-token")
    seed_inbox_catalogue()
    do_create_user("maria", "manager", password="pw", display_name="Maria")
    customer_writes(baton_server, "34600000001", "Ana Ruiz", "Hola")
    customer_writes(baton_server, "34600000002", "Luis Pardo", "Buenas")
    first, second = Conversation.objects.order_by("-id")  # the list shows newest first
    page = login(browser, baton_server, "maria")
    page.click("body")

    # ? opens the help, which lists every shortcut; Esc closes it.
    press(page, "?")
    page.wait_for_selector("#shortcuts-help[open]")
    listed = page.eval_on_selector_all(
        "#shortcuts-help dt", "els => els.map(e => [e.dataset.combos, e.dataset.where])"
    )
    assert [tuple(x) for x in listed] == EXPECTED_HELP
    assert page.locator("#shortcuts-help dd").count() == len(EXPECTED_HELP)
    press(page, "Escape")
    page.wait_for_selector("#shortcuts-help:not([open])", state="attached")

    # g u, then j / k move through the list.
    press(page, "g", "u")
    current_view(page, "unassigned")
    item(page, "Luis Pardo").wait_for()
    item(page, "Ana Ruiz").wait_for()
    order = page.eval_on_selector_all(
        "#conversation-list .conv-item", "els => els.map(e => e.dataset.conversationId)"
    )
    assert sorted(order) == sorted([str(first.pk), str(second.pk)])
    press(page, "j")
    wait_for(lambda: open_id(page) == order[0], message="j did not open the first")
    press(page, "j")
    wait_for(lambda: open_id(page) == order[1], message="j did not move down")
    press(page, "k")
    wait_for(lambda: open_id(page) == order[0], message="k did not move up")
    page.wait_for_selector(".conversation[data-ready] [data-action=claim]")

    # c claims; r and n focus the composer in reply and note mode; Esc leaves it.
    press(page, "c")
    page.wait_for_selector(".conversation[data-ready] #composer textarea[name=text]")
    press(page, "r")
    assert focused(page) == "TEXTAREA.text"
    assert page.is_checked("#composer input[name=mode][value=reply]")
    press(page, "Escape")
    assert focused(page) == "BODY."
    press(page, "n")
    assert focused(page) == "TEXTAREA.text"
    assert page.is_checked("#composer input[name=mode][value=note]")
    page.keyboard.type("Called her back")
    press(page, "Control+Enter")  # sends from the composer
    page.wait_for_selector(".conversation[data-ready] :text('Called her back')")
    wait_for(lambda: Message.objects.filter(text="Called her back").exists())

    # / opens the canned responses; arrows choose, Esc closes, Enter and Tab insert.
    press(page, "r")
    page.keyboard.type("/")
    menu = page.locator("#composer .canned-menu")
    menu.wait_for()
    chosen = "#composer .canned-option[aria-selected=true]"
    top = page.get_attribute(chosen, "data-shortcut")
    press(page, "ArrowDown")
    assert page.get_attribute(chosen, "data-shortcut") != top
    press(page, "ArrowUp")
    assert page.get_attribute(chosen, "data-shortcut") == top
    press(page, "Escape")
    menu.wait_for(state="hidden")
    assert focused(page) == "TEXTAREA.text"  # Esc closed the menu, not the composer
    page.fill("#composer textarea[name=text]", "")
    page.keyboard.type("/hi")
    menu.wait_for()
    press(page, "Enter")
    assert page.input_value("#composer textarea[name=text]").startswith("Hi! Thanks")
    page.fill("#composer textarea[name=text]", "")
    page.keyboard.type("/ship")
    menu.wait_for()
    press(page, "Tab")
    assert page.input_value("#composer textarea[name=text]").startswith("Orders placed")
    page.fill("#composer textarea[name=text]", "")
    press(page, "Escape")

    # h opens the handoff dialog; Esc closes it.
    press(page, "h")
    page.wait_for_selector("#handoff-dialog[open]")
    press(page, "Escape")
    page.wait_for_selector("#handoff-dialog:not([open])", state="attached")

    # g m / t / h / a switch views.
    for key, view in [("m", "mine"), ("t", "team"), ("h", "handoffs"), ("a", "all")]:
        press(page, "g", key)
        current_view(page, view)

    # e resolves the open conversation (once the pane, refreshed by the view switches, has
    # wired its buttons again: a key pressed before that finds nothing to click). Opened
    # from the list again: after a suite of browser tests the pane did not always come
    # back from the view switches (not understood yet; alone the test never needed it).
    if not page.locator(".conversation[data-ready] [data-action=resolve]").count():
        page.click(f"#conversation-list .conv-item[data-conversation-id='{order[0]}']")
    page.wait_for_selector(".conversation[data-ready] [data-action=resolve]")
    page.wait_for_load_state("networkidle")
    press(page, "e")
    page.wait_for_selector(".conversation[data-ready] .pill.resolved")
    wait_for(lambda: Conversation.objects.get(pk=int(order[0])).status == "resolved")


def test_an_alert_clicked_opens_its_conversation_and_closes_the_menu(browser, baton_server):
    Team.objects.filter(is_default=True).update(assignment_strategy="manual")
    make_inbox(access_token="test-token")
    do_create_user("maria", "manager", password="pw", display_name="Maria")
    customer_writes(baton_server, "34600000003", "Tomás Silva", "¿Hay alguien?")
    conversation = Conversation.objects.get()
    do_scan_stale_conversations(now=timezone.now() + timedelta(minutes=11))
    page = login(browser, baton_server, "maria")
    page.click(".alerts-button")
    page.wait_for_selector("#alerts details[open]")
    page.click(".alerts-panel .alert-row:has-text('Tomás Silva')")
    open_pane(page, "Tomás Silva")
    page.wait_for_function(f"() => location.pathname === '/c/{conversation.pk}/'", timeout=5_000)
    assert page.locator("#alerts details[open]").count() == 0
    # Back goes back to where the manager was.
    page.go_back()
    page.wait_for_function("() => location.pathname === '/'", timeout=5_000)
