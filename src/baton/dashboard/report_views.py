"""Reports pages: ``/reports/`` and one CSV per table (``/reports/<table>.csv``).

Thin: the form parses, ``reports.get_report_filter`` checks the viewer's scope (managers:
their teams; admins: all; agents: 403), the tables come from ``report_tables``.
"""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from baton.core.errors import InvalidInput, NotFound
from baton.core.errors import PermissionDenied as DomainPermissionDenied
from baton.dashboard import charts, report_tables
from baton.dashboard.report_forms import ReportForm
from baton.dashboard.reports import (
    ReportFilter,
    Scope,
    get_bots_exist,
    get_report_filter,
    get_report_scope,
)

# Spreadsheets run cells starting with these as formulas (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _filter(request: HttpRequest) -> tuple[ReportForm, ReportFilter, Scope]:
    try:
        scope = get_report_scope(request.user)
        form = ReportForm(request.GET, scope)
        choices: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
        report, scope = get_report_filter(
            request.user,
            since=choices.get("since"),
            until=choices.get("until"),
            team_id=choices.get("team"),
            agent_id=choices.get("agent"),
            inbox_id=choices.get("inbox"),
        )
    except DomainPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except InvalidInput as exc:
        form.add_error(None, exc.message)
        report, scope = get_report_filter(request.user)
    return form, report, scope


def _query(report: ReportFilter) -> str:
    params = {"since": report.first_day.isoformat(), "until": report.last_day.isoformat()}
    for key, value in (
        ("team", report.team_id),
        ("agent", report.agent_id),
        ("inbox", report.inbox_id),
    ):
        if value is not None:
            params[key] = str(value)
    return urlencode(params)


@login_required
def reports_page(request: HttpRequest) -> HttpResponse:
    form, report, scope = _filter(request)
    tables = report_tables.page_tables(report, scope)
    daily = tables["daily"].rows
    cells = tables["heatmap"].rows
    volume = [
        [float(c["customer_messages"]) for c in cells[d * 24 : d * 24 + 24]] for d in range(7)
    ]
    staffing = [[c["agents_on_shift"] for c in cells[d * 24 : d * 24 + 24]] for d in range(7)]
    svg = {
        "daily": charts.bar_chart(
            "Conversations per day",
            [report_tables.day_label(row["day"]) for row in daily],
            [
                ("Created", [row["created"] for row in daily]),
                ("Resolved", [row["resolved"] for row in daily]),
            ],
        ),
        "volume": charts.heat_map("Customer messages by hour", volume, "customer messages"),
        "staffing": charts.heat_map("Agents on shift by hour", staffing, "agents on shift"),
    }
    query = _query(report)
    return render(
        request,
        "dashboard/reports.html",
        {
            "form": form,
            "report": report,
            "tables": tables,
            "bots": tables["bots"],
            "bots_exist": get_bots_exist(),
            # charts.py escapes every label and title it writes.
            "charts": {name: mark_safe(markup) for name, markup in svg.items()},  # noqa: S308
            "csv": {name: f"{reverse('reports:csv', args=[name])}?{query}" for name in tables},
        },
    )


@login_required
def report_csv(request: HttpRequest, table: str) -> HttpResponse:
    build = report_tables.TABLES.get(table)
    if build is None:
        raise Http404("No such report table.")
    _, report, scope = _filter(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"baton-{table}-{report.first_day}-{report.last_day}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for row in build(report, scope).csv_rows():
        writer.writerow([_defused(cell) for cell in row])
    return response


def _defused(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell
