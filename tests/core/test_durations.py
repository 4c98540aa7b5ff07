"""Durations in words (``core.durations``): the one helper every sentence about time uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from baton.core.durations import human_duration, human_since


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (-5, "less than a minute"),
        (0, "less than a minute"),
        (59, "less than a minute"),
        (60, "1 minute"),
        (119, "1 minute"),
        (300, "5 minutes"),
        (3599, "59 minutes"),
        (3600, "1 hour"),
        (3660, "1 hour 1 minute"),
        (7500, "2 hours 5 minutes"),
        (7200 + 59, "2 hours"),
        (86400, "1 day"),
        (86400 + 3 * 3600 + 300, "1 day 3 hours"),
        (2 * 86400 + 60, "2 days"),
    ],
)
def test_human_duration(seconds, words):
    assert human_duration(seconds) == words
    assert human_duration(timedelta(seconds=seconds)) == words


def test_human_since():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert human_since(now - timedelta(minutes=5, seconds=10), now) == "5 minutes"
