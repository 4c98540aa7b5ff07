"""A simulated customer who shares a place keeps their own name in Baton."""

from __future__ import annotations

import httpx

from baton.conversations.models import Contact, Message
from baton.simulator.customers import SCRIPTS, persona
from tests.live import wait_for
from tests.simulator.conftest import NUMBER

PRIYA = 9  # customer #9 follows the script that shares "Café de Flore"


def test_sharing_a_place_does_not_rename_the_customer(start_simulator):
    who = persona(PRIYA)
    script = SCRIPTS[PRIYA % len(SCRIPTS)]
    assert (who.name, ("location", "Café de Flore") in script) == ("Priya Šarma", True)
    simulator = start_simulator(customers=1, first_customer=PRIYA)
    wait_for(lambda: Message.objects.filter(direction="inbound").exists(), timeout=15)
    # Her script waits for an answer before sharing the place; answer as Baton would.
    httpx.post(
        f"{simulator.graph_base_url}/{NUMBER.phone_number_id}/messages",
        headers={"Authorization": f"Bearer {NUMBER.access_token}"},
        json={
            "messaging_product": "whatsapp",
            "to": who.wa_id,
            "type": "text",
            "text": {"body": "Oui, de 10 h à 18 h."},
        },
        timeout=10,
    ).raise_for_status()
    location = wait_for(lambda: Message.objects.filter(type="location").first(), timeout=15)
    assert location.text == "Café de Flore"
    assert location.content["name"] == "Café de Flore"
    contact = Contact.objects.get(wa_id=who.wa_id)
    assert contact.profile_name == "Priya Šarma"
