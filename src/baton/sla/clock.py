"""The SLA clock: from a conversation's timeline to the state of each metric.

Pure: plain data in, plain data out; no database, no settings, and no reading of the clock
(callers pass ``now``), so every case is testable with fixed datetimes.

The definitions (issue #11, "Clock semantics"), per cycle (a reopen starts a new one):

- *First response* starts when the conversation reaches humans: the customer's first
  message, or the bot's handoff when a bot held it (bot time is never charged to humans).
  It stops at the first customer-visible message a human sends.
- *Next response* starts at the oldest customer message after the last human reply, once the
  first response has happened; an acknowledgement ("thanks", "👍") does not start it. It
  stops at the next human reply.
- *Resolution* runs from the same start as the first response to ``resolved``; pending and
  snoozed (``paused``) stop it when the policy says so.

Resolving a conversation also stops a response clock that is still waiting: the team decided
that no reply was needed, and the outcome (met or missed) is judged at that instant.

Deadlines are in business time: outside the calendar's hours no clock runs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from baton.core.business_hours import BusinessCalendar

# ------------------------------------------------------------------------------------------
# Acknowledgements: customer messages that need no answer

# Normalised (lower case, no accents, no punctuation) phrases that acknowledge. Messages
# are matched as a sequence of these ("ok thanks", "great, thank you"), never by prefix:
# "thanks, but where is my order?" needs an answer.
_ACK_PHRASES = frozenset(
    {
        # English
        "ok", "okay", "okey", "okie", "k", "kk", "thanks", "thank you", "thank u", "thanx",
        "thnx", "thx", "tks", "ty", "tysm", "many thanks", "thanks a lot", "thanks so much",
        "thank you so much", "thank you very much", "thanks very much", "cheers", "great",
        "perfect", "cool", "awesome", "excellent", "nice", "got it", "noted", "alright",
        "all right", "bye",
        # Spanish
        "gracias", "muchas gracias", "mil gracias", "muchisimas gracias", "vale", "perfecto",
        "perfecta", "genial", "listo", "de acuerdo", "entendido", "muy amable", "adios",
        # Portuguese
        "obrigado", "obrigada", "muito obrigado", "muito obrigada", "brigado", "brigada",
        "valeu", "perfeito", "beleza", "blz", "ta bom", "combinado", "otimo", "tchau",
        # French
        "merci", "merci beaucoup", "merci bien", "d accord", "parfait", "super", "entendu",
        "ca marche", "top",
        # German
        "danke", "danke schon", "danke schoen", "dankeschon", "dankeschoen", "danke sehr",
        "vielen dank", "alles klar", "perfekt", "passt",
        # Italian
        "grazie", "grazie mille", "mille grazie", "perfetto", "va bene", "d accordo",
        "ottimo", "ciao",
    }
)  # fmt: skip
_LONGEST_PHRASE = max(len(phrase.split()) for phrase in _ACK_PHRASES)
# Emoji that acknowledge on their own or beside the words above. Any other emoji makes the
# message count as needing an answer: wrongly starting a clock is cheaper than silently
# ignoring an upset customer ("ok 😡").
_ACK_EMOJI = frozenset("👍👌🙏❤♥💙💚💛💜🧡🤍🖤😊🙂☺😀😃😄😁🥰😍😘🤝✅👏💯🫶✌")
# Joiners, variation selectors and skin tones are part of an emoji, not separate ones.
_EMOJI_PARTS = frozenset("\u200d\ufe0e\ufe0f") | {chr(c) for c in range(0x1F3FB, 0x1F400)}
# More words than this is a message with content, whatever words it starts with.
MAX_ACK_WORDS = 5
_QUESTION = re.compile(r"[?¿？]")


def is_acknowledgement(text: str | None, *, is_reaction: bool = False) -> bool:
    """Does this customer message need no answer ("ok", "gracias", "👍", a reaction)?

    Tolerant of case, accents, punctuation and acknowledging emoji; never true for a
    question, a message of more than ``MAX_ACK_WORDS`` words, or a message with any word
    that does not acknowledge. A message without text (media) needs an answer.
    """
    if is_reaction:
        return True
    if not text or not text.strip() or _QUESTION.search(text):
        return False
    saw_ack_emoji = False
    kept = []
    for char in unicodedata.normalize("NFKD", text.casefold()):
        category = unicodedata.category(char)
        if char in _ACK_EMOJI:
            saw_ack_emoji = True
        elif char in _EMOJI_PARTS or category == "Mn":  # accents fall off here
            continue
        elif category.startswith("S"):
            return False  # an emoji (or symbol) that is not an acknowledgement
        elif category.startswith(("P", "Z", "C")):
            kept.append(" ")  # punctuation and apostrophes separate words: "d'accord"
        else:
            kept.append(char)
    words = "".join(kept).split()
    if not words:
        return saw_ack_emoji
    return len(words) <= MAX_ACK_WORDS and _made_of_phrases(words)


def _made_of_phrases(words: list[str]) -> bool:
    # covered[i]: words[:i] is a sequence of whole phrases ("ok" + "thank you").
    covered = [True] + [False] * len(words)
    for end in range(1, len(words) + 1):
        covered[end] = any(
            covered[start] and " ".join(words[start:end]) in _ACK_PHRASES
            for start in range(max(0, end - _LONGEST_PHRASE), end)
        )
    return covered[-1]


# ------------------------------------------------------------------------------------------
# Input: the timeline and the targets


class EventKind(StrEnum):
    CUSTOMER_MESSAGE = "customer_message"
    HUMAN_REPLY = "human_reply"  # customer-visible (text, media, template); never a note
    BOT_MESSAGE = "bot_message"  # a bot or an automation wrote to the customer
    HANDOFF_TO_HUMAN = "handoff_to_human"
    PAUSED = "paused"  # pending or snoozed
    RESUMED = "resumed"
    RESOLVED = "resolved"
    REOPENED = "reopened"


@dataclass(frozen=True)
class ClockEvent:
    """One timeline entry that moves a clock. ``acknowledgement`` matters for customer
    messages only (see ``is_acknowledgement``)."""

    at: datetime
    kind: EventKind
    acknowledgement: bool = False


@dataclass(frozen=True)
class Targets:
    """A policy's targets in business seconds; None = no target for that metric."""

    first_response_seconds: float | None = None
    next_response_seconds: float | None = None
    resolution_seconds: float | None = None
    warn_before_seconds: float | None = None
    pause_resolution_when_pending: bool = True


