"""Median and p90: percentile_cont's definition, and the same answer on both databases."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baton.dashboard.percentiles import (
    grouped_percentiles,
    interpolate,
    percentiles,
    read_and_interpolate,
)
from baton.sla.models import SlaRecord
from tests.dashboard.world import build_world


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 0.5, None),
        ([7], 0.5, 7),
        ([7], 0.9, 7),
        ([1, 2], 0.5, 1.5),
        ([1, 2, 3, 4], 0.5, 2.5),
        ([30, 60, 300, 600], 0.9, 510),  # position 2.7
        ([10, 20, 30], 0.0, 10),
        ([10, 20, 30], 1.0, 30),
    ],
)
def test_interpolate_is_percentile_cont(values, fraction, expected):
    assert interpolate(values, fraction) == (None if expected is None else pytest.approx(expected))


@pytest.mark.django_db
def test_the_database_path_and_the_portable_path_agree():
    """On PostgreSQL this compares percentile_cont with the portable reading; on SQLite
    both calls take the portable path, and the literal figures of test_reports agree."""
    world = build_world()
    rng = random.Random(12)
    conversation = world.conversations["c2"]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(257):
        SlaRecord.objects.create(
            conversation=conversation,
            cycle=1,
            metric="next_response",
            kind="met",
            started_at=start + timedelta(minutes=i),
            at=start + timedelta(minutes=i, seconds=5),
            elapsed_seconds=round(rng.lognormvariate(5, 1.5), 3),
            team=world.support,
            owner=rng.choice([world.alice, world.bob]),
        )
    qs = SlaRecord.objects.filter(metric="next_response", at__lt=datetime(2025, 2, 1, tzinfo=UTC))
    fractions = (0.5, 0.9, 0.99)
    in_database = percentiles(qs, "elapsed_seconds", fractions)
    portable = read_and_interpolate(qs, "elapsed_seconds", fractions)
    assert in_database == pytest.approx(portable, rel=1e-12)
    grouped = grouped_percentiles(qs, "owner_id", "elapsed_seconds", fractions)
    for owner_id, values in grouped.items():
        assert values == pytest.approx(
            read_and_interpolate(qs.filter(owner_id=owner_id), "elapsed_seconds", fractions),
            rel=1e-12,
        )
    assert set(grouped) == {world.alice.pk, world.bob.pk}


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_computes_them_in_sql():
    world = build_world()
    qs = SlaRecord.objects.filter(team=world.support, kind="met")
    with CaptureQueriesContext(connection) as queries:
        percentiles(qs, "elapsed_seconds")
    assert len(queries) == 1
    assert "percentile_cont" in queries[0]["sql"]
