"""Template helpers for assist's fragments included by the web pane."""

from django import template

from baton.assist.queries import intent_choices as _intent_choices

register = template.Library()


@register.simple_tag
def intent_choices() -> list[tuple[str, str]]:
    """(value, label) of every intent, for the correction select."""
    return _intent_choices()


@register.filter
def intent_label(value: str) -> str:
    return value.replace("_", " ")
