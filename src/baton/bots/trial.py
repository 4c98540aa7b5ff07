"""The editor's test run: a customer conversation played against a flow with the pure
engine only — nothing is sent, nothing stored (like the routing dry run).

``play(flow, inputs, context)`` starts the flow, then applies each input in order (a typed
text, a tapped button or list row, or silence until the wait times out) and returns every
turn: what the customer did and what the bot would do in answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from baton.bots.definition import FlowDefinition
from baton.bots.engine import (
    BotAction,
    Close,
    Context,
    CustomerInput,
    Event,
    Handoff,
    Option,
    RecordCsat,
    SaveField,
    SendButtons,
    SendList,
    SendTemplate,
    SendText,
    SessionState,
    SkipCsat,
    Start,
    Timeout,
    WaitFor,
    advance,
)

MAX_INPUTS = 50


@dataclass(frozen=True)
class Said:
    """One customer move in a test run: ``kind`` is "text", "reply" (a tapped option) or
    "silence" (the wait times out)."""

    kind: str
    text: str = ""
    reply_id: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text, "reply_id": self.reply_id}

    @classmethod
    def from_dict(cls, data: Any) -> Said | None:
        if not isinstance(data, dict) or data.get("kind") not in ("text", "reply", "silence"):
            return None
        return cls(str(data["kind"]), str(data.get("text", "")), str(data.get("reply_id", "")))


@dataclass(frozen=True)
class Line:
    """One thing the bot would do, for a reader: ``kind`` is "message", "note" (saved a
    field, a handoff, a rating…) and ``options`` are the buttons or rows it offers."""

    kind: str
    text: str
    options: tuple[Option, ...] = ()


@dataclass
class Turn:
    said: Said | None  # None for the flow's start
    lines: list[Line] = field(default_factory=list)
    step: str | None = None  # the step waited on afterwards


@dataclass
class TrialRun:
    turns: list[Turn]
    state: SessionState
    options: tuple[Option, ...] = ()  # what the customer may tap now
    waits_with_timeout: bool = False
    finished: bool = False


def describe(action: BotAction) -> Line | None:
    match action:
        case SendText(text=text):
            return Line("message", text)
        case SendButtons(text=text, buttons=buttons):
            return Line("message", text, buttons)
        case SendList(text=text, button=button, rows=rows):
            return Line("message", f"{text} [{button}]", rows)
        case SendTemplate(name=name, language=language):
            return Line("note", f"Would send the template {name} ({language}).")
        case SaveField(name=name, value=value):
            return Line("note", f"Saved {name} = {value}")
        case Handoff():
            to = action.agent or action.team or "the team queue"
            if action.to_last_owner:
                to = f"{to} (the last owner first)"
            note = f"; note: {action.note}" if action.note else ""
            return Line("note", f"Hands off to {to} — {action.reason}{note}")
        case Close(text=text):
            return Line("note", "Resolves the conversation" + (f" after: {text}" if text else ""))
        case RecordCsat(score=score, comment=comment):
            said = f": {comment}" if comment else ""
            return Line("note", f"Records a rating of {score}{said}")
        case SkipCsat(reason=reason):
            return Line("note", f"Does not ask for a rating: {reason}")
        case WaitFor():
            return None
    return None


def _event(said: Said, state: SessionState, offered: tuple[Option, ...]) -> Event:
    if said.kind == "silence":
        return Timeout(step=state.step or "")
    if said.kind == "reply":
        title = next((o.title for o in offered if o.id == said.reply_id), said.text)
        return CustomerInput(text=title, reply_id=said.reply_id, reply_title=title)
    return CustomerInput(text=said.text)


def play(flow: FlowDefinition, inputs: list[Said], context: Context | None = None) -> TrialRun:
    """Start ``flow`` and apply ``inputs`` (at most ``MAX_INPUTS``) in order."""
    state = SessionState()
    state, actions = advance(flow, state, Start(), context)
    turns = [_turn(None, actions, state)]
    offered = _offered(actions)
    for said in inputs[:MAX_INPUTS]:
        if state.finished:
            break
        event = _event(said, state, offered)
        if isinstance(event, CustomerInput) and said.kind == "reply":
            said = Said("reply", event.reply_title, said.reply_id)  # shown by its title
        state, actions = advance(flow, state, event, context)
        turns.append(_turn(said, actions, state))
        offered = _offered(actions) or (offered if not actions else ())
    waiting = flow.steps_by_id().get(state.step or "")
    return TrialRun(
        turns=turns,
        state=state,
        options=() if state.finished else offered,
        waits_with_timeout=bool(getattr(waiting, "on_timeout", None)) and not state.finished,
        finished=state.finished,
    )


def _turn(said: Said | None, actions: list[BotAction], state: SessionState) -> Turn:
    lines = [line for line in map(describe, actions) if line is not None]
    if said is not None and not lines:
        lines.append(Line("note", "(no answer: the bot ignores this)"))
    return Turn(said=said, lines=lines, step=None if state.finished else state.step)


def _offered(actions: list[BotAction]) -> tuple[Option, ...]:
    for action in reversed(actions):
        if isinstance(action, SendButtons):
            return action.buttons
        if isinstance(action, SendList):
            return action.rows
    return ()
