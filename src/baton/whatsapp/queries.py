"""Reads for the WhatsApp channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import QuerySet

from baton.whatsapp.models import DeadLetter, ReplayOutcome

# A letter whose last replay applied everything it holds needs no further replay.
RESOLVED_OUTCOMES = (ReplayOutcome.STORED, ReplayOutcome.DUPLICATE)


def get_dead_letters(
    *,
    ids: Sequence[int] = (),
    reasons: Sequence[str] = (),
    since: datetime | None = None,
    unresolved_only: bool = False,
) -> QuerySet[DeadLetter]:
    """Dead letters, oldest first (the order they are best replayed in)."""
    letters = DeadLetter.objects.order_by("created_at", "pk")
    if ids:
        letters = letters.filter(pk__in=ids)
    if reasons:
        letters = letters.filter(reason__in=reasons)
    if since is not None:
        letters = letters.filter(created_at__gte=since)
    if unresolved_only:
        letters = letters.exclude(replay_outcome__in=RESOLVED_OUTCOMES)
    return letters
