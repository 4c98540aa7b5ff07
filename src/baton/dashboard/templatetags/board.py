"""Formatting for the board's templates (pure, no queries)."""

from __future__ import annotations

from datetime import datetime

from django import template

register = template.Library()


@register.filter
def age(seconds: float | None) -> str:
    """ "—", "40s", "5m", "2h 10m", "3d": a waiting time or a response time."""
    if seconds is None:
        return "—"
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        rest = minutes % 60
        return f"{hours}h {rest}m" if rest else f"{hours}h"
    return f"{hours // 24}d {hours % 24}h" if hours % 24 else f"{hours // 24}d"


@register.filter
def percent(fraction: float) -> str:
    """A fraction of the day strip as a CSS percentage."""
    return f"{max(0.0, min(fraction, 1.0)) * 100:.3f}%"


@register.filter
def day_fraction(at: datetime, start: datetime) -> float:
    """Where ``at`` sits in the day that began at ``start`` (0 = midnight, 1 = the next)."""
    return (at - start).total_seconds() / 86400


@register.filter
def tick_height(count: int) -> int:
    """A half hour's moves as a tick: taller with more, within the strip."""
    return min(4 + 2 * count, 14)


@register.filter
def clock(fraction: float) -> str:
    """A fraction of the day as the wall-clock time it starts: 0.4375 → "10:30"."""
    minutes = round(fraction * 1440)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


MOVE_WORDS = {
    "assigned": "assigned",
    "handoff_in": "handed in",
    "handoff_out": "handed out",
    "released": "released",
    "resolved": "resolved",
}


@register.filter
def move_word(kind: str) -> str:
    return MOVE_WORDS.get(kind, kind)
