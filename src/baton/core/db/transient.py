"""Telling a database outage from a bad row, and retrying a unit of work through the outage.

A transient error (the connection was lost or terminated, a serialization failure or a
deadlock on PostgreSQL, SQLite's "database is locked") says nothing about the data: the same
transaction may well succeed a moment later. A permanent one (a value too long, a constraint,
a statement PostgreSQL finds too complex) fails the same way every time. Callers that
acknowledge work to someone else (Meta's webhooks) must never confuse the two.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

logger = logging.getLogger("baton.db")

T = TypeVar("T")

# PostgreSQL's class 54 ("program limit exceeded": stack depth, statement too complex) is an
# OperationalError to psycopg, but the same statement will exceed the same limit again.
_PERMANENT_SQLSTATE_CLASSES = ("54",)


def is_transient_error(exc: BaseException) -> bool:
    """Whether retrying the same transaction later may succeed."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    sqlstate = getattr(exc.__cause__, "sqlstate", None) or ""
    return not sqlstate.startswith(_PERMANENT_SQLSTATE_CLASSES)


def run_with_retries(
    work: Callable[[], T],
    *,
    what: str,
    attempts: int = 4,
    first_delay: float = 0.05,
    budget_seconds: float = 5.0,
    using: str = DEFAULT_DB_ALIAS,
) -> T:
    """Run ``work`` (one whole transaction), retrying it while the database errors are transient.

    Between attempts a connection that is no longer usable is closed, so the next attempt
    opens a fresh one. The last transient error is re-raised when ``attempts`` or
    ``budget_seconds`` run out. Inside an enclosing atomic block nothing can be retried (the
    outer transaction is already lost), so the first error is re-raised at once.
    """
    connection = connections[using]
    started = time.monotonic()
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except (OperationalError, InterfaceError) as exc:
            out_of_time = time.monotonic() - started + delay > budget_seconds
            if (
                not is_transient_error(exc)
                or connection.in_atomic_block
                or attempt == attempts
                or out_of_time
            ):
                raise
            logger.warning(
                "%s: transient database error (attempt %d of %d), retrying in %.2fs: %s",
                what,
                attempt,
                attempts,
                delay,
                exc,
            )
            connection.close_if_unusable_or_obsolete()
            time.sleep(delay)
            delay *= 4
    raise AssertionError("unreachable: the loop returns or raises")
