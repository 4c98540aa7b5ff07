"""Store the breach predictions on ``ConversationSla`` (a write module, like ``actions.py``).

``do_predict_breaches`` runs from the SLA scan (every few seconds). It is idempotent and
cheap: a constant number of queries per team with a queue (``sla.capacity``), one read of
the rows that carry a prediction now (a partial index), and bulk updates of only the rows
whose prediction changed. A predicted answer instant that moved by less than a minute, or
less than a fifth of the time still to wait for it, is left as stored: the estimate drifts
at every tick (the hold time, the clock), and rewriting thousands of rows every five
seconds for a pickup two hours away would buy nothing the badge shows (the badge reads the
breach flag, which is always rewritten when it flips).

Predictions are derived data, not a domain change: nothing goes to the audit log. The
badge's words are ``sla.prediction.describe``'s.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from baton.agents.models import Team
from baton.conversations.models import Conversation, ConversationStatus
from baton.conversations.notify import conversation_audience
from baton.realtime.event_types import SlaChanged, SlaData
from baton.realtime.events import send_event_on_commit
from baton.sla.capacity import capacity_of, queue_rows, recent_hold_times
from baton.sla.models import ConversationSla
from baton.sla.prediction import predict_answers
from baton.sla.queries import sla_dict

ANSWER_TOLERANCE = timedelta(seconds=60)
RELATIVE_TOLERANCE = 0.2
BATCH = 500
FIELDS = ["predicted_answer_at", "predicted_to_breach"]


def do_predict_breaches(now: datetime | None = None) -> int:
    """Predict the pickup of every conversation waiting in a team's queue and store it
    (``predicted_answer_at``, ``predicted_to_breach``); clear the prediction of conversations
    no longer queued. Returns how many rows changed."""
    now = now or timezone.now()
    wanted: dict[int, tuple[datetime | None, bool]] = {}
    team_ids = list(
        Conversation.objects.filter(
            status=ConversationStatus.QUEUED, owner__isnull=True, team__isnull=False
        )
        .values_list("team_id", flat=True)
        .distinct()
        .order_by()
    )
    holds = recent_hold_times(team_ids, now)
    for team in Team.objects.filter(pk__in=team_ids):
        capacity = capacity_of(team, now, holds.get(team.pk))
        rows = queue_rows(team.pk)
        predictions = predict_answers([item for item, _ in rows], capacity, now)
        for prediction, (_, has_sla) in zip(predictions, rows, strict=True):
            if has_sla:  # the others hold their place in the queue, with nowhere to store
                wanted[prediction.conversation_id] = (
                    prediction.answer_at,
                    prediction.predicted_to_breach,
                )
    stored = {
        pk: (answer_at, breach)
        for pk, answer_at, breach in ConversationSla.objects.filter(
            Q(predicted_answer_at__isnull=False) | Q(predicted_to_breach=True)
        ).values_list("pk", "predicted_answer_at", "predicted_to_breach")
    }
    changed = [
        ConversationSla(pk=pk, predicted_answer_at=answer_at, predicted_to_breach=breach)
        for pk, (answer_at, breach) in wanted.items()
        if _differs(stored.get(pk, (None, False)), (answer_at, breach), now)
    ]
    gone = sorted(stored.keys() - wanted.keys())
    if not changed and not gone:
        return 0
    # Whose badge turns amber (or back): they hear it live; a moved estimate alone is quiet.
    flipped = [
        row.pk for row in changed if row.predicted_to_breach != stored.get(row.pk, (None, False))[1]
    ] + [pk for pk in gone if stored[pk][1]]
    with transaction.atomic():
        count = ConversationSla.objects.bulk_update(changed, FIELDS, batch_size=BATCH)
        for start in range(0, len(gone), BATCH):
            count += ConversationSla.objects.filter(pk__in=gone[start : start + BATCH]).update(
                predicted_answer_at=None, predicted_to_breach=False
            )
        _announce(flipped)
    return count


def _announce(conversation_ids: list[int]) -> None:
    for start in range(0, len(conversation_ids), BATCH):
        rows = ConversationSla.objects.select_related(
            "policy", "conversation__team", "conversation__owner"
        ).filter(pk__in=conversation_ids[start : start + BATCH])
        for row in rows:
            data = sla_dict(row, row.policy.name if row.policy else None)
            send_event_on_commit(
                SlaChanged(conversation_id=row.pk, sla=SlaData.model_validate(data)),
                conversation_audience(row.conversation),
            )


def _differs(
    old: tuple[datetime | None, bool], new: tuple[datetime | None, bool], now: datetime
) -> bool:
    (old_at, old_breach), (new_at, new_breach) = old, new
    if old_breach != new_breach or (old_at is None) != (new_at is None):
        return True
    if old_at is None or new_at is None:
        return False
    tolerance = max(ANSWER_TOLERANCE, (min(old_at, new_at) - now) * RELATIVE_TOLERANCE)
    return abs(new_at - old_at) >= tolerance
