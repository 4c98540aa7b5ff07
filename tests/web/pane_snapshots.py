"""Recorded HTML of the conversation pane and the timeline, to prove a refactor changes nothing.

The snapshots under ``tests/web/snapshots/`` were written from the templates as they were
before the pane's buttons came from ``web.actions_menu`` and timeline items from
``web.timeline``. Set ``BATON_WRITE_SNAPSHOTS=1`` to rewrite them after an intended change
(and review the diff: it is the change in what people see).
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

SNAPSHOTS = Path(__file__).parent / "snapshots"

_CSRF = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')
_DAY_OR_MONTH = re.compile(
    r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
)


def squeeze(html: str) -> str:
    """Whitespace between and around tags carries no meaning here; runs of it become one."""
    html = _CSRF.sub("", html)
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(<|>)\s*", r"\1", html).strip()


def mask_times(html: str) -> str:
    """Digits (ids, clocks, countdowns) and day/month names vary between runs: masked."""
    return re.sub(r"\d+", "0", _DAY_OR_MONTH.sub("Day", html))


class _Controls(HTMLParser):
    """Every button, menu summary and form of a page, with the attributes that act."""

    KEPT = (
        "class",
        "data-action",
        "data-open-dialog",
        "hx-post",
        "hx-vals",
        "hx-confirm",
        "title",
        "action",
        "type",
    )

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str]] = []
        self._open: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("button", "summary", "form"):
            control = {"tag": tag, **{k: v or "" for k, v in attrs if k in self.KEPT}}
            self.controls.append(control)
            if tag != "form":
                control["text"] = ""
                self._open = control

    def handle_endtag(self, tag: str) -> None:
        if tag in ("button", "summary") and self._open is not None:
            self._open["text"] = " ".join(self._open["text"].split())
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["text"] += data


def controls(html: str) -> list[dict[str, str]]:
    parser = _Controls()
    parser.feed(html)
    return parser.controls


def check_snapshot(name: str, case: str, recorded: object) -> None:
    """``recorded`` equals the snapshot ``case`` of file ``name`` (or becomes it, when writing)."""
    path = SNAPSHOTS / name
    cases = json.loads(path.read_text()) if path.exists() else {}
    if os.environ.get("BATON_WRITE_SNAPSHOTS") == "1":
        cases[case] = recorded
        path.write_text(json.dumps(cases, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    assert case in cases, f"no snapshot {case!r} in {path}"
    recorded = json.loads(json.dumps(recorded))
    if isinstance(recorded, list):  # name the first item that differs, not just the case
        for index, (got, want) in enumerate(zip(recorded, cases[case], strict=False)):
            assert got == want, f"{case}, item {index}:\n{got}\n!=\n{want}"
    assert recorded == cases[case], case
