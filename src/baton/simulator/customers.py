"""Simulated customers: who they are, the scripts they follow (plain data), and their loop.

A script is a list of steps, each a tuple whose first item names the step:

``("say", text)``                    send a text (``{order}`` becomes an order number)
``("photo", caption)``               send a JPEG photo (as phones do) with a caption
``("document", filename)``           send a small PDF
``("location", place, lat, lon)``    share a location
``("react", emoji)``                 react to the business's last message
``("quote", text)``                  reply to the business's last message (``context``)
``("tap", fallback_text)``           tap the first reply button of the business's last
                                     interactive message, or say ``fallback_text``
``("wait_reply",)``                  wait for the business to answer, at most
                                     ``answer_timeout_seconds``; else go silent
``("pause", seconds)``               do nothing for a while
``("silent",)``                      stop here (the conversation is left hanging)
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from baton.simulator.config import SimNumber
    from baton.simulator.engine import Simulator
    from baton.simulator.state import SentMessage

logger = logging.getLogger("baton.simulator.customers")

Step = tuple[Any, ...]

# (display name, phone prefix, BSUID country, username). Accents, non-Latin scripts and an
# emoji on purpose: they travel as \uXXXX escapes and break naive signature checks.
PEOPLE: list[tuple[str, str, str, str]] = [
    ("José Gómez", "34", "ES", "josegomez"),
    ("Zoë Müller", "49", "DE", "zoe.mueller"),
    ("Łukasz Wiśniewski", "48", "PL", "lukasz_w"),
    ("Chloé Dubois", "33", "FR", "chloe.d"),
    ("João Conceição", "351", "PT", "joaoc"),
    ("Søren Ågård", "45", "DK", "soren"),
    ("Ana María Ortiz 🌻", "52", "MX", "anamaria"),
    ("Ngozi Okafor", "234", "NG", "ngozi"),
    ("田中 結衣", "81", "JP", "yui.tanaka"),
    ("Priya Sharma", "91", "IN", "priya.s"),
    ("Ahmed Al-Farsi", "971", "AE", "ahmed"),
    ("Émilie Laurent", "33", "FR", "emilie"),
]

SCRIPTS: dict[str, list[Step]] = {
    "shipping_question": [
        ("say", "Hi! Do you ship to Lisbon? 🇵🇹"),
        ("wait_reply",),
        ("say", "Great, thank you 🙏"),
        ("wait_reply",),
        ("react", "👍"),
    ],
    "late_order_with_photo": [
        ("say", "Olá, a minha encomenda #{order} ainda não chegou"),
        ("wait_reply",),
        ("photo", "Esta é a caixa que recebi / this is the box I got"),
        ("wait_reply",),
        ("quote", "Obrigado! Fico à espera."),
    ],
    "size_change": [
        ("say", "¿Puedo cambiar la talla de mi pedido {order}?"),
        ("wait_reply",),
        ("tap", "Sí, por favor"),
        ("wait_reply",),
        ("say", "Perfecto, gracias"),
        ("silent",),
    ],
    "opening_hours": [
        ("say", "Bonjour, vous êtes ouverts dimanche ?"),
        ("wait_reply",),
        ("location", "Café de Flore", 48.8540, 2.3325),
        ("wait_reply",),
        ("say", "Merci, à bientôt"),
    ],
    "double_charge": [
        ("say", "Hello, I was charged twice for order {order} 😟"),
        ("pause", 3),
        ("document", "receipt-{order}.pdf"),
        ("say", "Can someone check please?"),
        ("wait_reply",),
        ("say", "ok thanks"),
    ],
    "one_liner": [("say", "Is the blue jacket back in stock?"), ("silent",)],
}


@dataclass(frozen=True)
class Persona:
    """A simulated customer; username-only ones have a BSUID and no phone number."""

    name: str
    wa_id: str | None
    user_id: str
    username: str | None = None

    @property
    def key(self) -> str:
        """How the customer is addressed: the phone when they share it, else the BSUID."""
        return self.wa_id or self.user_id

    @property
    def keys(self) -> set[str]:
        return {k for k in (self.wa_id, self.user_id) if k}

    def identity(self) -> dict[str, Any]:
        """The control-API fields that make a message come from this persona."""
        fields: dict[str, Any] = {"name": self.name, "user_id": self.user_id}
        if self.username:
            fields["username"] = self.username
        if self.wa_id is None:
            fields["bsuid_only"] = True
        return fields


def persona(index: int, bsuid_only_every: int = 4) -> Persona:
    """The stable persona number ``index``; every n-th one shares only a username."""
    name, prefix, country, handle = PEOPLE[index % len(PEOPLE)]
    lap = index // len(PEOPLE)
    username = f"@{handle}{lap or ''}"
    user_id = f"{country}.{13491208655302741918 + index}"
    if bsuid_only_every and index % bsuid_only_every == bsuid_only_every - 1:
        return Persona(name=name, wa_id=None, user_id=user_id, username=username)
    return Persona(
        name=name,
        wa_id=f"{prefix}6{index:08d}",
        user_id=user_id,
        username=username if index % 2 else None,
    )


def default_name(key: str) -> str:
    """A stable, usually non-ASCII, profile name for a customer the caller did not name."""
    return PEOPLE[zlib.crc32(key.encode("utf-8")) % len(PEOPLE)][0]


def step_spec(step: Step, order: str, last: SentMessage | None) -> dict[str, Any] | None:
    """The control-API spec a message step sends; ``None`` when it cannot apply."""
    kind, args = step[0], step[1:]
    if kind == "say":
        return {"text": str(args[0]).format(order=order)}
    if kind == "photo":
        caption = str(args[0]).format(order=order)
        return {"type": "image", "caption": caption, "format": "jpeg"}
    if kind == "document":
        return {"type": "document", "filename": str(args[0]).format(order=order)}
    if kind == "location":
        place, latitude, longitude = args
        return {"type": "location", "place": place, "latitude": latitude, "longitude": longitude}
    if kind == "react":
        if last is None:
            return None
        return {"type": "reaction", "message_id": last.wamid, "emoji": args[0]}
    if kind == "quote":
        spec: dict[str, Any] = {"text": str(args[0]).format(order=order)}
        if last is not None:
            spec["context_id"] = last.wamid
        return spec
    if kind == "tap":
        button = _first_reply_button(last)
        if last is None or button is None:
            return {"text": str(args[0])}
        return {"type": "button_reply", **button, "context_id": last.wamid}
    raise ValueError(f"unknown script step {kind!r}")


def _first_reply_button(message: SentMessage | None) -> dict[str, str] | None:
    if message is None or message.type != "interactive":
        return None
    buttons = ((message.body.get("interactive") or {}).get("action") or {}).get("buttons") or []
    for button in buttons:
        reply = button.get("reply") if isinstance(button, dict) else None
        if isinstance(reply, dict) and reply.get("id"):
            return {"id": str(reply["id"]), "title": str(reply.get("title") or reply["id"])}
    return None


def _describe(spec: dict[str, Any]) -> str:
    kind = spec.get("type") or "text"
    if kind == "text":
        text = str(spec["text"])
        return repr(text if len(text) <= 60 else text[:57] + "...")
    return f"[{kind}]"


class Crowd:
    """Starts conversations at ``rate_per_minute`` among ``customers`` personas.

    A persona holds one conversation at a time; when it ends (script done, or no answer
    in time) the persona may come back later as a returning contact.
    """

    def __init__(self, simulator: Simulator) -> None:
        self.sim = simulator
        self.busy: set[str] = set()
        self.active = 0

    def personas(self) -> list[Persona]:
        every = self.sim.config.bsuid_only_every
        return [persona(i, every) for i in range(self.sim.config.customers)]

    async def run(self) -> None:
        people = self.personas()
        rng = self.sim.rng
        while True:
            rate = self.sim.config.rate_per_minute
            idle = [i for i, p in enumerate(people) if p.key not in self.busy]
            if idle and rate > 0:
                index = rng.choice(idle)
                who = people[index]
                numbers = self.sim.config.numbers
                number = numbers[index % len(numbers)]
                script = rng.choice(sorted(SCRIPTS))
                self.busy.add(who.key)
                self.sim.spawn(self.converse(who, number, script), f"customer-{who.key}")
            # Arrivals of independent people: exponential gaps around the chosen rate.
            await asyncio.sleep(rng.expovariate(rate / 60.0) if rate > 0 else 1.0)

    async def converse(
        self, who: Persona, number: SimNumber, script: str, steps: list[Step] | None = None
    ) -> None:
        """Play one script for ``who`` against ``number``."""
        sim = self.sim
        stats = sim.world.stats
        steps = SCRIPTS[script] if steps is None else steps
        order = str(1000 + sim.rng.randrange(9000))
        loop = asyncio.get_running_loop()
        self.active += 1
        self.busy.add(who.key)
        stats.incr("conversations_started")
        sim.progress(f"{who.name} ({who.key}) starts '{script}' on {number.display_phone_number}")
        # Answers from an earlier conversation are not answers to this one.
        seen = len(sim.received_by(number, who.keys))
        last: SentMessage | None = None
        try:
            for step in steps:
                kind = step[0]
                if kind == "silent":
                    return
                if kind == "pause":
                    await asyncio.sleep(float(step[1]))
                    continue
                if kind == "wait_reply":
                    timeout = sim.config.answer_timeout_seconds
                    started = loop.time()
                    replies = await sim.wait_for_reply(number, who.keys, seen, timeout)
                    if replies is None:
                        stats.incr("customers_silent")
                        sim.progress(f"{who.name} got no answer within {timeout:g} s: silent")
                        return
                    seen += len(replies)
                    last = replies[-1]
                    stats.incr("replies_seen", len(replies))
                    sim.progress(f"{who.name} saw a reply after {loop.time() - started:.1f} s")
                    await asyncio.sleep(sim.rng.uniform(*sim.config.think_seconds))
                    continue
                spec = step_spec(step, order, last)
                if spec is None:
                    continue
                await sim.customer_writes(number, who.key, [{**who.identity(), **spec}])
                sim.progress(f"{who.name} → {_describe(spec)}")
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("simulated customer %s stopped", who.key)
        finally:
            self.active -= 1
            self.busy.discard(who.key)
