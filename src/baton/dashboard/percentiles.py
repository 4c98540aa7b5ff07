"""Median and p90 as PostgreSQL's ``percentile_cont`` defines them, on every database.

PostgreSQL computes them in SQL (one aggregate query, grouped if asked). SQLite has no
``percentile_cont``: there the same sorted values are read and interpolated here with the
same formula (position ``fraction x (n - 1)``, linear between the two neighbours), so both
databases give the same numbers (``tests/dashboard/test_reports_percentiles.py``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import Aggregate, FloatField, Q, QuerySet

MEDIAN = 0.5
P90 = 0.9


class PercentileCont(Aggregate):
    """``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`` (PostgreSQL)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)r) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be within [0, 1]")
        super().__init__(expression, fraction=float(fraction), **extra)


def interpolate(ordered: Sequence[float], fraction: float) -> float | None:
    """``percentile_cont`` over values already in ascending order (None for none)."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    first = math.floor(position)
    low = float(ordered[first])
    if first + 1 >= len(ordered):
        return low
    high = float(ordered[first + 1])
    return low + (high - low) * (position - first)


def _in_sql(qs: QuerySet) -> bool:
    return connections[qs.db].vendor == "postgresql"


def percentiles(
    qs: QuerySet, field: str, fractions: Sequence[float] = (MEDIAN, P90), *, where: Q | None = None
) -> list[float | None]:
    """The ``fractions`` of ``field`` over ``qs`` (rows with a NULL ``field`` left out)."""
    qs = qs.filter(**{f"{field}__isnull": False})
    if where is not None:
        qs = qs.filter(where)
    if _in_sql(qs):
        row = qs.order_by().aggregate(
            **{f"p{i}": PercentileCont(field, fraction) for i, fraction in enumerate(fractions)}
        )
        return [row[f"p{i}"] for i in range(len(fractions))]
    return read_and_interpolate(qs, field, fractions)


def read_and_interpolate(
    qs: QuerySet, field: str, fractions: Sequence[float]
) -> list[float | None]:
    """The portable path: the sorted values, interpolated here (SQLite's way)."""
    ordered = list(
        qs.filter(**{f"{field}__isnull": False}).order_by(field).values_list(field, flat=True)
    )
    return [interpolate(ordered, fraction) for fraction in fractions]


def grouped_percentiles(
    qs: QuerySet, group: str, field: str, fractions: Sequence[float] = (MEDIAN, P90)
) -> dict[Any, list[float | None]]:
    """``percentiles`` per value of ``group`` (one query on either database)."""
    qs = qs.filter(**{f"{field}__isnull": False}).order_by()
    if _in_sql(qs):
        rows = qs.values(group).annotate(
            **{f"p{i}": PercentileCont(field, fraction) for i, fraction in enumerate(fractions)}
        )
        return {row[group]: [row[f"p{i}"] for i in range(len(fractions))] for row in rows}
    values: dict[Any, list[float]] = defaultdict(list)
    for key, value in qs.order_by(group, field).values_list(group, field):
        values[key].append(value)
    return {key: [interpolate(v, f) for f in fractions] for key, v in values.items()}
