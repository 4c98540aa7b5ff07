"""Template helpers for the routing pages."""

from __future__ import annotations

from typing import Any

from django import template

from baton.conversations.models import Priority

register = template.Library()


@register.filter
def plain(value: Any) -> str:
    """A rule action's value as a person reads it: lists as "a, b", not Python's repr."""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


@register.filter
def priority_name(value: Any) -> str:
    """0-3 as the words managers chose them by (low, normal, high, urgent)."""
    try:
        return str(Priority(int(value)).label).lower()
    except (TypeError, ValueError):
        return str(value)
