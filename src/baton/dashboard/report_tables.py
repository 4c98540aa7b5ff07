"""The reports' tables as columns and rows: the page renders them and the CSV writes them,
from the same figures (``dashboard.reports``), so a CSV never disagrees with the screen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from baton.dashboard import reports
from baton.dashboard.charts import WEEKDAYS
from baton.dashboard.reports import ReportFilter, Scope

COUNT, SECONDS, RATE, TEXT, AVERAGE = "count", "seconds", "rate", "text", "average"
TYPED = "typed"  # a figures table: each row's value carries its own kind


@dataclass(frozen=True)
class Typed:
    value: Any
    kind: str


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = COUNT


@dataclass(frozen=True)
class Table:
    """A named table: ``rows`` hold raw values (seconds, fractions, counts)."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]

    def csv_rows(self) -> list[list[str]]:
        return [[c.label for c in self.columns]] + [
            [csv_value(row[c.key], c.kind) for c in self.columns] for row in self.rows
        ]

    @property
    def display_columns(self) -> tuple[Column, ...]:
        """The columns people read (a figures table's ``key`` is for CSV and tests)."""
        return tuple(c for c in self.columns if c.key != "key")

    def display_rows(self) -> list[list[str]]:
        return [
            [display_value(row[c.key], c.kind) for c in self.display_columns] for row in self.rows
        ]


def csv_value(value: Any, kind: str) -> str:
    if isinstance(value, Typed):
        return csv_value(value.value, value.kind)
    if value is None:
        return ""
    if kind == SECONDS:
        return f"{value:.1f}"
    if kind == RATE:
        return f"{value:.4f}"
    if kind == AVERAGE:
        return f"{value:.2f}"
    return str(value)


def display_value(value: Any, kind: str) -> str:
    if isinstance(value, Typed):
        return display_value(value.value, value.kind)
    if value is None:
        return "—"
    if kind == SECONDS:
        return compact_duration(value)
    if kind == RATE:
        return f"{value * 100:.1f} %"
    if kind == AVERAGE:
        return f"{value:.1f}"
    return str(value)


