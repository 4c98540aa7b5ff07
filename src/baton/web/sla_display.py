"""How a conversation's SLA clocks read in the inbox: the list badge and the header clocks.

Pure: a ``ConversationSla`` row (or None) and ``now`` in, small frozen records out; the
templates only print them. The browser counts the same texts down every second from the
ISO due times (``live.js``, ``formatSla``), so both sides word a duration the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ObjectDoesNotExist

from baton.conversations.models import Conversation
from baton.sla.clock import window_warning
from baton.sla.models import METRICS, OPEN_STATES, ConversationSla, Metric, MetricState
from baton.sla.prediction import format_minutes

LABELS = {metric.value: metric.label for metric in Metric}


def short_duration(seconds: float) -> str:
    """ "45s", "4m", "2h 5m", "13h", "3d" (``live.js`` words it the same way)."""
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        rest = minutes % 60
        return f"{hours}h {rest}m" if rest and hours < 10 else f"{hours}h"
    return f"{hours // 24}d"


def left_or_over(due_at: datetime, now: datetime) -> str:
    """ "4m left" before the deadline, "12m over" after it."""
    seconds = (due_at - now).total_seconds()
    if seconds > 0:
        return f"{short_duration(seconds)} left"
    return f"{short_duration(-seconds)} over"


def clock_time(at: datetime, now: datetime, zone: ZoneInfo) -> str:
    """ "14:30" today (in ``zone``), "Tue 14:30" on another day."""
    local = at.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return local.strftime("%H:%M")
    return local.strftime("%a %H:%M")


def sla_row(conversation: Conversation) -> ConversationSla | None:
    """The conversation's clocks as loaded with it (``select_related("sla")``), or None."""
    try:
        return conversation.sla
    except ObjectDoesNotExist:
        return None


def zone_of(conversation: Conversation) -> ZoneInfo:
    """Times read in the team's zone (people of a team share its shifts), else UTC."""
    team = conversation.team if conversation.team_id else None
    return ZoneInfo(team.time_zone if team is not None else "UTC")


def _predicted_title(row: ConversationSla, due_at: datetime, now: datetime, zone: ZoneInfo) -> str:
    # sla.prediction's words ("predicted to breach in 8 min"), and the instant behind them.
    title = f"predicted to breach in {format_minutes(due_at - now)}"
    if row.predicted_answer_at is not None:
        title += f": likely answered {clock_time(row.predicted_answer_at, now, zone)}"
        title += f", due {clock_time(due_at, now, zone)}"
    return title


# ------------------------------------------------------------------------------------------
# The list badge


@dataclass(frozen=True)
class SlaBadge:
    """One list item's badge: the nearest open deadline (``due_at`` counts down live)."""

    tone: str  # "running" | "warning" | "breached" | "paused" (the colour)
    text: str
    title: str
    due_at: datetime | None = None
    # The nearest clock's own state; a running clock predicted to breach is amber too.
    state: str = ""
    predicted: bool = False


def list_badge(conversation: Conversation, now: datetime) -> SlaBadge | None:
    """The badge of a list item; None when no clock with a target runs."""
    row = sla_row(conversation)
    if row is None:
        return None
    open_clocks = [
        (getattr(row, f"{m}_due_at"), m)
        for m in METRICS
        if row.state_of(m) in OPEN_STATES and getattr(row, f"{m}_due_at") is not None
    ]
    if not open_clocks:
        paused = [m for m in METRICS if row.state_of(m) == MetricState.PAUSED]
        if not paused:
            return None
        title = f"{LABELS[paused[0]]} clock paused"
        return SlaBadge("paused", "paused", title, state=MetricState.PAUSED)
    due_at, metric = min(open_clocks)
    state = row.state_of(metric)
    predicted = row.predicted_to_breach and state == MetricState.RUNNING
    zone = zone_of(conversation)
    title = f"{LABELS[metric]} due {clock_time(due_at, now, zone)}"
    if state == MetricState.BREACHED:
        tone = "breached"
        title = f"{LABELS[metric]} breached (was due {clock_time(due_at, now, zone)})"
    elif state == MetricState.WARNING:
        tone = "warning"
    elif predicted:
        tone = "warning"
        title = f"{title}, {_predicted_title(row, due_at, now, zone)}"
    else:
        tone = "running"
    return SlaBadge(tone, left_or_over(due_at, now), title, due_at, state, predicted)


# ------------------------------------------------------------------------------------------
# The header clocks


@dataclass(frozen=True)
class SlaClock:
    """One metric's clock in the conversation header."""

    metric: str
    label: str
    state: str
    # What is said about it: "due 14:30", "paused", "met in 3m", "missed by 12m".
    text: str
    # Running, warning and breached clocks count down live from here.
    due_at: datetime | None = None
    countdown: str = ""


@dataclass(frozen=True)
class SlaHeader:
    policy: str | None
    clocks: list[SlaClock]
    predicted: str = ""
    window_warning: str = ""


def _clock(row: ConversationSla, metric: str, now: datetime, zone: ZoneInfo) -> SlaClock | None:
    state = row.state_of(metric)
    due = getattr(row, f"{metric}_due_at")
    started = getattr(row, f"{metric}_started_at")
    stopped = getattr(row, f"{metric}_stopped_at")
    label = LABELS[metric]
    if state in OPEN_STATES and due is not None:
        text = f"due {clock_time(due, now, zone)}"
        return SlaClock(metric, label, state, text, due, left_or_over(due, now))
    if state == MetricState.PAUSED:
        return SlaClock(metric, label, state, "paused")
    if state == MetricState.MET and stopped is not None and started is not None:
        took = short_duration((stopped - started).total_seconds())
        return SlaClock(metric, label, state, f"met in {took}")
    if state == MetricState.MISSED and stopped is not None and due is not None:
        late = short_duration((stopped - due).total_seconds())
        return SlaClock(metric, label, state, f"missed by {late}")
    return None


def header_clocks(
    conversation: Conversation, row: ConversationSla | None, now: datetime
) -> SlaHeader | None:
    """Every clock of the conversation's current cycle, or None when none has a target."""
    if row is None:
        return None
    zone = zone_of(conversation)
    clocks = [clock for m in METRICS if (clock := _clock(row, m, now, zone)) is not None]
    if not clocks:
        return None
    running = [c for c in clocks if c.due_at is not None and c.state != MetricState.BREACHED]
    nearest = min((c.due_at for c in running if c.due_at is not None), default=None)
    predicted = ""
    if row.predicted_to_breach and nearest is not None:
        predicted = _predicted_title(row, nearest, now, zone)
    # The nearest deadline that falls after the 24-hour window closes (while it is open).
    warning = ""
    window_ends = conversation.window_ends_at
    if window_ends is not None and window_ends > now:
        for due in sorted(c.due_at for c in running if c.due_at is not None):
            warning = window_warning(due, window_ends, zone) or ""
            if warning:
                break
    policy = row.policy.name if row.policy_id and row.policy else None
    return SlaHeader(policy, clocks, predicted, warning)
