"""Small formatting helpers for the inbox templates (pure, no queries), and the timeline's
per-kind rendering (``web.timeline``)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.template import Context, Engine

from baton.core.durations import human_since
from baton.core.media_types import is_inline_image_type
from baton.web.queries import TimelineItem
from baton.web.sla_display import SlaBadge, list_badge
from baton.web.timeline import renderer_for

register = template.Library()


@register.filter
def initials(name: str) -> str:
    parts = [p for p in (name or "").replace("+", "").split() if p[:1].isalnum()]
    if not parts:
        return "?"
    if len(parts) == 1:
        return parts[0][:2].upper()
    return (parts[0][0] + parts[-1][0]).upper()


def _compact(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return "now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        rest = minutes % 60
        return f"{hours}h {rest}m" if rest and hours < 10 else f"{hours}h"
    return f"{hours // 24}d"


@register.simple_tag
def since(then: datetime | None, now: datetime) -> str:
    """ "5m", "2h 10m", "3d": how long ago, compact enough for a list row."""
    return "" if then is None else _compact((now - then).total_seconds())


@register.simple_tag
def duration_since(then: datetime | None, now: datetime) -> str:
    """ "less than a minute", "2 hours 5 minutes": for sentences (``core.durations``)."""
    return "" if then is None else human_since(then, now)


@register.simple_tag
def until(then: datetime | None, now: datetime) -> str:
    return "" if then is None else _compact((then - now).total_seconds())


@register.simple_tag
def sla_badge(conversation, now: datetime) -> SlaBadge | None:
    """The list item's SLA badge (``web.sla_display``), or None."""
    return list_badge(conversation, now)


@register.filter
def handle(username: str) -> str:
    """A WhatsApp username with one "@": Meta sends it with its "@" ("@cust19")."""
    return f"@{username.lstrip('@')}" if username else ""


@register.filter
def avatar_hue(value: object) -> int:
    """A stable colour per contact, so the same customer looks the same everywhere."""
    return (sum(ord(c) for c in str(value)) * 37) % 360


@register.filter
def shows_as_image(message) -> bool:
    """An image or sticker whose declared type may display in an <img> (an SVG is a file)."""
    return message.type in ("image", "sticker") and is_inline_image_type(message.media_mime_type)


@register.simple_tag(takes_context=True)
def timeline_item(context: Context, item: TimelineItem) -> str:
    """One timeline item, through the template its kind registered (``web.timeline``)."""
    chosen = renderer_for(item)
    if chosen is None:
        return ""
    renderer, row = chosen
    extra = renderer.context(row, context) if renderer.context else {}
    name = "e" if item.event is not None else "m"
    slot = "line_template" if item.event is not None else "body_template"
    # The engine of the page being rendered, as {% include %} does (its loaders, its cache).
    engine = context.template.engine if context.template is not None else Engine.get_default()
    with context.push(**{name: row, slot: renderer.template, **extra}):
        return engine.get_template(renderer.frame or renderer.template).render(context)
