"""The bot flow step: ``(definition, state, event, context) -> (new state, actions)``.

Pure: no database, no clock, no settings. The runtime (``bots.actions``) loads a session's
state, calls :func:`advance` with what happened (the flow starts, the customer wrote,
a wait timed out) and applies the returned actions — plain data — inside the transaction
of the inbound message or the timeout: sending, saving fields, handing off, closing,
recording a rating. Whatever the engine decides is therefore testable without Django
(tests/bots/test_engine.py), and the runtime alone decides whether it may still act (the
bot never sends once a person owns the conversation).

Between two events a session is *waiting* on one step (``SessionState.step``); a step that
does not wait (a plain message, a branch) is passed through at once, so one event may run
several steps. ``MAX_HOPS`` bounds a flow that loops without waiting.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from baton.bots.definition import (
    AskStep,
    BranchStep,
    CloseStep,
    CsatStep,
    FaqEntry,
    FaqStep,
    FlowDefinition,
    HandoffStep,
    MessageStep,
    Step,
    render,
)
from baton.routing.conditions import evaluate

MAX_HOPS = 50
CSAT_ROWS = (
    (5, "5 ⭐ Excellent"),
    (4, "4 ⭐ Good"),
    (3, "3 ⭐ Okay"),
    (2, "2 ⭐ Poor"),
    (1, "1 ⭐ Very poor"),
)
CSAT_ROW_PREFIX = "csat_"
NO_COMMENT = frozenset({"no", "nao", "nope", "nein", "non", "-", "skip", "nothing", "nada"})
MAX_ANSWER_KEPT = 500


# ------------------------------------------------------------------------------------------
# State and events


@dataclass(frozen=True)
class SessionState:
    """Where a session stands: stored as JSON on ``BotSession`` between events."""

    step: str | None = None  # the step waited on; None before the start and once finished
    fields: Mapping[str, Any] = field(default_factory=dict)
    path: tuple[str, ...] = ()  # every step entered, in order
    answers: tuple[tuple[str, str], ...] = ()  # (step id, what the customer said)
    retries: int = 0  # wrong answers to the current step
    phase: str = ""  # inside a step: "comment" once a rating is in
    score: int | None = None  # the rating awaiting its comment
    finished: bool = False

    @property
    def started(self) -> bool:
        return bool(self.path)


@dataclass(frozen=True)
class Start:
    """The flow begins (a new conversation, a return to the bot)."""


@dataclass(frozen=True)
class CustomerInput:
    """The customer wrote or tapped; ``reply_id`` is the id of a tapped button or row."""

    text: str
    reply_id: str = ""
    reply_title: str = ""


@dataclass(frozen=True)
class Timeout:
    """The wait on ``step`` ran out. Stale when the session has moved on since."""

    step: str


Event = Start | CustomerInput | Timeout


@dataclass(frozen=True)
class Context:
    """What the engine cannot know itself; the runtime fills it in.

    ``facts`` are what branch conditions read besides ``bot.<field>``
    (``contact.attributes``, ``time.within_business_hours``, ``conversation.language``; a
    lazy mapping is fine: only the facts a condition reads are computed).
    """

    facts: Mapping[str, Any] = field(default_factory=dict)
    window_open: bool = True
    last_csat_at: datetime | None = None
    now: datetime | None = None


# ------------------------------------------------------------------------------------------
# Actions


@dataclass(frozen=True)
class Option:
    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class SendText:
    text: str


@dataclass(frozen=True)
class SendButtons:
    text: str
    buttons: tuple[Option, ...]


@dataclass(frozen=True)
class SendList:
    text: str
    button: str
    rows: tuple[Option, ...]


@dataclass(frozen=True)
class SendTemplate:
    name: str
    language: str


@dataclass(frozen=True)
class SaveField:
    name: str
    value: str


@dataclass(frozen=True)
class Handoff:
    """Give the conversation to people: ``team`` or ``agent`` when the flow names one;
    ``to_last_owner`` prefers whoever owned it before the bot (when available)."""

    team: str | None
    agent: str | None
    note: str
    fields: Mapping[str, Any]
    reason: str
    to_last_owner: bool = False


@dataclass(frozen=True)
class Close:
    """Resolve the conversation, after sending ``text`` when there is one."""

    text: str = ""


@dataclass(frozen=True)
class RecordCsat:
    score: int
    comment: str


@dataclass(frozen=True)
class SkipCsat:
    """No rating was asked (recorded all the same): ``reason`` says why."""

    reason: str


@dataclass(frozen=True)
class WaitFor:
    step: str
    timeout_seconds: int | None


BotAction = (
    SendText
    | SendButtons
    | SendList
    | SendTemplate
    | SaveField
    | Handoff
    | Close
    | RecordCsat
    | SkipCsat
    | WaitFor
)


# ------------------------------------------------------------------------------------------
# The step function


def advance(
    flow: FlowDefinition,
    state: SessionState,
    event: Event,
    context: Context | None = None,
) -> tuple[SessionState, list[BotAction]]:
    """Apply one event; returns the new state and what to do, in order."""
    run = _Run(flow, state, context or Context())
    if state.finished:
        return state, []
    match event:
        case Start():
            if state.started:
                return state, []
            run.enter(flow.start)
        case Timeout(step=step_id):
            current = _current(flow, state)
            target = getattr(current, "on_timeout", None)
            if current is None or current.id != step_id or not target:
                return state, []  # stale: the customer answered, or the session moved on
            run.note_answer(step_id, "(no answer)")
            run.enter(target)
        case CustomerInput():
            current = _current(flow, state)
            if current is None:
                return state, []
            if event.text and not event.reply_id and is_escape(event.text, flow.escape_words):
                run.note_answer(current.id, event.text)
                run.hand_off(
                    flow.escape_team, None, "", "the customer asked for a person", last_owner=True
                )
            else:
                run.answer(current, event)
    return run.state, run.actions


def _current(flow: FlowDefinition, state: SessionState) -> Step | None:
    if state.step is None:
        return None
    try:
        return flow.step(state.step)
    except KeyError:
        return None


class _Run:
    """One call of ``advance``: the state as it changes and the actions collected."""

    def __init__(self, flow: FlowDefinition, state: SessionState, context: Context) -> None:
        self.flow = flow
        self.state = state
        self.context = context
        self.actions: list[BotAction] = []
        self.hops = 0

    # ---- bookkeeping

    def note_answer(self, step_id: str, text: str) -> None:
        kept = (step_id, text[:MAX_ANSWER_KEPT])
        self.state = replace(self.state, answers=(*self.state.answers, kept))

    def wait(self, step: Step, timeout: int | None) -> None:
        self.state = replace(self.state, step=step.id)
        self.actions.append(WaitFor(step.id, timeout))

    def finish(self) -> None:
        self.state = replace(self.state, step=None, finished=True, phase="", score=None)

    def text(self, template: str) -> str:
        return render(template, dict(self.state.fields))

    # ---- entering steps (no customer input)

    def enter(self, step_id: str | None) -> None:
        if step_id is None:
            # The flow ran out of steps: nothing left for the bot to do.
            self.actions.append(Close())
            self.finish()
            return
        self.hops += 1
        if self.hops > MAX_HOPS:
            self.hand_off(None, None, "", f"the flow loops without waiting (at {step_id!r})")
            return
        step = self.flow.step(step_id)
        self.state = replace(
            self.state, step=None, path=(*self.state.path, step.id), retries=0, phase="", score=None
        )
        match step:
            case MessageStep():
                self.send_message(step)
                if step.waits:
                    self.wait(step, step.timeout_seconds)
                else:
                    self.enter(step.next)
            case AskStep():
                self.actions.append(SendText(self.text(step.text)))
                self.wait(step, step.timeout_seconds)
            case BranchStep():
                self.enter(self.branch(step))
            case FaqStep():
                if step.text:
                    self.actions.append(SendText(self.text(step.text)))
                self.wait(step, step.timeout_seconds)
            case HandoffStep():
                if step.text:
                    self.actions.append(SendText(self.text(step.text)))
                self.hand_off(step.team, step.agent, self.text(step.note), f"flow step {step.id!r}")
            case CsatStep():
                self.ask_rating(step)
            case CloseStep():
                self.actions.append(Close(self.text(step.text)))
                self.finish()

    def send_message(self, step: MessageStep, text: str | None = None) -> None:
        body = self.text(text or step.text)
        if step.buttons:
            options = tuple(Option(b.id, b.title) for b in step.buttons)
            self.actions.append(SendButtons(body, options))
        elif step.menu is not None:
            rows = tuple(Option(r.id, r.title, r.description) for r in step.menu.rows)
            self.actions.append(SendList(body, step.menu.button, rows))
        else:
            self.actions.append(SendText(body))

    def branch(self, step: BranchStep) -> str:
        bot_facts = {f"bot.{name}": value for name, value in self.state.fields.items()}
        facts = _Facts(bot_facts, self.context.facts)
        for branch in step.branches:
            if evaluate(branch.when, facts):
                return branch.next
        return step.default

    def hand_off(
        self,
        team: str | None,
        agent: str | None,
        note: str,
        reason: str,
        *,
        last_owner: bool = False,
    ) -> None:
        self.actions.append(
            Handoff(team, agent, note, dict(self.state.fields), reason, to_last_owner=last_owner)
        )
        self.finish()

    def ask_rating(self, step: CsatStep) -> None:
        last, now = self.context.last_csat_at, self.context.now
        if last is not None and now is not None and step.once_per_days:
            days = (now - last).total_seconds() / 86400
            if days < step.once_per_days:
                self.actions.append(
                    SkipCsat(
                        f"rated {days:.1f} days ago (at most once per {step.once_per_days} days)"
                    )
                )
                self.enter(step.next)
                return
        if not self.context.window_open:
            if step.template is None:
                self.actions.append(SkipCsat("the 24-hour window is closed and no template is set"))
                self.enter(step.next)
                return
            self.actions.append(SendTemplate(step.template, step.template_language))
        else:
            rows = tuple(Option(f"{CSAT_ROW_PREFIX}{score}", title) for score, title in CSAT_ROWS)
            self.actions.append(SendList(self.text(step.text), step.button, rows))
        self.wait(step, step.timeout_seconds)

    # ---- answering the step waited on

    def answer(self, step: Step, event: CustomerInput) -> None:
        said = event.reply_title or event.text
        self.note_answer(step.id, said)
        match step:
            case MessageStep():
                target = match_option(step, event)
                if target is not None:
                    self.enter(target)
                else:
                    self.retry_or_hand_off(
                        step, event, lambda: self.send_message(step, step.retry_text or None)
                    )
            case AskStep():
                value = check_value(said, step.validate_)
                if value is not None:
                    self.state = replace(
                        self.state, fields={**self.state.fields, step.save_as: value}
                    )
                    self.actions.append(SaveField(step.save_as, value))
                    self.enter(step.next)
                elif self.state.retries < step.max_retries:
                    self.state = replace(self.state, retries=self.state.retries + 1)
                    self.actions.append(SendText(self.text(step.retry_text or step.text)))
                    self.wait(step, step.timeout_seconds)
                elif step.on_fail:
                    self.enter(step.on_fail)
                else:
                    self.hand_off(
                        None, None, "", f"no valid answer to {step.id!r}: {said!r}", last_owner=True
                    )
            case FaqStep():
                entry = match_faq(step, event.text)
                if entry is None:
                    self.enter(step.next)
                else:
                    self.actions.append(SendText(self.text(entry.answer)))
                    if entry.next:
                        self.enter(entry.next)
                    else:
                        self.wait(step, step.timeout_seconds)
            case CsatStep():
                self.answer_rating(step, event)
            case _:
                self.state = replace(self.state, step=None)

    def retry_or_hand_off(
        self, step: MessageStep | CsatStep, event: CustomerInput, resend: Any
    ) -> None:
        if self.state.retries < step.max_retries:
            self.state = replace(self.state, retries=self.state.retries + 1)
            resend()
            self.wait(step, step.timeout_seconds)
            return
        said = event.reply_title or event.text
        self.hand_off(
            None, None, "", f"the bot could not take {said!r} at {step.id!r}", last_owner=True
        )

    def answer_rating(self, step: CsatStep, event: CustomerInput) -> None:
        if self.state.phase == "comment" and self.state.score is not None:
            comment = event.text.strip()
            if _normalise(comment) in NO_COMMENT:
                comment = ""
            self.rated(step, self.state.score, comment[:1000])
            return
        score = parse_score(event)
        if score is None:
            self.retry_or_hand_off(
                step, event, lambda: self.actions.append(SendText(self.text(step.retry_text)))
            )
            return
        if step.comment:
            self.state = replace(self.state, phase="comment", score=score)
            self.actions.append(SendText(self.text(step.comment_text)))
            self.wait(step, step.timeout_seconds)
        else:
            self.rated(step, score, "")

    def rated(self, step: CsatStep, score: int, comment: str) -> None:
        self.actions.append(RecordCsat(score, comment))
        if step.thanks_text:
            self.actions.append(SendText(self.text(step.thanks_text)))
        self.state = replace(self.state, phase="", score=None)
        self.enter(step.next)


class _Facts(Mapping[str, Any]):
    """``bot.<field>`` facts over the runtime's (possibly lazy) facts, read-through."""

    def __init__(self, own: dict[str, Any], rest: Mapping[str, Any]) -> None:
        self._own = own
        self._rest = rest

    def __getitem__(self, key: str) -> Any:
        if key in self._own:
            return self._own[key]
        return self._rest[key]

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(self._rest), **self._own})

    def __len__(self) -> int:
        return len(set(self._own) | set(self._rest))


