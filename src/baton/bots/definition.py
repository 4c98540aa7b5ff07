"""Bot flows as data: the versioned ``FlowDefinition`` schema and ``validate_flow``.

Pure: no database, no clock, no settings. A flow is JSON a manager writes (or the editor
produces), checked here before it is stored, so the engine (``bots.engine``) only ever
runs a flow whose every ``next`` names a step, whose steps are all reachable and whose
messages WhatsApp will accept.

The shape (schema version 1)::

    {"name": "Front desk", "start_on": "new_conversation", "start": "menu",
     "steps": [
       {"id": "menu", "type": "message", "text": "Hi! What can we do for you?",
        "buttons": [{"id": "track", "title": "Track my order", "next": "order_no"},
                    {"id": "talk", "title": "Talk to us", "next": "to_sales"}]},
       {"id": "order_no", "type": "ask", "text": "Your order number?",
        "save_as": "order_number", "validate": "^[0-9]{4,10}$",
        "retry_text": "Only digits, please.", "next": "to_support"},
       {"id": "to_support", "type": "handoff", "team": "Support", "note": "Order {{order_number}}"},
       {"id": "to_sales", "type": "handoff", "team": "Sales"}]}

Step types: ``message`` (text, optionally ≤ 3 reply buttons or a list of ≤ 10 rows, each
option with its ``next``; without options, ``next`` follows at once), ``ask`` (collect a
field), ``branch`` (conditions in the routing rules' language), ``faq`` (answer questions
by keywords, then fuzzily), ``handoff`` (to a team or an agent), ``csat`` (a 1-5 rating)
and ``close``. Waiting steps (message with options, ask, faq, csat) may carry
``timeout_seconds`` and ``on_timeout``. Texts may use ``{{field}}`` for collected fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from baton.routing.conditions import Kind, validate_conditions

SCHEMA_VERSION = 1

# WhatsApp's limits for interactive messages (PROTOCOL.md §6; Meta's 131009 details).
MAX_BUTTONS = 3
MAX_LIST_ROWS = 10
MAX_BUTTON_TITLE = 20
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_LIST_BUTTON = 20
MAX_OPTION_ID = 256
MAX_INTERACTIVE_BODY = 1024
MAX_TEXT = 4096
MAX_STEPS = 200
MAX_TIMEOUT_SECONDS = 7 * 24 * 3600

# Typed by the customer at any point, these hand the conversation to a person.
DEFAULT_ESCAPE_WORDS = (
    "agent",
    "human",
    "person",
    "real person",
    "operator",
    "representative",
    "humano",
    "atendente",
    "atendimento humano",
    "pessoa",
    "persona",
    "persona real",
    "operador",
    "asesor",
    "mensch",
    "mitarbeiter",
    "humain",
    "conseiller",
    "operatore",
    "umano",
)

# What a branch may read. ``bot.<field>`` are the fields the flow collected.
BRANCH_FIELDS: dict[str, Kind] = {
    "conversation.language": Kind.TEXT,
    "contact.labels": Kind.LIST,
    "time.within_business_hours": Kind.BOOL,
    "message.text": Kind.TEXT,
}
BRANCH_PREFIXES = ("bot.", "contact.attributes.")

STEP_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
FIELD_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
VALUE_TYPES = ("text", "number", "email", "date", "phone")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_\-]{1,64})\s*\}\}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Button(_Model):
    """A WhatsApp reply button; ``id`` is what the customer's tap sends back."""

    id: str
    title: str
    next: str


class ListRow(_Model):
    id: str
    title: str
    description: str = ""
    next: str


class ListMenu(_Model):
    """A WhatsApp list message: one button opening up to 10 rows."""

    button: str = "Choose"
    rows: list[ListRow]


class _Step(_Model):
    id: str


class _Waiting(_Step):
    """A step that waits for the customer: silence for ``timeout_seconds`` goes to
    ``on_timeout``."""

    timeout_seconds: int | None = None
    on_timeout: str | None = None


