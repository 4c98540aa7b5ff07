"""Simulated customers answer a bot: they tap a reply button and a list row, type their
order number when asked for it and rate the help, all as real webhooks to a real Baton."""

from __future__ import annotations

import random

import httpx

from baton.agents.actions import do_create_user
from baton.agents.models import Team
from baton.bots.actions import do_create_flow, do_return_to_bot
from baton.bots.models import CsatResponse
from baton.conversations.models import Conversation, ConversationStatus, Message
from baton.simulator.customers import (
    SCRIPTS,
    answer_to_prompt,
    order_number,
    persona,
    pick_rating,
)
from baton.whatsapp.outbound import buttons_body, list_body
from tests.bots.flows import closing
from tests.live import wait_for
from tests.simulator.conftest import NUMBER

CUSTOMER = 6  # script 0: a question, then "Great, thank you" once answered

DESK = {
    "name": "Desk",
    "start_on": "new_conversation",
    "start": "menu",
    "steps": [
        {
            "id": "menu",
            "type": "message",
            "text": "Hi! What can we do for you?",
            "buttons": [
                {"id": "track", "title": "Track my order", "next": "topic"},
                {"id": "other", "title": "Something else", "next": "topic"},
            ],
        },
        {
            "id": "topic",
            "type": "message",
            "text": "Which of these is closest?",
            "list": {
                "button": "Choose",
                "rows": [
                    {"id": "late", "title": "It is late", "description": "Not here", "next": "no"},
                    {"id": "broken", "title": "It is broken", "next": "no"},
                    {"id": "wrong", "title": "Wrong item", "next": "no"},
                ],
            },
        },
        {
            "id": "no",
            "type": "ask",
            "text": "What is your order number?",
            "save_as": "order_number",
            "validate": "^[0-9]{4,10}$",
            "retry_text": "Only digits, please.",
            "next": "to_support",
        },
        {
            "id": "to_support",
            "type": "handoff",
            "team": "Support",
            "note": "Order {{order_number}}",
            "text": "Thanks! A colleague takes over.",
        },
    ],
}


def test_a_simulated_customer_answers_buttons_a_list_a_question_and_a_rating(start_simulator):
    assert SCRIPTS[CUSTOMER % len(SCRIPTS)][1] == ("wait_reply",)
    Team.objects.get_or_create(name="Support")
    do_create_flow(DESK, None)
    do_create_flow(closing(), None)
    manager = do_create_user("mia", "manager")
    simulator = start_simulator(customers=1, first_customer=CUSTOMER)
    who = persona(CUSTOMER)

    conversation = wait_for(
        lambda: Conversation.objects.filter(
            attributes__order_number=order_number(CUSTOMER)
        ).first(),
        timeout=30,
    )
    assert conversation.status != ConversationStatus.BOT
    assert conversation.team.name == "Support"
    inbound = list(Message.objects.filter(direction="inbound").order_by("pk"))
    kinds = [(m.type, m.content.get("interactive_type", "")) for m in inbound[:4]]
    assert kinds == [
        ("text", ""),
        ("interactive", "button_reply"),
        ("interactive", "list_reply"),
        ("text", ""),
    ]
    assert inbound[1].content["id"] in ("track", "other")
    assert inbound[2].content["id"] in ("late", "broken", "wrong")
    assert inbound[3].text == order_number(CUSTOMER)
    # Each tap answers the message it was tapped on, as WhatsApp's context does.
    outbox = httpx.get(f"{simulator.base_url}/_sim/outbox", timeout=10).json()["items"]
    prompts = [item["wamid"] for item in outbox if item["to"] == who.wa_id][:3]
    assert [m.context.get("id") for m in inbound[1:4]] == prompts

    # The customer's script goes on after the handoff text; then the rating is asked.
    wait_for(lambda: Message.objects.filter(text="Great, thank you 🙏").exists(), timeout=20)
    do_return_to_bot(conversation.pk, manager, "Closing")
    rating = wait_for(lambda: CsatResponse.objects.first(), timeout=30)
    assert 1 <= rating.score <= 5
    stats = httpx.get(f"{simulator.base_url}/_sim/stats", timeout=10).json()
    assert stats["prompts_answered"] == 4

    # The bot's last words before letting go reach the customer: the handoff's text while
    # the conversation waits in the queue, the close step's once it is resolved.
    def texts_received() -> list[str]:
        items = httpx.get(f"{simulator.base_url}/_sim/outbox", timeout=10).json()["items"]
        return [i["body"]["text"]["body"] for i in items if i["body"].get("type") == "text"]

    wait_for(lambda: "Have a nice day!" in texts_received(), timeout=20)
    assert "Thanks! A colleague takes over." in texts_received()


