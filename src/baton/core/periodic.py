"""What apps contribute to the worker: periodic jobs for its ticker, and clean-ups for
when a worker thread ends.

Each app registers its own in ``AppConfig.ready()``, so ``core.worker`` runs them without
importing any feature app. Every periodic job must be idempotent: several workers may all
tick.
"""

from __future__ import annotations

from collections.abc import Callable

# (every N seconds, job)
PeriodicJob = tuple[float, Callable[[], object]]

_jobs: list[PeriodicJob] = []


def register_periodic_job(every_seconds: float, job: Callable[[], object]) -> None:
    if any(existing == job for _, existing in _jobs):
        return
    _jobs.append((every_seconds, job))


def periodic_jobs() -> list[PeriodicJob]:
    return list(_jobs)


_thread_exit_hooks: list[Callable[[], None]] = []


def register_thread_exit_hook(hook: Callable[[], None]) -> None:
    """``hook()`` runs in a worker thread as it ends (e.g. to close its HTTP client)."""
    if hook not in _thread_exit_hooks:
        _thread_exit_hooks.append(hook)


def thread_exit_hooks() -> list[Callable[[], None]]:
    return list(_thread_exit_hooks)
