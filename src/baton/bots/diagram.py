"""A flow's steps as an SVG diagram, drawn on the server (no script, no CDN).

Pure: ``flow_svg(definition) -> str``. Steps are laid out in columns by their distance from
the start (breadth first, in the order their options are listed); every way out of a step
— ``next``, a button, a list row, a branch, ``default``, ``on_fail``, ``on_timeout`` — is an
arrow labelled with what takes it. Everything taken from the flow is escaped, so a step text
such as ``<script>`` is shown, never run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html import escape

from baton.bots.definition import (
    AskStep,
    BranchStep,
    CsatStep,
    FaqStep,
    FlowDefinition,
    HandoffStep,
    MessageStep,
    Step,
)

BOX_WIDTH = 200
BOX_HEIGHT = 64
COLUMN_GAP = 150
ROW_GAP = 36
MARGIN = 20
TEXT_CHARS = 30


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    timeout: bool = False


def edges(step: Step) -> Iterator[Edge]:
    """Every way out of ``step``, labelled for a reader."""
    match step:
        case MessageStep():
            for button in step.buttons:
                yield Edge(step.id, button.next, button.title)
            for row in step.menu.rows if step.menu else []:
                yield Edge(step.id, row.next, row.title)
            if step.next:
                yield Edge(step.id, step.next, "next")
        case AskStep():
            yield Edge(step.id, step.next, f"valid {step.save_as}")
            if step.on_fail:
                yield Edge(step.id, step.on_fail, "retries used up")
        case BranchStep():
            for i, branch in enumerate(step.branches, start=1):
                yield Edge(step.id, branch.next, f"condition {i}")
            yield Edge(step.id, step.default, "otherwise")
        case FaqStep():
            for entry in step.entries:
                if entry.next:
                    yield Edge(step.id, entry.next, entry.question)
            yield Edge(step.id, step.next, "no answer")
        case CsatStep():
            if step.next:
                yield Edge(step.id, step.next, "rated")
    timeout = getattr(step, "on_timeout", None)
    if timeout:
        seconds = getattr(step, "timeout_seconds", None)
        label = f"silent {seconds // 60} min" if seconds and seconds >= 60 else "silent"
        yield Edge(step.id, timeout, label, timeout=True)


def layout(flow: FlowDefinition) -> dict[str, tuple[int, int]]:
    """``{step id: (column, row)}``: column = hops from the start; steps the start cannot
    reach go in a last column."""
    steps = flow.steps_by_id()
    columns: dict[str, int] = {}
    if flow.start in steps:
        columns[flow.start] = 0
        frontier = [flow.start]
        while frontier:
            following = []
            for step_id in frontier:
                for edge in edges(steps[step_id]):
                    if edge.target in steps and edge.target not in columns:
                        columns[edge.target] = columns[step_id] + 1
                        following.append(edge.target)
            frontier = following
    last = max(columns.values(), default=-1) + 1
    for step in flow.steps:
        columns.setdefault(step.id, last)
    rows: dict[int, int] = {}
    places: dict[str, tuple[int, int]] = {}
    for step_id, column in columns.items():
        places[step_id] = (column, rows.get(column, 0))
        rows[column] = rows.get(column, 0) + 1
    return places


def _summary(step: Step) -> str:
    match step:
        case HandoffStep():
            who = step.agent or step.team or "the queue"
            return f"to {who}"
        case BranchStep():
            return f"{len(step.branches)} condition(s)"
        case AskStep():
            return f"→ {step.save_as}: {step.text}"
    return str(getattr(step, "text", "") or "")


def _short(text: str, limit: int = TEXT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def flow_svg(flow: FlowDefinition) -> str:
    """The diagram as an ``<svg>`` element (a string of markup, every flow value escaped)."""
    places = layout(flow)
    columns = max((c for c, _ in places.values()), default=0) + 1
    rows = max((r for _, r in places.values()), default=0) + 1
    width = MARGIN * 2 + columns * BOX_WIDTH + (columns - 1) * COLUMN_GAP
    # Room below the last row for arrows that loop back to an earlier column.
    height = MARGIN * 2 + rows * BOX_HEIGHT + rows * ROW_GAP

    def corner(step_id: str) -> tuple[int, int]:
        column, row = places[step_id]
        return (
            MARGIN + column * (BOX_WIDTH + COLUMN_GAP),
            MARGIN + row * (BOX_HEIGHT + ROW_GAP),
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flow-diagram" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-label="Diagram of the flow {escape(flow.name)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="currentColor"/></marker></defs>',
    ]
    steps = flow.steps_by_id()
    for step in flow.steps:
        x, y = corner(step.id)
        for edge in edges(step):
            if edge.target not in steps:
                continue
            tx, ty = corner(edge.target)
            x1, y1 = x + BOX_WIDTH, y + BOX_HEIGHT // 2
            x2, y2 = tx, ty + BOX_HEIGHT // 2
            if tx == x:  # same column: straight up or down between the boxes
                x1 = x2 = x + BOX_WIDTH // 2
                y1, y2 = (y + BOX_HEIGHT, ty) if ty > y else (y, ty + BOX_HEIGHT)
                path = f"M {x1} {y1} L {x2} {y2}"
                lx, ly = x1 + 6, (y1 + y2) // 2 + 4
                anchor = "start"
            elif tx < x:  # back to an earlier column: loop around below the boxes
                x1, y1 = x + BOX_WIDTH // 2, y + BOX_HEIGHT
                x2, y2 = tx + BOX_WIDTH // 2, ty + BOX_HEIGHT
                bend = max(y1, y2) + ROW_GAP
                path = f"M {x1} {y1} C {x1} {bend} {x2} {bend} {x2} {y2}"
                lx, ly = (x1 + x2) // 2, bend - 4
                anchor = "middle"
            else:
                middle = (x1 + x2) // 2
                path = f"M {x1} {y1} C {middle} {y1} {middle} {y2} {x2} {y2}"
                lx, ly = middle, (y1 + y2) // 2 - 4
                anchor = "middle"
            kind = "edge timeout" if edge.timeout else "edge"
            parts.append(
                f'<g class="{kind}" data-from="{escape(edge.source)}" '
                f'data-to="{escape(edge.target)}">'
                f'<path d="{path}" fill="none" stroke="currentColor" marker-end="url(#arrow)"/>'
                f'<text x="{lx}" y="{ly}" text-anchor="{anchor}">'
                f"{escape(_short(edge.label, 22))}</text></g>"
            )
    for step in flow.steps:
        x, y = corner(step.id)
        start = " start" if step.id == flow.start else ""
        parts.append(
            f'<g class="step step-{escape(step.type)}{start}" data-step="{escape(step.id)}">'
            f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="8"/>'
            f'<text x="{x + 10}" y="{y + 20}" class="step-id">{escape(_short(step.id, 22))}'
            f' <tspan class="step-type">{escape(step.type)}</tspan></text>'
            f'<text x="{x + 10}" y="{y + 44}" class="step-text">'
            f"{escape(_short(_summary(step)))}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
