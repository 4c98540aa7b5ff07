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