# ------------------------------------------------------------------------------------------
# Output: one state per metric


class State(StrEnum):
    NONE = "none"  # no target, or the clock has not started
    RUNNING = "running"
    WARNING = "warning"  # inside the warning lead, not yet due
    PAUSED = "paused"
    BREACHED = "breached"  # past due, not yet stopped
    MET = "met"  # stopped on time
    MISSED = "missed"  # stopped late


@dataclass(frozen=True)
class MetricState:
    state: State
    started_at: datetime | None = None
    due_at: datetime | None = None  # while paused: as if the pause ended now
    warn_at: datetime | None = None
    stopped_at: datetime | None = None
    breached_at: datetime | None = None  # the due instant, once it has passed unstopped
    # Once stopped: the time it ran, in business time and without pauses (what reports show).
    elapsed_seconds: float | None = None


NOT_RUNNING = MetricState(State.NONE)


@dataclass(frozen=True)
class SlaSnapshot:
    """The metrics of the current cycle (1 for a conversation never reopened)."""

    cycle: int
    first_response: MetricState
    next_response: MetricState
    resolution: MetricState


# ------------------------------------------------------------------------------------------
# Evaluation

# A pause as [start, end); end None = still paused.
_Pause = tuple[datetime, datetime | None]


def evaluate(
    events: Sequence[ClockEvent], targets: Targets, calendar: BusinessCalendar, now: datetime
) -> SlaSnapshot:
    """Every metric of the current cycle at ``now``.

    Events are taken in time order; events at the same instant keep the caller's order (so
    list a ``reopened`` before the message that reopened the conversation).
    """
    timeline = sorted(events, key=lambda event: event.at)  # stable: ties keep their order
    reopens = [i for i, event in enumerate(timeline) if event.kind is EventKind.REOPENED]
    cycle = timeline[reopens[-1] + 1 :] if reopens else timeline
    # Nothing after the resolution belongs to this cycle: a new message reopens first.
    resolved_at = next((e.at for e in cycle if e.kind is EventKind.RESOLVED), None)
    if resolved_at is not None:
        cycle = [e for e in cycle if e.at <= resolved_at]

    started = _reached_humans(cycle)
    replies = [e.at for e in cycle if e.kind is EventKind.HUMAN_REPLY]
    first_reply = next((at for at in replies if started is not None and at >= started), None)
    first_stop = first_reply if first_reply is not None else resolved_at

    def metric(
        target: float | None,
        start: datetime | None,
        stop: datetime | None,
        pauses: Sequence[_Pause] = (),
    ) -> MetricState:
        if start is None:
            return NOT_RUNNING
        if target is None:
            # No target, but the clock's facts still count (reports share its definition).
            if stop is None or stop > now:
                return MetricState(State.NONE, started_at=start)
            elapsed = _active_seconds(calendar, start, stop, list(pauses))
            return MetricState(
                State.NONE, started_at=start, stopped_at=stop, elapsed_seconds=elapsed
            )
        return _metric_state(
            calendar, target, targets.warn_before_seconds, start, stop, list(pauses), now
        )

    next_start, next_stop = _next_response(cycle, first_reply)
    if next_start is not None and next_stop is None:
        next_stop = resolved_at
    pauses = _pauses(cycle) if targets.pause_resolution_when_pending else []
    return SlaSnapshot(
        cycle=len(reopens) + 1,
        first_response=metric(targets.first_response_seconds, started, first_stop),
        next_response=metric(targets.next_response_seconds, next_start, next_stop),
        resolution=metric(targets.resolution_seconds, started, resolved_at, pauses),
    )


