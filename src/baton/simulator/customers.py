"""Simulated customers: who they are and the scripts they follow (plain data)."""

from __future__ import annotations

from dataclasses import dataclass


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
