"""An extractive handoff summary: what the customer asked, what was tried, what was
collected, and what still waits for an answer. No generative model: sentences are picked,
never written.

Pure: plain data in, plain data out, for the handoff card (bot → human transfers and
handoffs between people). ``messages`` are oldest first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

MAX_QUESTION_CHARS = 300
MAX_TRIED = 3
_GREETING_ONLY = re.compile(
    r"^\W*(hi+|hello|hey|hola|buenas|oi+|ol[aá]|bonjour|salut|hallo|moin|servus|"
    r"good (morning|afternoon|evening)|buenos d[ií]as|bom dia|boa (tarde|noite)|guten (morgen|tag))"
    r"\W*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SummaryMessage:
    """One message as the summary sees it: who wrote it (``customer``, ``bot``, ``agent``,
    ``note``) and its text."""

    author: str
    text: str


@dataclass(frozen=True)
class Summary:
    question: str  # the customer's first message with content
    tried: list[str] = field(default_factory=list)  # what the bot / agents answered, latest
    fields: list[tuple[str, str]] = field(default_factory=list)  # collected (label, value)
    unanswered: str = ""  # the customer's messages after the last answer, joined

    @property
    def is_empty(self) -> bool:
        return not (self.question or self.tried or self.fields or self.unanswered)


def _clip(text: str, limit: int = MAX_QUESTION_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _label(key: str) -> str:
    return key.replace("_", " ").strip().capitalize()


def summarise_handoff(
    messages: Sequence[SummaryMessage], fields: Mapping[str, object] | None = None
) -> Summary:
    customer = [m for m in messages if m.author == "customer" and m.text.strip()]
    question = next((m.text for m in customer if not _GREETING_ONLY.match(m.text)), "")
    if not question and customer:
        question = customer[0].text
    answers = [m.text for m in messages if m.author in ("bot", "agent") and m.text.strip()]
    tried = [_clip(t, 160) for t in answers[-MAX_TRIED:]]
    last_answer = max(
        (i for i, m in enumerate(messages) if m.author in ("bot", "agent") and m.text.strip()),
        default=-1,
    )
    waiting = [
        m.text
        for m in messages[last_answer + 1 :]
        if m.author == "customer" and m.text.strip() and m.text != question
    ]
    collected = [
        (_label(str(key)), _clip(str(value), 120))
        for key, value in (fields or {}).items()
        if value not in (None, "", [], {})
    ]
    return Summary(
        question=_clip(question),
        tried=tried,
        fields=collected,
        unanswered=_clip(" · ".join(waiting)),
    )
