"""Assist's background work: classify one inbound message, keep the model current.

Thin and idempotent: classifying a message twice writes the same answer; a retrain swaps
in a complete file, and one with nothing new to learn does nothing.
"""

from __future__ import annotations

from django_tasks import task

from baton.assist.actions import do_classify_message, do_retrain_model


@task()
def classify_message(message_id: int) -> str:
    return do_classify_message(message_id)


@task()
def refresh_model() -> int:
    """Train when there is no model yet (first start) or agents corrected intents since
    the last training; otherwise only reads (a file stat and one query)."""
    return do_retrain_model()["revision"]