def test_ratings_are_mostly_four_or_five():
    rows = [
        {"id": f"csat_{score}", "title": title}
        for score, title in [
            (5, "5 ⭐ Excellent"),
            (4, "4 ⭐ Good"),
            (3, "3 ⭐ Okay"),
            (2, "2 ⭐ Poor"),
            (1, "1 ⭐ Very poor"),
        ]
    ]
    rng = random.Random(7)
    picks = [pick_rating(rows, rng)["id"] for _ in range(1000)]
    high = sum(pick in ("csat_4", "csat_5") for pick in picks)
    assert 750 <= high <= 900
    assert {"csat_1", "csat_2", "csat_3"} <= set(picks)
    # Rows that are no rating scale are chosen among, not rated.
    assert pick_rating([{"id": "a", "title": "Apples"}], rng) is None


def test_what_is_a_prompt_and_what_is_not():
    rng = random.Random(1)

    def answer(body, in_bot_exchange=False):
        return answer_to_prompt(body, rng, order_no="1007", in_bot_exchange=in_bot_exchange)

    def text(body):
        return {"type": "text", "text": {"body": body}}

    tap = answer({"type": "interactive", "interactive": buttons_body("Pick", [("y", "Yes")])})
    assert tap == {
        "type": "interactive",
        "interactive_type": "button_reply",
        "id": "y",
        "title": "Yes",
    }
    row = answer(
        {"type": "interactive", "interactive": list_body("Pick", "Go", [("r", "Row", "More")])}
    )
    assert row == {
        "type": "interactive",
        "interactive_type": "list_reply",
        "id": "r",
        "title": "Row",
        "description": "More",
    }
    assert answer(text("Your order number?")) == {"type": "text", "text": "1007"}
    assert answer(text("Qual é o número da encomenda?")) == {"type": "text", "text": "1007"}
    # Another question is the bot's only right after a tap; a statement is nobody's prompt.
    assert answer(text("Which colour would you like?")) is None
    assert answer(text("Which colour would you like?"), in_bot_exchange=True)["text"]
    assert answer(text("Thanks! A colleague takes over."), in_bot_exchange=True) is None


def test_after_its_script_a_customer_still_answers_a_rating(start_simulator):
    simulator = start_simulator(customers=1, first_customer=CUSTOMER, linger_seconds=30)
    who = persona(CUSTOMER)

    def business_sends(body: dict) -> None:
        httpx.post(
            f"{simulator.graph_base_url}/{NUMBER.phone_number_id}/messages",
            headers={"Authorization": f"Bearer {NUMBER.access_token}"},
            json={"messaging_product": "whatsapp", "to": who.wa_id, **body},
            timeout=10,
        ).raise_for_status()

    def text(body: str) -> dict:
        return {"type": "text", "text": {"body": body}}

    wait_for(lambda: Message.objects.filter(direction="inbound").count() == 1, timeout=15)
    business_sends(text("We do, in 2 days."))
    wait_for(lambda: Message.objects.filter(text="Great, thank you 🙏").exists(), timeout=15)
    business_sends(text("You are welcome."))
    wait_for(lambda: Message.objects.filter(type="reaction").exists(), timeout=15)
    # The script is over; a closing flow's rating comes later, and is answered.
    rows = [(f"csat_{s}", f"{s} ⭐", "") for s in (5, 4, 3, 2, 1)]
    business_sends({"type": "interactive", "interactive": list_body("Rate us", "Rate", rows)})
    rating = wait_for(lambda: Message.objects.filter(type="interactive").first(), timeout=15)
    assert rating.content["interactive_type"] == "list_reply"
    assert rating.content["id"] in {row[0] for row in rows}