class MessageStep(_Waiting):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    type: Literal["message"]
    text: str
    buttons: list[Button] = []
    # "list" in the JSON (a builtin's name would shadow ``list`` in this class body).
    menu: ListMenu | None = Field(default=None, alias="list")
    # Without options: the step after this message (None ends the flow here).
    next: str | None = None
    # A choice that matches no option is asked again this many times, then handed to a
    # person ("the flow cannot take it").
    max_retries: int = Field(default=1, ge=0, le=5)
    retry_text: str = ""

    @property
    def waits(self) -> bool:
        return bool(self.buttons or self.menu)


class AskStep(_Waiting):
    type: Literal["ask"]
    text: str
    save_as: str
    # A regular expression, or one of VALUE_TYPES; None accepts any text.
    validate_: str | None = Field(default=None, alias="validate")
    retry_text: str = ""
    max_retries: int = Field(default=2, ge=0, le=10)
    next: str
    # Where to go once the retries are used up; None hands off to a person.
    on_fail: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Branch(_Model):
    when: dict[str, Any]
    next: str


class BranchStep(_Step):
    type: Literal["branch"]
    branches: list[Branch]
    default: str


class FaqEntry(_Model):
    question: str
    keywords: list[str] = []
    answer: str
    # After this answer; None waits for another question on the same step.
    next: str | None = None


class FaqStep(_Waiting):
    type: Literal["faq"]
    text: str = ""
    entries: list[FaqEntry]
    # A question no entry answers goes here.
    next: str
    # difflib ratio a question must reach to count as a fuzzy match (0–1).
    cutoff: float = Field(default=0.6, ge=0.3, le=1.0)


class HandoffStep(_Step):
    type: Literal["handoff"]
    team: str | None = None
    agent: str | None = None
    note: str = ""
    text: str = ""


class CsatStep(_Waiting):
    type: Literal["csat"]
    text: str = "How would you rate our help?"
    # Anything but a rating goes back to a person at once (0) or is asked again.
    max_retries: int = Field(default=0, ge=0, le=5)
    retry_text: str = "Please choose a rating from 1 to 5."
    button: str = "Rate"
    comment: bool = False
    comment_text: str = "Thanks! Anything you would like to add? (or type 'no')"
    thanks_text: str = "Thank you for your feedback!"
    # Outside the 24-hour window: an approved template to send instead; None skips.
    template: str | None = None
    template_language: str = "en_US"
    # At most one rating per contact in this many days.
    once_per_days: int = Field(default=7, ge=0, le=365)
    next: str | None = None


class CloseStep(_Step):
    type: Literal["close"]
    text: str = ""


Step = Annotated[
    MessageStep | AskStep | BranchStep | FaqStep | HandoffStep | CsatStep | CloseStep,
    Field(discriminator="type"),
]


class FlowDefinition(_Model):
    """One version of a flow, as stored in ``FlowVersion.definition``."""

    version: Literal[1] = 1  # SCHEMA_VERSION
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    start_on: Literal["new_conversation", "manual"] = "manual"
    start: str
    steps: list[Step] = Field(min_length=1)
    escape_words: list[str] = list(DEFAULT_ESCAPE_WORDS)
    # Where an escape word or an answer the flow cannot take hands off to; None keeps the
    # conversation's team (and its last owner when available).
    escape_team: str | None = None

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def steps_by_id(self) -> dict[str, Step]:
        return {step.id: step for step in self.steps}