def _reached_humans(cycle: Sequence[ClockEvent]) -> datetime | None:
    """When humans first owe an answer: the first customer message, unless a bot held the
    conversation, then its handoff (a human writing while the bot holds it took it over)."""
    first_message = None
    bot_held = False
    for event in cycle:
        if event.kind is EventKind.CUSTOMER_MESSAGE and first_message is None:
            first_message = event.at
        elif event.kind is EventKind.BOT_MESSAGE:
            bot_held = True
        elif event.kind is EventKind.HANDOFF_TO_HUMAN:
            return event.at
        elif event.kind is EventKind.HUMAN_REPLY and (bot_held or first_message):
            # Before any customer message and without a bot, a human wrote first (an
            # outbound template): nobody is waiting yet.
            return event.at if bot_held else first_message
    return None if bot_held else first_message


def _next_response(
    cycle: Sequence[ClockEvent], first_reply: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """The latest next-response wait of the cycle as (start, stop); stop None = waiting."""
    if first_reply is None:
        return None, None
    latest: tuple[datetime | None, datetime | None] = (None, None)
    waiting_since = None
    for event in cycle:
        if event.at <= first_reply:
            continue
        if event.kind is EventKind.CUSTOMER_MESSAGE and not event.acknowledgement:
            if waiting_since is None:  # the oldest unanswered message sets the clock
                waiting_since = event.at
                latest = (waiting_since, None)
        elif event.kind is EventKind.HUMAN_REPLY and waiting_since is not None:
            latest = (waiting_since, event.at)
            waiting_since = None
    return latest


def _pauses(cycle: Sequence[ClockEvent]) -> list[_Pause]:
    pauses: list[_Pause] = []
    paused_since = None
    for event in cycle:
        if event.kind is EventKind.PAUSED and paused_since is None:
            paused_since = event.at
        elif event.kind in (EventKind.RESUMED, EventKind.RESOLVED) and paused_since is not None:
            pauses.append((paused_since, event.at))
            paused_since = None
    if paused_since is not None:
        pauses.append((paused_since, None))
    return pauses


def _metric_state(
    calendar: BusinessCalendar,
    target: float,
    warn_before: float | None,
    start: datetime,
    stop: datetime | None,
    pauses: list[_Pause],
    now: datetime,
) -> MetricState:
    due = _after_active_seconds(calendar, start, target, pauses, now)
    warn = None
    if warn_before is not None:
        # "due - warn_before" in business time, pauses included: the instant at which only
        # warn_before of active time is left.
        warn = _after_active_seconds(calendar, start, max(0.0, target - warn_before), pauses, now)
    fields: dict[str, Any] = {"started_at": start, "due_at": due, "warn_at": warn}
    if stop is not None and stop <= now:
        elapsed = _active_seconds(calendar, start, stop, pauses)
        if stop <= due:
            return MetricState(State.MET, stopped_at=stop, elapsed_seconds=elapsed, **fields)
        return MetricState(
            State.MISSED, stopped_at=stop, breached_at=due, elapsed_seconds=elapsed, **fields
        )
    if now >= due:
        # Once past due a metric stays breached: pausing afterwards does not undo it.
        return MetricState(State.BREACHED, breached_at=due, **fields)
    if pauses and pauses[-1][1] is None and pauses[-1][0] <= now:
        return MetricState(State.PAUSED, **fields)
    if warn is not None and now >= warn:
        return MetricState(State.WARNING, **fields)
    return MetricState(State.RUNNING, **fields)


def _active_seconds(
    calendar: BusinessCalendar, start: datetime, stop: datetime, pauses: list[_Pause]
) -> float:
    """Business seconds from ``start`` to ``stop``, less the paused ones."""
    total = calendar.business_seconds_between(start, stop)
    for pause_start, pause_end in pauses:
        begin, end = max(pause_start, start), min(pause_end or stop, stop)
        if end > begin:
            total -= calendar.business_seconds_between(begin, end)
    return max(0.0, total)


def _after_active_seconds(
    calendar: BusinessCalendar,
    start: datetime,
    seconds: float,
    pauses: list[_Pause],
    now: datetime,
) -> datetime:
    """The instant at which ``seconds`` of unpaused business time have run since ``start``.

    A pause that begins once the budget is spent does not move the result; a pause still
    under way counts up to ``now`` (the deadline moves on while it lasts).
    """
    cursor, remaining = start, float(seconds)
    for pause_start, pause_end in pauses:
        end = max(now, pause_start) if pause_end is None else pause_end
        if end <= cursor:
            continue
        if pause_start > cursor:
            active = calendar.business_seconds_between(cursor, pause_start)
            if active >= remaining:
                break
            remaining -= active
        cursor = end
    return calendar.add_business_seconds(cursor, remaining)


# ------------------------------------------------------------------------------------------
# WhatsApp's customer-service window


def window_warning(
    due_at: datetime | None, window_ends_at: datetime | None, time_zone: str | tzinfo = "UTC"
) -> str | None:
    """The warning to show when a deadline falls after the 24-hour window closes (then a
    free-form reply no longer reaches the customer); None when there is nothing to say.

    Times read ``HH:MM`` in ``time_zone`` (the viewer's or the team's).
    """
    if due_at is None or window_ends_at is None or window_ends_at >= due_at:
        return None
    zone = ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone
    closes = window_ends_at.astimezone(zone).strftime("%H:%M")
    due = due_at.astimezone(zone).strftime("%H:%M")
    return (
        f"window closes {closes}, before the {due} deadline"
        " — after that only a template reaches the customer"
    )