# ------------------------------------------------------------------------------------------
# Matching what the customer said


def _normalise(text: str) -> str:
    """Casefolded, accents and punctuation removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split())


MAX_ESCAPE_WORDS = 8


def is_escape(text: str, escape_words: list[str]) -> bool:
    """Does the customer ask for a person? A listed word or phrase, as whole words, in a
    short message ("humano", "I want a real person"); a long message that merely contains
    "agent" is an answer, not a request."""
    said = _normalise(text)
    if not said or len(said.split()) > MAX_ESCAPE_WORDS:
        return False
    padded = f" {said} "
    return any(f" {_normalise(word)} " in padded for word in escape_words if _normalise(word))


def match_option(step: MessageStep, event: CustomerInput) -> str | None:
    """The ``next`` of the option the customer chose: the tapped id, else the title typed,
    else its number ("2")."""
    options = [(b.id, b.title, b.next) for b in step.buttons]
    if step.menu is not None:
        options += [(r.id, r.title, r.next) for r in step.menu.rows]
    if event.reply_id:
        for option_id, _, target in options:
            if option_id == event.reply_id:
                return target
    said = _normalise(event.reply_title or event.text)
    for _, title, target in options:
        if said and said == _normalise(title):
            return target
    if said.isdigit() and 1 <= int(said) <= len(options):
        return options[int(said) - 1][2]
    return None


def match_faq(step: FaqStep, text: str) -> FaqEntry | None:
    """The entry answering ``text``: most keywords present (whole words), else the question
    closest by difflib's ratio above the step's cutoff."""
    said = _normalise(text)
    if not said:
        return None
    padded = f" {said} "
    best: tuple[int, FaqEntry] | None = None
    for entry in step.entries:
        hits = sum(1 for k in entry.keywords if _normalise(k) and f" {_normalise(k)} " in padded)
        if hits and (best is None or hits > best[0]):
            best = (hits, entry)
    if best is not None:
        return best[1]
    scored = [
        (difflib.SequenceMatcher(None, said, _normalise(entry.question)).ratio(), i)
        for i, entry in enumerate(step.entries)
    ]
    ratio, index = max(scored)
    return step.entries[index] if ratio >= step.cutoff else None


def parse_score(event: CustomerInput) -> int | None:
    """A 1-5 rating from a tapped row (``csat_4``), a digit ("4", "4 ⭐ Good") or stars."""
    if event.reply_id.startswith(CSAT_ROW_PREFIX):
        tail = event.reply_id[len(CSAT_ROW_PREFIX) :]
        return int(tail) if tail in {"1", "2", "3", "4", "5"} else None
    said = (event.reply_title or event.text).strip()
    match = re.match(r"^([1-5])(?:\D|$)", said)
    if match:
        return int(match.group(1))
    stars = said.count("⭐") or said.count("★")
    if 1 <= stars <= 5 and not said.replace("⭐", "").replace("★", "").strip():
        return stars
    return None


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")
MAX_VALUE = 500


def check_value(text: str, rule: str | None) -> str | None:
    """The value to save for an answer, or None when it does not pass ``rule`` (a type
    name or a regular expression; None accepts any non-empty text)."""
    value = text.strip()
    if not value or len(value) > MAX_VALUE:
        return None
    match rule:
        case None | "text":
            return value
        case "number":
            compact = value.replace(" ", "")
            return compact if NUMBER.match(compact) else None
        case "email":
            return value.lower() if EMAIL.match(value) else None
        case "date":
            for fmt in DATE_FORMATS:
                try:
                    return datetime.strptime(value, fmt).date().isoformat()  # noqa: DTZ007
                except ValueError:
                    continue
            return None
        case "phone":
            digits = re.sub(r"[\s\-().]", "", value)
            plain = digits.removeprefix("+")
            return f"+{plain}" if plain.isdigit() and 7 <= len(plain) <= 15 else None
        case _:
            try:
                return value if re.search(rule, value) else None
            except re.error:
                return None
