"""Server-rendered SVG charts (no script, no CDN): pure functions returning markup.

Every label and title is escaped here, so a team or agent name can never become markup;
callers may mark the result safe. Colours come from the page's CSS custom properties with
fallbacks, so the charts follow the app's look.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SERIES_COLOURS = ("#0f766e", "#b45309", "#4338ca")


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]
) -> str:
    """Grouped vertical bars: one group per label, one bar per series (name, values)."""
    width, height, left, bottom, top = 640, 220, 36, 28, 24
    peak = max((v for _, values in series for v in values), default=0) or 1
    groups = max(len(labels), 1)
    slot = (width - left - 8) / groups
    bar = max(slot * 0.8 / max(len(series), 1), 1)
    plot = height - bottom - top
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="t-{_slug(title)}">',
        f'<title id="t-{_slug(title)}">{_text(title)}</title>',
        f'<line x1="{left}" y1="{top + plot}" x2="{width - 8}" y2="{top + plot}" '
        'stroke="#94a3b8"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="10">'
        f"{_text(_number(peak))}</text>",
        f'<text x="{left - 4}" y="{top + plot}" text-anchor="end" font-size="10">0</text>',
    ]
    step = max(1, groups // 14)  # at most ~14 axis labels
    for i, label in enumerate(labels):
        x0 = left + i * slot + slot * 0.1
        for j, (name, values) in enumerate(series):
            value = values[i] if i < len(values) else 0
            h = plot * value / peak
            parts.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{top + plot - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{SERIES_COLOURS[j % len(SERIES_COLOURS)]}">'
                f"<title>{_text(label)} · {_text(name)}: {_text(_number(value))}</title></rect>"
            )
        if i % step == 0:
            parts.append(
                f'<text x="{left + i * slot + slot / 2:.1f}" y="{height - 10}" '
                f'text-anchor="middle" font-size="10">{_text(label)}</text>'
            )
    for j, (name, _) in enumerate(series):
        parts.append(
            f'<rect x="{left + j * 120}" y="4" width="10" height="10" '
            f'fill="{SERIES_COLOURS[j % len(SERIES_COLOURS)]}"/>'
            f'<text x="{left + j * 120 + 14}" y="13" font-size="11">{_text(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def heat_map(title: str, cells: Sequence[Sequence[float]], unit: str) -> str:
    """A weekday x hour grid (``cells[weekday][hour]``, Monday first), darker = more."""
    cell_w, cell_h, left, top = 24, 20, 40, 20
    width, height = left + 24 * cell_w + 4, top + 7 * cell_h + 4
    peak = max((v for row in cells for v in row), default=0) or 1
    parts = [
        f'<svg class="chart heat" role="img" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="t-{_slug(title)}">',
        f'<title id="t-{_slug(title)}">{_text(title)}</title>',
    ]
    for hour in range(0, 24, 3):
        parts.append(
            f'<text x="{left + hour * cell_w + cell_w / 2}" y="{top - 6}" text-anchor="middle" '
            f'font-size="10">{hour:02d}</text>'
        )
    for weekday, row in enumerate(cells):
        y = top + weekday * cell_h
        parts.append(
            f'<text x="{left - 6}" y="{y + cell_h * 0.7:.1f}" text-anchor="end" font-size="10">'
            f"{WEEKDAYS[weekday]}</text>"
        )
        for hour, value in enumerate(row):
            opacity = 0.06 + 0.94 * value / peak if value else 0.0
            parts.append(
                f'<rect x="{left + hour * cell_w}" y="{y}" width="{cell_w - 1}" '
                f'height="{cell_h - 1}" fill="#0f766e" fill-opacity="{opacity:.2f}" '
                'stroke="#e2e8f0" stroke-width="0.5">'
                f"<title>{WEEKDAYS[weekday]} {hour:02d}:00 · {_text(_number(value))} "
                f"{_text(unit)}</title></rect>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _slug(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower())[:40]
