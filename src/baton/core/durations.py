"""Durations in words, for people: "less than a minute", "5 minutes", "2 hours 5 minutes".

One helper for every sentence Baton writes about time waited or allowed (the inbox, the
timeline's reasons), so none of them says "0 minutes". Lists short on room use their own
compact form ("5m", see ``web.templatetags.inbox``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60))


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def human_duration(duration: timedelta | float) -> str:
    """The two largest non-zero units, rounded down: "1 day 3 hours", "2 hours 5 minutes".

    Negative durations (clocks a little apart) read as no time at all.
    """
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else duration
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return "less than a minute"
    parts = []
    for unit, size in _UNITS:
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(_count(amount, unit))
        elif parts:
            break  # "2 hours", not "2 hours 0 minutes"; nor "1 day 5 minutes"
        if len(parts) == 2:
            break
    return " ".join(parts)


def human_since(then: datetime, now: datetime) -> str:
    return human_duration(now - then)