def compact_duration(seconds: float) -> str:
    """ "45 s", "4 min 10 s", "2 h 5 min", "3 d 4 h" (two units, rounded down)."""
    total = max(int(seconds), 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def summary_table(f: ReportFilter, scope: Scope, s: dict[str, Any] | None = None) -> Table:
    s = s or reports.get_summary(f, scope)
    rate = s["sla_hit_rate"]
    rows = [
        ("conversations_created", "Conversations created", s["conversations_created"], COUNT),
        ("conversations_resolved", "Conversations resolved", s["conversations_resolved"], COUNT),
        ("first_responses", "First responses", s["first_responses"], COUNT),
        (
            "first_response_seconds_median",
            "First response, median",
            s["first_response_seconds_median"],
            SECONDS,
        ),
        (
            "first_response_seconds_p90",
            "First response, p90",
            s["first_response_seconds_p90"],
            SECONDS,
        ),
        ("resolutions_timed", "Resolutions timed", s["resolutions_timed"], COUNT),
        (
            "resolution_seconds_median",
            "Resolution time, median",
            s["resolution_seconds_median"],
            SECONDS,
        ),
        ("resolution_seconds_p90", "Resolution time, p90", s["resolution_seconds_p90"], SECONDS),
        ("sla_hit_rate", "SLA hit rate, all metrics", rate["overall"], RATE),
    ]
    return _named("summary", "Summary", rows)


def _named(name: str, title: str, items: list[tuple[str, str, Any, str]]) -> Table:
    columns = (
        Column("key", "Key", TEXT),
        Column("figure", "Figure", TEXT),
        Column("value", "Value", TYPED),
    )
    return Table(
        name,
        title,
        columns,
        [
            {"key": key, "figure": label, "value": Typed(value, kind)}
            for key, label, value, kind in items
        ],
    )


def sla_table(f: ReportFilter, scope: Scope, s: dict[str, Any] | None = None) -> Table:
    rows = (s or reports.get_summary(f, scope))["sla"]
    return Table(
        "sla",
        "SLA by metric",
        (
            Column("label", "Metric", TEXT),
            Column("met", "Met"),
            Column("missed", "Missed"),
            Column("no_target", "No target"),
            Column("breaches", "Breaches"),
            Column("hit_rate", "Hit rate", RATE),
        ),
        rows,
    )


def handoffs_table(f: ReportFilter, scope: Scope) -> Table:
    h = reports.get_handoffs(f, scope)
    return _named(
        "handoffs",
        "Handoffs",
        [
            ("requested", "Requested", h["requested"], COUNT),
            ("accepted", "Accepted", h["accepted"], COUNT),
            ("declined", "Declined", h["declined"], COUNT),
            ("expired", "Expired", h["expired"], COUNT),
            ("cancelled", "Cancelled", h["cancelled"], COUNT),
            ("pending", "Still pending", h["pending"], COUNT),
            (
                "accept_seconds_median",
                "Time to accept, median",
                h["accept_seconds_median"],
                SECONDS,
            ),
            ("accept_seconds_p90", "Time to accept, p90", h["accept_seconds_p90"], SECONDS),
        ],
    )


def bots_table(f: ReportFilter, scope: Scope) -> Table:
    b = reports.get_bot_containment(f, scope)
    return _named(
        "bots",
        "Bots",
        [
            ("resolved", "Conversations resolved", b["resolved"], COUNT),
            ("contained", "Resolved by a bot, no human reply", b["contained"], COUNT),
            ("containment_rate", "Bot containment", b["rate"], RATE),
        ],
    )


def agents_table(f: ReportFilter, scope: Scope) -> Table:
    return Table(
        "agents",
        "Agents",
        (
            Column("username", "Username", TEXT),
            Column("name", "Name", TEXT),
            Column("conversations_handled", "Conversations handled"),
            Column("replies", "Replies"),
            Column("first_responses", "First responses"),
            Column("first_response_seconds_median", "First response, median", SECONDS),
            Column("resolutions", "Resolutions"),
            Column("handoffs_in", "Handoffs in"),
            Column("handoffs_out", "Handoffs out"),
        ),
        reports.get_agent_rows(f, scope),
    )


def daily_table(f: ReportFilter, scope: Scope) -> Table:
    return Table(
        "daily",
        "Per day",
        (Column("day", "Day", TEXT), Column("created", "Created"), Column("resolved", "Resolved")),
        reports.get_daily(f, scope),
    )


def heatmap_table(f: ReportFilter, scope: Scope) -> Table:
    rows = [{**cell, "day": WEEKDAYS[cell["weekday"]]} for cell in reports.get_heatmap(f, scope)]
    return Table(
        "heatmap",
        "Hour of the week",
        (
            Column("day", "Weekday", TEXT),
            Column("hour", "Hour", TEXT),
            Column("customer_messages", "Customer messages"),
            Column("conversations_created", "Conversations created"),
            Column("agents_on_shift", "Agents on shift (average)", AVERAGE),
        ),
        rows,
    )


def page_tables(f: ReportFilter, scope: Scope) -> dict[str, Table]:
    """Every table, as the page shows them (the summary's queries run once for two tables)."""
    summary = reports.get_summary(f, scope)
    tables = {"summary": summary_table(f, scope, summary), "sla": sla_table(f, scope, summary)}
    for name, build in TABLES.items():
        if name not in tables:
            tables[name] = build(f, scope)
    return tables


TABLES: dict[str, Callable[[ReportFilter, Scope], Table]] = {
    "summary": summary_table,
    "sla": sla_table,
    "handoffs": handoffs_table,
    "bots": bots_table,
    "agents": agents_table,
    "daily": daily_table,
    "heatmap": heatmap_table,
}


def day_label(day: date) -> str:
    return f"{day:%a %d %b}"