class FlowInvalid(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def parse_flow(data: Any) -> FlowDefinition:
    """The definition, or ``FlowInvalid`` with every error (see ``validate_flow``)."""
    errors = validate_flow(data)
    if errors:
        raise FlowInvalid(errors)
    return FlowDefinition.model_validate(data)


def validate_flow(data: Any) -> list[str]:
    """Readable errors for a flow, each naming its step; an empty list means it is valid."""
    if not isinstance(data, dict):
        return [f"flow: expected an object, got {type(data).__name__}."]
    try:
        flow = FlowDefinition.model_validate(data)
    except ValidationError as exc:
        return [_describe(error, data) for error in exc.errors()]
    errors: list[str] = []
    if len(flow.steps) > MAX_STEPS:
        errors.append(f"flow: at most {MAX_STEPS} steps (found {len(flow.steps)}).")
    seen: set[str] = set()
    for step in flow.steps:
        if not STEP_ID.match(step.id):
            errors.append(f"step {step.id!r}: an id is 1-64 letters, digits, _ or -.")
        if step.id in seen:
            errors.append(f"step {step.id!r}: duplicate id.")
        seen.add(step.id)
    if flow.start not in seen:
        errors.append(f"flow: start {flow.start!r} is not a step.")
    for step in flow.steps:
        errors += [f"step {step.id!r}: {problem}" for problem in _step_problems(step)]
        for where, target in _targets(step):
            if target not in seen:
                errors.append(f"step {step.id!r}: {where} {target!r} is not a step.")
    if flow.start in seen:
        reachable = _reachable(flow)
        for step in flow.steps:
            if step.id not in reachable:
                errors.append(f"step {step.id!r}: unreachable from the start {flow.start!r}.")
    if not all(isinstance(w, str) and 0 < len(w.strip()) <= 40 for w in flow.escape_words):
        errors.append("flow: escape_words must be words or short phrases (1-40 characters).")
    return errors


def _describe(error: Any, data: dict[str, Any]) -> str:
    """A pydantic error as "step 'menu': buttons[0].title: Field required"."""
    loc = list(error["loc"])
    where = "flow"
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        steps = data.get("steps")
        raw = steps[loc[1]] if isinstance(steps, list) and loc[1] < len(steps) else None
        step_id = raw.get("id") if isinstance(raw, dict) else None
        where = f"step {step_id!r}" if step_id else f"steps[{loc[1]}]"
        loc = loc[2:]
        if loc and isinstance(raw, dict) and loc[0] == raw.get("type"):
            loc = loc[1:]  # the discriminator's tag adds nothing for a reader
    if error["type"] == "union_tag_invalid":
        tag = error.get("input", {}).get("type") if isinstance(error.get("input"), dict) else None
        return (
            f"{where}: unknown step type {tag!r}; use message, ask, branch, faq, handoff, "
            "csat or close."
        )
    if error["type"] == "union_tag_not_found":
        return f"{where}: a step needs a type."
    field = ".".join(str(part) for part in loc)
    return f"{where}: {field + ': ' if field else ''}{error['msg']}."


def _step_problems(step: Step) -> Iterator[str]:
    match step:
        case MessageStep():
            yield from _text_problems(step.text, interactive=step.waits)
            if step.buttons and step.menu:
                yield "use buttons or a list, not both."
            if len(step.buttons) > MAX_BUTTONS:
                yield f"at most {MAX_BUTTONS} buttons (found {len(step.buttons)})."
            for button in step.buttons:
                yield from _option_problems("button", button.id, button.title, MAX_BUTTON_TITLE)
            if step.menu is not None:
                rows = step.menu.rows
                if not rows or len(rows) > MAX_LIST_ROWS:
                    yield f"a list has 1-{MAX_LIST_ROWS} rows (found {len(rows)})."
                if not 0 < len(step.menu.button) <= MAX_LIST_BUTTON:
                    yield f"the list button has 1-{MAX_LIST_BUTTON} characters."
                for row in rows:
                    yield from _option_problems("row", row.id, row.title, MAX_ROW_TITLE)
                    if len(row.description) > MAX_ROW_DESCRIPTION:
                        yield (
                            f"row {row.id!r}: a description has at most "
                            f"{MAX_ROW_DESCRIPTION} characters."
                        )
            ids = [b.id for b in step.buttons] + ([r.id for r in rows] if step.menu else [])
            if len(ids) != len(set(ids)):
                yield "option ids must be unique."
            if step.waits and step.next:
                yield "a message with options goes on through its options; remove next."
            yield from _timeout_problems(step, waits=step.waits)
        case AskStep():
            yield from _text_problems(step.text)
            if not FIELD_NAME.match(step.save_as):
                yield "save_as is a field name of 1-64 letters, digits, _ or -."
            if step.validate_ is not None and step.validate_ not in VALUE_TYPES:
                try:
                    re.compile(step.validate_)
                except re.error as exc:
                    types = ", ".join(VALUE_TYPES)
                    yield f"validate is neither a type ({types}) nor a valid regex: {exc}."
            yield from _timeout_problems(step, waits=True)
        case BranchStep():
            if not step.branches:
                yield "a branch needs at least one condition (and its default)."
            for i, branch in enumerate(step.branches):
                yield from validate_conditions(
                    branch.when, BRANCH_FIELDS, BRANCH_PREFIXES, path=f"branches[{i}].when"
                )
        case FaqStep():
            if step.text:
                yield from _text_problems(step.text)
            if not step.entries:
                yield "an faq needs at least one entry."
            for i, entry in enumerate(step.entries):
                if not entry.question.strip() or not entry.answer.strip():
                    yield f"entries[{i}]: a question and an answer are required."
                if len(entry.answer) > MAX_TEXT:
                    yield f"entries[{i}]: an answer has at most {MAX_TEXT} characters."
            yield from _timeout_problems(step, waits=True)
        case HandoffStep():
            if step.team and step.agent:
                yield "hand off to a team or to an agent, not both."
            if step.text:
                yield from _text_problems(step.text)
        case CsatStep():
            yield from _text_problems(step.text, interactive=True)
            if not 0 < len(step.button) <= MAX_LIST_BUTTON:
                yield f"the rating button has 1-{MAX_LIST_BUTTON} characters."
            yield from _timeout_problems(step, waits=True)
        case CloseStep():
            if step.text:
                yield from _text_problems(step.text)


def _text_problems(text: str, *, interactive: bool = False) -> Iterator[str]:
    limit = MAX_INTERACTIVE_BODY if interactive else MAX_TEXT
    if not text.strip():
        yield "the text is empty."
    elif len(text) > limit:
        kind = "an interactive message's body" if interactive else "a text"
        yield f"{kind} has at most {limit} characters (found {len(text)})."


def _option_problems(kind: str, option_id: str, title: str, limit: int) -> Iterator[str]:
    if not option_id.strip() or len(option_id) > MAX_OPTION_ID:
        yield f"{kind} {title!r}: an id has 1-{MAX_OPTION_ID} characters."
    if not title.strip():
        yield f"{kind} {option_id!r}: the title is empty."
    elif len(title) > limit:
        yield (
            f"{kind} {option_id!r}: a {kind} title has at most {limit} characters "
            f"(found {len(title)})."
        )


def _timeout_problems(step: _Waiting, *, waits: bool) -> Iterator[str]:
    if step.timeout_seconds is None and step.on_timeout is None:
        return
    if not waits:
        yield "only a step that waits for the customer can time out."
    elif step.timeout_seconds is None or step.on_timeout is None:
        yield "timeout_seconds and on_timeout go together."
    elif not 0 < step.timeout_seconds <= MAX_TIMEOUT_SECONDS:
        yield f"timeout_seconds is 1-{MAX_TIMEOUT_SECONDS}."


def _targets(step: Step) -> Iterator[tuple[str, str]]:
    """Every (where, step id) this step may go to."""
    if isinstance(step, _Waiting) and step.on_timeout:
        yield "on_timeout", step.on_timeout
    match step:
        case MessageStep():
            for button in step.buttons:
                yield f"button {button.id!r} next", button.next
            for row in step.menu.rows if step.menu else []:
                yield f"row {row.id!r} next", row.next
            if step.next:
                yield "next", step.next
        case AskStep():
            yield "next", step.next
            if step.on_fail:
                yield "on_fail", step.on_fail
        case BranchStep():
            for i, branch in enumerate(step.branches):
                yield f"branches[{i}] next", branch.next
            yield "default", step.default
        case FaqStep():
            yield "next", step.next
            for i, entry in enumerate(step.entries):
                if entry.next:
                    yield f"entries[{i}] next", entry.next
        case CsatStep():
            if step.next:
                yield "next", step.next


def _reachable(flow: FlowDefinition) -> set[str]:
    steps = flow.steps_by_id()
    seen = {flow.start}
    todo = [flow.start]
    while todo:
        step = steps.get(todo.pop())
        if step is None:
            continue
        for _, target in _targets(step):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def placeholders(text: str) -> list[str]:
    """The ``{{field}}`` names a text uses."""
    return PLACEHOLDER.findall(text)


def render(text: str, fields: dict[str, Any]) -> str:
    """``text`` with each ``{{field}}`` replaced by the collected value ("" when missing)."""
    return PLACEHOLDER.sub(lambda m: str(fields.get(m.group(1), "")), text)
