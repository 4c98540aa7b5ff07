"""Predicted breaches: when will each waiting conversation be picked up, and is that too late?

Pure: plain data in, plain data out; no database, no settings, no reading of the clock
(callers pass ``now``). ``sla.capacity`` reads the inputs, ``sla.prediction_scan`` stores
the answers on ``ConversationSla``.

The model is a simple queue that a manager can check by hand:

- The queue is served in the assignment engine's order (``routing.candidates.waiting_order``:
  longest waiting first, then id). Priority does not reorder it, because the engine does not.
- **Free slots are taken at once.** The first ``free_slots`` conversations of the queue
  (capacity minus open conversations, summed over the agents who are available, on shift and
  under capacity) are predicted to be answered ``now``: the next assignment run hands them
  out.
- **After that, slots free up at the observed pace.** Every working slot (the capacity of
  each available, on-shift agent, busy or not) frees once per ``hold_time`` on average: the
  recent mean time between an agent taking a conversation and resolving it. The team's pace
  is therefore ``working_slots / hold_time`` conversations per unit of time, spread evenly
  (a fluid approximation: the k-th conversation after the free slots waits
  ``k * hold_time / working_slots``).
- **Known shift changes** move the pace: an agent starting a shift (a ``CapacityChange``
  with positive ``capacity``) brings their free slots at that instant and adds their capacity
  to the working slots; one ending a shift (negative ``capacity``) removes theirs from then.
- **No pace observed, no prediction.** With no ``hold_time`` (nothing resolved recently) or no
  working slot and no agent due to start, conversations beyond the free slots get no predicted
  answer (``answer_at`` None), and every one of them whose deadline is still ahead is
  predicted to breach: nobody is there to answer it, which is what the badge should say.

What the model leaves out, on purpose: agents who become available or go away outside their
shifts (breaks, presence), conversations that an ending shift hands back to the queue, new
arrivals (they queue behind, so they never delay the conversations already waiting), routing
rules that keep a conversation for the manual queue or name an agent (they are counted in
the queue order like the others), and the typing time between pickup and the first reply
(the prediction is the pickup). A conversation is *predicted to breach* when its deadline is
still ahead and the predicted pickup falls after it (or none is predicted); one already past
its deadline is breached, not predicted to.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class QueueItem:
    """A conversation waiting for a human, in the order the assignment engine serves it."""

    conversation_id: int
    waiting_since: datetime
    # The nearest response deadline still open (first or next response), None without one.
    due_at: datetime | None = None


@dataclass(frozen=True)
class CapacityChange:
    """A known change of staffing at ``at``: an agent's shift starts (``capacity`` > 0, and
    ``free``: the places of theirs usable at once) or ends (``capacity`` < 0)."""

    at: datetime
    capacity: int
    free: int = 0


@dataclass(frozen=True)
class TeamCapacity:
    """A team's live capacity, as the prediction needs it."""

    free_slots: int  # free places of the agents who are assignable now
    working_slots: int  # capacity of the agents available and on shift now, busy or not
    hold_time: timedelta | None  # recent mean time a conversation keeps a slot; None: unknown
    changes: tuple[CapacityChange, ...] = ()

    @property
    def pace_per_hour(self) -> float | None:
        """Conversations the team picks up per hour once every slot is busy (now)."""
        if self.hold_time is None or self.hold_time <= timedelta(0):
            return None
        return self.working_slots * 3600 / self.hold_time.total_seconds()


@dataclass(frozen=True)
class Prediction:
    """When one queued conversation is predicted to be picked up, and whether it is too late."""

    conversation_id: int
    position: int  # 1 = head of the queue
    answer_at: datetime | None  # None: nobody is predicted to pick it up
    due_at: datetime | None
    predicted_to_breach: bool


def predict_answers(
    queue: Sequence[QueueItem], capacity: TeamCapacity, now: datetime
) -> list[Prediction]:
    """One prediction per queue item, in queue order (see the module docstring's model)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    slots = _Slots(capacity, now)
    predictions = []
    for position, item in enumerate(queue, start=1):
        answer_at = slots.take()
        predictions.append(
            Prediction(
                conversation_id=item.conversation_id,
                position=position,
                answer_at=answer_at,
                due_at=item.due_at,
                predicted_to_breach=is_predicted_breach(item.due_at, answer_at, now),
            )
        )
    return predictions


def is_predicted_breach(due_at: datetime | None, answer_at: datetime | None, now: datetime) -> bool:
    """A deadline still ahead that the predicted pickup (or the lack of one) misses."""
    if due_at is None or due_at <= now:
        return False
    return answer_at is None or answer_at > due_at


def describe(prediction: Prediction, now: datetime) -> str | None:
    """The badge's words: "predicted to breach in 8 min"; None when no breach is predicted."""
    if not prediction.predicted_to_breach or prediction.due_at is None:
        return None
    return f"predicted to breach in {format_minutes(prediction.due_at - now)}"


def format_minutes(left: timedelta) -> str:
    """``left`` rounded up to the minute: "1 min", "8 min", "1 h", "2 h 05 min"."""
    minutes = max(1, math.ceil(left.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" if not minutes else f"{hours} h {minutes:02d} min"


class _Slots:
    """The slots of one team over time: hands out the instant of each next pickup."""

    def __init__(self, capacity: TeamCapacity, now: datetime) -> None:
        self.t = now
        self.free = max(0, capacity.free_slots)
        self.working = max(0, capacity.working_slots)
        hold = capacity.hold_time
        # Slots freed per second by each working slot.
        self.per_slot = 1 / hold.total_seconds() if hold and hold > timedelta(0) else None
        self.changes = _future(capacity.changes, now)
        self.credit = 0.0  # the part of the next freed slot already accumulated
        self.exhausted = False

    def take(self) -> datetime | None:
        while not self.exhausted:
            if self.free:
                self.free -= 1
                return self.t
            rate = self.working * self.per_slot if self.per_slot else 0.0
            change = self.changes[0] if self.changes else None
            if rate > 0:
                ready = self.t + timedelta(seconds=(1 - self.credit) / rate)
                if change is None or ready <= change.at:
                    self.t, self.credit = ready, 0.0
                    return ready
            if change is None:
                self.exhausted = True  # nobody will pick anything up: nor the ones behind
                break
            self.credit += rate * (change.at - self.t).total_seconds()
            self.t = change.at
            self.changes.pop(0)
            self.free += max(0, change.free)
            self.working = max(0, self.working + change.capacity)
        return None


def _future(changes: Iterable[CapacityChange], now: datetime) -> list[CapacityChange]:
    # Changes at or before now are already in the current figures.
    return sorted((c for c in changes if c.at > now), key=lambda c: c.at)
