"""What every browser test does on Baton's pages: sign in, post as a customer."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from baton.simulator.config import SimNumber
from baton.simulator.wire import envelope
from baton.whatsapp.signature import sign
from tests.conftest import APP_SECRET

PHONE_NUMBER_ID = "1122334455667"


def sign_in(page, base_url: str, username: str, *, until: str = "#live-state.on") -> None:
    """Sign in through the login form; waits for ``until`` (the live socket, by default)."""
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_selector(until)


def post_customer_message(base_url: str, wa_id: str, name: str, message: dict[str, Any]) -> None:
    """A customer's message as Meta delivers it: a signed webhook over real HTTP."""
    number = SimNumber(PHONE_NUMBER_ID, "15550001111", "900000000000001", "test-token")
    payload = envelope(
        number,
        {
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "timestamp": str(int(time.time())), **message}],
        },
    )
    body = json.dumps(payload).encode()
    httpx.post(
        f"{base_url}/webhooks/whatsapp",
        content=body,
        headers={"X-Hub-Signature-256": sign(body, APP_SECRET), "Content-Type": "application/json"},
        timeout=10,
    ).raise_for_status()
