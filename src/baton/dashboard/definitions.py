"""What each number of the manager's board counts, as one ``Q`` over ``Conversation``.

The board's aggregates and the inbox filters its numbers link to (``web.queries``) both
build on these, so a number and the list behind it cannot disagree. SLA states are
``sla.models.ConversationSla``'s (maintained by SLA, never recomputed here).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from baton.conversations.lifecycle import OWNED
from baton.conversations.models import ConversationStatus, Handoff, HandoffStatus
from baton.sla.models import Metric, MetricState

# Waiting for a human: in a team's queue, nobody owns it (a bot's conversation is not queued).
QUEUED = Q(status=ConversationStatus.QUEUED, owner__isnull=True)
WITH_BOT = Q(status=ConversationStatus.BOT)
# Open and owned by someone: what counts against capacity (routing's OWNED statuses).
OWNED_OPEN = Q(status__in=OWNED, owner__isnull=False)
# The customer wrote and nobody has answered yet (conversations.waiting_since).
UNANSWERED = Q(waiting_since__isnull=False)


def handoff_waiting() -> Q:
    """Offered to a colleague who has not accepted (or declined) yet."""
    pending = Handoff.objects.filter(conversation=OuterRef("pk"), status=HandoffStatus.PENDING)
    return Q(Exists(pending))


# SLA "now": each open conversation with a clock is counted once, in its worst state
# (breached over warning over running), so the three numbers add up to the conversations
# with a live clock. Paused, met and missed clocks are not "now".
SLA_STATES = ("running", "warning", "breached")


def _any_clock(state: str) -> Q:
    q = Q()
    for metric in Metric:
        q |= Q(**{f"sla__{metric.value}_state": state})
    return q


def sla_now(state: str) -> Q:
    """Conversations whose worst live SLA clock is ``state`` (running, warning, breached)."""
    if state == "breached":
        return _any_clock(MetricState.BREACHED)
    if state == "warning":
        return _any_clock(MetricState.WARNING) & ~_any_clock(MetricState.BREACHED)
    if state == "running":
        return (
            _any_clock(MetricState.RUNNING)
            & ~_any_clock(MetricState.WARNING)
            & ~_any_clock(MetricState.BREACHED)
        )
    raise ValueError(f"unknown SLA state {state!r}")


# SLA's prediction (sla.prediction): likely to be answered after its deadline.
PREDICTED_BREACH = Q(sla__predicted_to_breach=True)


def sla_filter(value: str) -> Q | None:
    """The inbox filter ``sla=<value>``: a state of ``SLA_STATES``, or ``predicted``."""
    if value == "predicted":
        return PREDICTED_BREACH
    if value in SLA_STATES:
        return sla_now(value)
    return None
