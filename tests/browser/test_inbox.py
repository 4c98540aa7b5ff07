"""The agent inbox in a real browser: two agents, the simulator as the customer.

Screenshots of the main screens are saved to this run's pytest temporary folder;
``make screenshots`` runs these tests with BATON_SCREENSHOTS=docs/screenshots to refresh
the pictures in the docs.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.utils import timezone

from baton.agents.actions import do_create_user
from baton.agents.models import Team, User
from baton.conversations.models import Conversation, Message
from baton.demo.inbox import seed_inbox_catalogue
from baton.routing.alerts import do_scan_stale_conversations
from baton.simulator.media import png
from tests.browser.pages import post_customer_message, sign_in
from tests.conftest import make_inbox
from tests.live import wait_for

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 800}
PHONE_NUMBER_ID = "1122334455667"


@pytest.fixture
def shot(screenshots_dir: Path):
    def take(page, name: str) -> None:
        page.screenshot(path=str(screenshots_dir / f"{name}.png"))

    return take


def login(browser, base_url: str, username: str, **context_args):
    context_args.setdefault("viewport", VIEWPORT)
    context = browser.new_context(**context_args)
    page = context.new_page()
    page.on("console", lambda msg: print(f"[{username} console]", msg.text))
    page.on("pageerror", lambda exc: print(f"[{username} pageerror]", exc))
    page.on(
        "response",
        lambda r: print(f"[{username} HTTP {r.status}]", r.url) if r.status >= 400 else None,
    )
    page.on("requestfailed", lambda r: print(f"[{username} request failed]", r.url, r.failure))
    sign_in(page, base_url, username)
    return page


def make_agent(username: str, display_name: str):
    return do_create_user(username, "agent", password="pw", display_name=display_name)


def customer_writes(simulator, key: str, **spec) -> dict:
    response = httpx.post(
        f"{simulator.base_url}/_sim/customers/{key}/messages", json=spec, timeout=10
    )
    response.raise_for_status()
    return response.json()


def outbox(simulator) -> list[dict]:
    return httpx.get(f"{simulator.base_url}/_sim/outbox", timeout=5).json()["items"]


def open_pane(page, name: str) -> None:
    """Wait until the conversation with ``name`` is shown and its buttons are live."""
    page.wait_for_selector(f".conversation[data-ready] .conv-title:has-text('{name}')")


def ready(page) -> None:
    """Wait until the latest swap of the conversation pane has settled."""
    page.wait_for_selector(".conversation[data-ready]")


def item(page, name: str):
    return page.locator(f"#conversation-list .conv-item:has-text('{name}')")


def test_two_agents_claim_reply_hand_off_accept_resolve(browser, baton_server, simulator, shot):
    # A queue-only team: this scenario is agents claiming from the queue by hand (automatic
    # assignment to available agents is covered in tests/routing).
    Team.objects.filter(is_default=True).update(assignment_strategy="manual")
    make_inbox(access_token="test-token")
    make_agent("alice", "Alice")
    make_agent("bob", "Bob")
    alice = login(browser, baton_server, "alice")
    bob = login(browser, baton_server, "bob")
    for page in (alice, bob):
        # Presence: they start offline and make themselves available.
        page.select_option("#presence select[name=status]", "available")
        page.wait_for_selector("#presence.presence-available")
        page.click("#views [data-view=unassigned]")
        page.wait_for_selector("text=The queue is empty")
    assert set(
        User.objects.filter(username__in=["alice", "bob"]).values_list("presence", flat=True)
    ) == {"available"}

    # The customer writes: both agents see it in Unassigned without reloading.
    customer_writes(simulator, "34600111222", text="¿Tienen envío hoy?", name="José Gómez")
    for page in (alice, bob):
        item(page, "José Gómez").wait_for(timeout=10_000)
        page.wait_for_selector("#views [data-view=unassigned] .count:text-is('1')")

    # Both open it; each sees that the other is viewing.
    for page in (alice, bob):
        item(page, "José Gómez").click()
        open_pane(page, "José Gómez")
    bob.wait_for_selector("#collab:has-text('Alice is viewing')", timeout=20_000)

    # Alice claims; Bob's screen locks to Alice live.
    alice.click(".conversation[data-ready] .conv-actions [data-action=claim]")
    alice.wait_for_selector(".conversation[data-ready] #composer textarea[name=text]")
    bob.wait_for_selector(".composer.locked:has-text('Owned by Alice — ask for a handoff')")
    assert bob.locator(".conversation[data-ready] #composer").count() == 0
    bob.wait_for_selector("#views [data-view=unassigned] .count:text-is('0')")
    bob.wait_for_selector("text=The queue is empty")
    shot(bob, "locked-composer")

    # Alice types (Bob sees it), replies; the simulator receives it, ticks go to read.
    alice.fill(".conversation[data-ready] #composer textarea[name=text]", "Sí, hasta las 18h")
    alice.type(".conversation[data-ready] #composer textarea[name=text]", " ")
    bob.wait_for_selector("#collab:has-text('Alice is typing')", timeout=10_000)
    alice.click(".conversation[data-ready] #composer button.send")
    wait_for(lambda: len(outbox(simulator)) == 1, message="the reply did not reach WhatsApp")
    assert outbox(simulator)[0]["body"]["text"]["body"] == "Sí, hasta las 18h"
    alice.wait_for_selector("article.outbound[data-status='read'] .ticks-read", timeout=15_000)
    bob.wait_for_selector("article.outbound:has-text('Sí, hasta las 18h')", timeout=10_000)

    # Alice hands off to Bob with a note.
    alice.click(".conversation[data-ready] .conv-actions [data-action=handoff]")
    alice.select_option(".conversation[data-ready] #handoff-dialog select[name=to]", "agent:bob")
    alice.fill(".conversation[data-ready] #handoff-dialog input[name=reason]", "End of my shift")
    alice.fill(
        ".conversation[data-ready] #handoff-dialog textarea[name=note]",
        "He wants express delivery to Valencia",
    )
    shot(alice, "handoff-dialog")
    alice.click(".conversation[data-ready] #handoff-dialog button[type=submit]")
    alice.wait_for_selector(
        ".conversation[data-ready] .banner.handoff-out:has-text('Offered to Bob')"
    )

    # Bob sees the offer live (counter and banner), accepts, reads the note, replies.
    bob.wait_for_selector("#views [data-view=handoffs] .count:text-is('1')", timeout=10_000)
    bob.wait_for_selector(
        ".conversation[data-ready] .banner.handoff-in:has-text('Alice wants to hand')",
        timeout=10_000,
    )
    bob.click(".conversation[data-ready] .banner.handoff-in [data-action=accept]")
    bob.wait_for_selector(".conversation[data-ready] #composer textarea[name=text]")
    bob.wait_for_selector(
        ".activity-handoff_accepted .activity-note:has-text('He wants express delivery')"
    )
    # Keyboard: r focuses the reply box, Ctrl+Enter sends.
    bob.keyboard.press("r")
    bob.keyboard.type("Hola José, soy Bob: te lo mando exprés.")
    bob.keyboard.press("Control+Enter")
    wait_for(lambda: len(outbox(simulator)) == 2, message="Bob's reply did not reach WhatsApp")
    alice.wait_for_selector(".composer.locked:has-text('Owned by Bob')", timeout=10_000)

    # Bob resolves.
    bob.click(".conversation[data-ready] .conv-actions [data-action=resolve]")
    bob.wait_for_selector(".pill.resolved")
    conversation = Conversation.objects.get()
    assert conversation.status == "resolved"
    assert conversation.last_owner.username == "bob"
    assert [m.author.username for m in Message.objects.filter(direction="outbound")] == [
        "alice",
        "bob",
    ]


def test_outside_the_window_the_composer_offers_templates_only(
    browser, baton_server, simulator, shot
):
    make_inbox(access_token="test-token")
    seed_inbox_catalogue()
    make_agent("alice", "Alice")
    customer_writes(
        simulator,
        "34600333444",
        text="Hello, any news on my order?",
        name="Marta Ruiz",
        timestamp=int(time.time()) - 26 * 3600,
    )
    alice = login(browser, baton_server, "alice")
    # Keyboard only: g u (Unassigned), j (first conversation), c (claim).
    alice.keyboard.press("g")
    alice.keyboard.press("u")
    item(alice, "Marta Ruiz").wait_for()
    alice.wait_for_selector("#conversation-list .list-head h1:text-is('Unassigned')")
    alice.keyboard.press("j")
    open_pane(alice, "Marta Ruiz")
    alice.keyboard.press("c")
    alice.wait_for_selector(".conversation[data-ready] #composer select[name=template_id]")
    assert alice.locator(".conversation[data-ready] #composer .reply-area textarea").count() == 0
    assert alice.locator(".pill.window-closed").is_visible()
    alice.select_option(
        ".conversation[data-ready] #composer select[name=template_id]", label="order_update · en_US"
    )
    params = alice.locator(".conversation[data-ready] #composer input[name=template_param]")
    assert params.count() == 2
    params.nth(0).fill("#4521")
    params.nth(1).fill("tomorrow")
    alice.wait_for_selector(".template-preview:has-text('Your order #4521 is on its way')")
    shot(alice, "templates-only")
    alice.click(".conversation[data-ready] #composer button.send")
    wait_for(lambda: len(outbox(simulator)) == 1, message="the template did not reach WhatsApp")
    sent = outbox(simulator)[0]["body"]
    assert sent["type"] == "template"
    assert sent["template"]["name"] == "order_update"
    assert [p["text"] for p in sent["template"]["components"][0]["parameters"]] == [
        "#4521",
        "tomorrow",
    ]
    alice.wait_for_selector("article.outbound[data-status='read']", timeout=15_000)


def _post_raw(baton_server: str, key: str, name: str, message: dict) -> None:
    """A message type the simulated customers never send, as a signed webhook."""
    post_customer_message(baton_server, key, name, message)


def test_every_message_type_and_the_inbox(browser, baton_server, simulator, shot, tmp_path):
    """A conversation with every kind of item, for the eye and the screenshots."""
    # Queue only, so the unassigned conversations stay in the queue for the pictures.
    Team.objects.filter(is_default=True).update(assignment_strategy="manual")
    make_inbox(access_token="test-token")
    seed_inbox_catalogue()
    make_agent("alice", "Alice")
    make_agent("bob", "Bob")
    do_create_user("maria", "manager", password="pw", display_name="Maria")
    key, name = "34611222333", "Lucía Fernández"
    first = customer_writes(simulator, key, text="Hi! I ordered a lamp last week.", name=name)
    customer_writes(simulator, key, type="image", caption="It arrived like this", name=name)
    customer_writes(simulator, key, type="document", filename="invoice-4521.pdf", name=name)
    _post_raw(
        baton_server,
        key,
        name,
        {
            "id": "wamid.location-1",
            "type": "location",
            "location": {
                "latitude": 39.4699,
                "longitude": -0.3763,
                "name": "Home",
                "address": "Carrer de Colón 12, Valencia",
            },
        },
    )
    audio = simulator.simulator.world.store_media(b"OggS\x00voice", "audio/ogg")
    _post_raw(
        baton_server,
        key,
        name,
        {
            "id": "wamid.audio-1",
            "type": "audio",
            "audio": {"id": audio.media_id, "mime_type": "audio/ogg", "voice": True},
        },
    )
    _post_raw(
        baton_server,
        key,
        name,
        {
            "id": "wamid.contacts-1",
            "type": "contacts",
            "contacts": [
                {
                    "name": {"formatted_name": "Pablo Fernández"},
                    "phones": [{"phone": "+34 600 555 219", "type": "MOBILE"}],
                }
            ],
        },
    )
    customer_writes(simulator, key, type="interactive", id="refund", title="Refund", name=name)
    customer_writes(simulator, key, type="sticker_pack", name=name)  # unsupported
    customer_writes(
        simulator, key, type="reaction", message_id=first["wamid"], emoji="❤", name=name
    )
    # Two other customers, so the list has something to show.
    customer_writes(simulator, "34622000111", text="Do you ship to Lisbon?", name="Tomás Silva")
    customer_writes(simulator, "34633000222", text="Can I change my address?", name="Ana Costa")
    wait_for(
        lambda: Message.objects.filter(media_state="ready").count() >= 3,
        message="media were not downloaded",
    )

    alice = login(browser, baton_server, "alice")
    alice.click("#views [data-view=unassigned]")
    item(alice, name).click()
    alice.click(".conversation[data-ready] .conv-actions [data-action=claim]")
    alice.wait_for_selector(".conversation[data-ready] #composer textarea[name=text]")
    # An attachment goes up through the Graph media API and out by its media id.
    photo = tmp_path / "upload-test.png"
    photo.write_bytes(png(200, 140, (230, 150, 60)))
    alice.set_input_files(".conversation[data-ready] #composer input[type=file]", str(photo))
    alice.wait_for_selector(
        ".conversation[data-ready] #composer .file-name:has-text('upload-test.png')"
    )
    alice.fill(".conversation[data-ready] #composer textarea[name=text]", "Is this the right lamp?")
    alice.click(".conversation[data-ready] #composer button.send")
    wait_for(
        lambda: any(m["body"].get("type") == "image" for m in outbox(simulator)),
        timeout=15,
        message="the image did not reach WhatsApp",
    )
    sent_image = next(m["body"] for m in outbox(simulator) if m["body"].get("type") == "image")
    assert sent_image["image"]["id"]
    assert sent_image["image"]["caption"] == "Is this the right lamp?"
    alice.wait_for_selector("article.outbound.type-image img", timeout=10_000)
    # A reply quoting the customer's first message, via a canned response.
    alice.hover(".conversation[data-ready] article.msg.type-text >> nth=0")
    alice.click(".conversation[data-ready] article.msg.type-text >> nth=0 >> .reply-btn")
    alice.type(".conversation[data-ready] #composer textarea[name=text]", "/ref")
    alice.wait_for_selector(".canned-menu .canned-option:has-text('/refund')")
    alice.keyboard.press("Enter")
    assert "30 days" in alice.input_value(".conversation[data-ready] #composer textarea[name=text]")
    alice.click(".conversation[data-ready] #composer button.send")
    alice.wait_for_selector("article.outbound:has(.quote)", timeout=10_000)
    alice.wait_for_selector("article.outbound:has(.quote)[data-status='read']", timeout=15_000)
    # A delivery WhatsApp refuses, shown with its reason in words.
    httpx.post(
        f"{simulator.base_url}/_sim/faults",
        json={
            "kind": "async_failed",
            "code": 131026,
            "title": "Message undeliverable",
            "details": "The recipient's phone number is not on WhatsApp or has an old app.",
        },
        timeout=5,
    ).raise_for_status()
    alice.fill(
        ".conversation[data-ready] #composer textarea[name=text]", "Here is the return label."
    )
    alice.click(".conversation[data-ready] #composer button.send")
    alice.wait_for_selector("article.outbound[data-status='failed'] .fail-reason", timeout=15_000)
    # An internal note.
    alice.click(".conversation[data-ready] #composer label.tab.note")
    alice.fill(
        ".conversation[data-ready] #composer textarea[name=text]",
        "Courier damaged it — claim with SEUR.",
    )
    alice.click(".conversation[data-ready] #composer button.send")
    alice.wait_for_selector("article.note:has-text('claim with SEUR')")

    for selector in (
        "article.type-image img",
        "article.type-document .file",
        "article.type-audio audio",
        "article.type-location .location",
        "article.type-contacts .vcard",
        "article.type-interactive .choice",
        "article.type-unsupported .unsupported",
        ".reaction:has-text('❤')",
        ".activity-claimed",
    ):
        assert alice.locator(selector).count() >= 1, selector
    alice.select_option("#presence select[name=status]", "available")
    alice.wait_for_selector("#presence.presence-available")
    # Tall enough to show the whole timeline in one picture.
    alice.set_viewport_size({"width": 1280, "height": 1480})
    alice.evaluate("document.getElementById('timeline').scrollTop = 0")
    shot(alice, "conversation-every-type")
    alice.set_viewport_size(VIEWPORT)
    alice.click("#views [data-view=team]")
    alice.wait_for_selector("#conversation-list .list-head h1:text-is('Team')")
    alice.evaluate("document.getElementById('timeline').scrollTop = 1e6")
    shot(alice, "inbox")

    # After the socket drops, the page re-fetches: what happened meanwhile shows up.
    alice.evaluate("window.batonSocket.close()")
    customer_writes(simulator, "34644000333", text="Hola, ¿abrís el sábado?", name="Irene Vidal")
    item(alice, "Irene Vidal").wait_for(timeout=15_000)
    alice.wait_for_selector("#live-state.on")

    # A manager sees stale alerts arrive live, and the All view.
    maria = login(browser, baton_server, "maria")
    maria.click("#views [data-view=all]")
    item(maria, "Tomás Silva").wait_for()
    do_scan_stale_conversations(now=timezone.now() + timedelta(minutes=11))
    maria.wait_for_selector(".alerts-button.has-alerts .badge-count", timeout=10_000)
    maria.click(".alerts-button")
    maria.wait_for_selector(".alerts-panel .alert-row:has-text('Tomás Silva')")
    shot(maria, "manager-alerts")

    # The phone layout: one column, the conversation on top.
    phone = login(browser, baton_server, "bob", viewport={"width": 390, "height": 800})
    phone.click("#views [data-view=unassigned]")
    item(phone, "Tomás Silva").wait_for()
    shot(phone, "phone-list")
