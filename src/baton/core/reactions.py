"""In-transaction reactions: how one app acts on a change another app recorded.

A domain write (an ownership move, an inbound message, a presence change) describes what
happened as a typed change record — a frozen dataclass defined next to the code that emits
it — and calls :func:`dispatch`. Apps that care subscribe in ``AppConfig.ready()``; the
domain never imports them. Subscribers run synchronously, in the caller's transaction, so a
task a reaction enqueues commits or rolls back with the change that caused it.

Subscribers of one change type run in a declared order (the slots below), then in the order
they registered: bots decide before routing assigns, and SLA clocks start after both.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any


class Slot(IntEnum):
    """Where a subscriber runs among the subscribers of one change type."""

    AUDIT = 100  # records that describe the change itself
    BOTS = 200  # a bot may take the conversation before routing looks for a person
    ROUTING = 300  # routing rules and assignment
    SLA = 400  # clocks start or stop once ownership is settled


Subscriber = Callable[[Any], None]

_subscribers: dict[type, list[tuple[int, int, Subscriber]]] = {}


def register(change_type: type, subscriber: Subscriber, slot: Slot) -> None:
    """Call ``subscriber(change)`` for every dispatched change of ``change_type``.

    Registering the same subscriber twice (``ready()`` run again) keeps one entry.
    """
    entries = _subscribers.setdefault(change_type, [])
    if any(existing == subscriber for _, _, existing in entries):
        return
    entries.append((int(slot), len(entries), subscriber))
    entries.sort(key=lambda entry: (entry[0], entry[1]))


def dispatch(change: object) -> None:
    """Run the subscribers of ``change``'s type, in order, in the caller's transaction."""
    for _, _, subscriber in _subscribers.get(type(change), ()):
        subscriber(change)


def subscribers_of(change_type: type) -> list[Subscriber]:
    return [subscriber for _, _, subscriber in _subscribers.get(change_type, ())]
