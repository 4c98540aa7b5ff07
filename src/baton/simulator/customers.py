"""Simulated customers: who they are and the scripts they follow (plain data)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Persona:
    name: str
    wa_id: str | None
    user_id: str | None
    username: str = ""

    @property
    def key(self) -> str:
        """How the business addresses them: the phone when shared, else the BSUID."""
        return self.wa_id or self.user_id or ""


# Step kinds: ("say", text) | ("photo", caption) | ("location", name) | ("wait_reply",)
# | ("react", emoji) | ("pause", seconds) | ("silent",)
SCRIPTS: list[list[tuple]] = [
    [
        ("say", "Hi! Do you ship to Lisbon? 🇵🇹"),
        ("wait_reply",),
        ("say", "Great, thank you 🙏"),
        ("wait_reply",),
        ("react", "👍"),
    ],
    [
        ("say", "Olá, a minha encomenda #{n} ainda não chegou"),
        ("wait_reply",),
        ("photo", "This is the box I got"),
        ("wait_reply",),
        ("say", "Obrigado!"),
    ],
    [
        ("say", "¿Puedo cambiar la talla de mi pedido?"),
        ("wait_reply",),
        ("say", "Perfecto"),
        ("silent",),
    ],
    [
        ("say", "Bonjour, vous êtes ouverts dimanche ?"),
        ("wait_reply",),
        ("location", "Café de Flore"),
        ("wait_reply",),
        ("say", "Merci, à bientôt"),
    ],
    [
        ("say", "Hello, I was charged twice for order {n} 😟"),
        ("pause", 4),
        ("say", "Can someone check please?"),
        ("wait_reply",),
        ("say", "ok thanks"),
    ],
    [("say", "Is the blue jacket back in stock?"), ("silent",)],
]

NAMES = [
    "José Gómez",
    "Zoë Müller",
    "Łukasz Wiśniewski",
    "Ana María Ortiz",
    "Chloé Dubois",
    "Søren Kierkegaard",
    "Ngozi Okafor",
    "Ahmed Al-Farsi",
    "Yuki Tanaka",
    "Priya Šarma",
]


def persona(index: int, bsuid_every: int = 4) -> Persona:
    """A stable persona for customer ``index``; every n-th has only a username (BSUID)."""
    name = NAMES[index % len(NAMES)]
    user_id = f"US.{13491208655302741918 + index}"
    if bsuid_every and index % bsuid_every == bsuid_every - 1:
        return Persona(name=name, wa_id=None, user_id=user_id, username=f"@cust{index}")
    return Persona(name=name, wa_id=f"3519{index:08d}", user_id=user_id)


# ------------------------------------------------------------------------------------------
# Answering a bot: what a customer sends back to a prompt the business sent.

# Ratings a customer picks from a 1-5 list: mostly 4 and 5, now and then worse.
RATING_WEIGHTS = {5: 55, 4: 28, 3: 10, 2: 4, 1: 3}
# Typed to a question that is not about an order number.
FREE_ANSWERS = [
    "The blue one, size M",
    "Tomorrow morning if possible",
    "Yes please",
    "It arrived damaged",
    "Lisbon, Portugal",
    "No, that is all",
]
ORDER_NUMBER_QUESTION = re.compile(
    r"order\s*(number|no\b|n[ºo°]|#)|n[uú]mero\s+d[aeo]\s+(pedido|encomenda)", re.I
)
RATING_TITLE = re.compile(r"^\s*([1-5])\b")


def order_number(index: int) -> str:
    """Customer ``index``'s order number: the one their scripts mention (``{n}``)."""
    return str(1000 + index)


def answer_to_prompt(
    body: dict[str, Any], rng: random.Random, *, order_no: str, in_bot_exchange: bool
) -> dict[str, Any] | None:
    """What a customer sends back to ``body`` (a Graph API send request) when it is a
    prompt: a tap on one of its reply buttons or list rows (a rating, mostly 4-5, when the
    rows are a 1-5 scale), the order number when asked for one, a few words to another
    question during an exchange with the bot. None when it is no prompt (a person's answer,
    a statement): the customer's script goes on then.

    The result is a spec for ``Simulator.customer_message``.
    """
    if body.get("type") == "interactive":
        return _tap(body.get("interactive") or {}, rng)
    if body.get("type") != "text":
        return None
    text = str((body.get("text") or {}).get("body") or "")
    if ORDER_NUMBER_QUESTION.search(text) and "?" in text:
        return {"type": "text", "text": order_no}
    if in_bot_exchange and "?" in text:
        return {"type": "text", "text": rng.choice(FREE_ANSWERS)}
    return None


def _tap(interactive: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    action = interactive.get("action") or {}
    if interactive.get("type") == "button":
        buttons = [b.get("reply") or {} for b in action.get("buttons") or []]
        buttons = [b for b in buttons if b.get("id")]
        if not buttons:
            return None
        choice = rng.choice(buttons)
        return {
            "type": "interactive",
            "interactive_type": "button_reply",
            "id": choice["id"],
            "title": choice.get("title", ""),
        }
    if interactive.get("type") == "list":
        rows = [
            row
            for section in action.get("sections") or []
            for row in section.get("rows") or []
            if row.get("id")
        ]
        if not rows:
            return None
        row = pick_rating(rows, rng) or rng.choice(rows)
        spec = {
            "type": "interactive",
            "interactive_type": "list_reply",
            "id": row["id"],
            "title": row.get("title", ""),
        }
        if row.get("description"):
            spec["description"] = row["description"]
        return spec
    return None


def pick_rating(rows: list[dict[str, Any]], rng: random.Random) -> dict[str, Any] | None:
    """A row of a 1-5 rating list (titles carry the digit, "5 ⭐ Excellent"), chosen by
    ``RATING_WEIGHTS``; None when the rows are not a rating scale."""
    by_score: dict[int, dict[str, Any]] = {}
    for row in rows:
        digit = RATING_TITLE.match(str(row.get("title", "")))
        if digit is None:
            return None
        by_score[int(digit.group(1))] = row
    if set(by_score) != set(RATING_WEIGHTS):
        return None
    scores = list(RATING_WEIGHTS)
    score = rng.choices(scores, weights=[RATING_WEIGHTS[s] for s in scores])[0]
    return by_score[score]
