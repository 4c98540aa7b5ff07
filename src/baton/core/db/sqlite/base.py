"""Django's SQLite backend, with writers of one process queued on a lock (see package doc)."""

from __future__ import annotations

import threading

from django.db.backends.sqlite3 import base as sqlite_base

_WRITE_LOCK = threading.Lock()


class DatabaseWrapper(sqlite_base.DatabaseWrapper):  # type: ignore[misc]
    """Takes the process-wide writer lock for the span of each transaction."""

    _holds_write_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        _WRITE_LOCK.acquire()
        self._holds_write_lock = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_write_lock()
            raise

    def _set_autocommit(self, autocommit: bool) -> None:
        try:
            super()._set_autocommit(autocommit)  # type: ignore[misc]
        finally:
            # Turning autocommit back on ends the transaction (after commit or rollback).
            if autocommit:
                self._release_write_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _release_write_lock(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            _WRITE_LOCK.release()
