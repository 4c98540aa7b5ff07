"""Alerts and escalation: nothing goes stale unseen (scans are idempotent).

Customers left waiting raise alerts that escalate and clear (``do_scan_stale_conversations``;
the level policy ``stale_level`` is pure); an owner silent too long loses the conversation to
a teammate (``do_reassign_silent_owner``); a queue nobody in the team could take overflows
to the fallback team or alerts managers (``do_scan_overflow``). SLA breaches are meant to
join here as further alert kinds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from baton.agents.models import OwnerSilentAction, Team, User
from baton.conversations.audit import record_event
from baton.conversations.lifecycle import Action
from baton.conversations.models import (
    Alert,
    AlertKind,
    AuditEvent,
    Conversation,
    ConversationStatus,
    EventKind,
)
from baton.conversations.ownership import apply_move, lock_conversation
from baton.core.durations import human_duration, human_since
from baton.realtime.event_types import build_event
from baton.realtime.events import (
    ADMINS_GROUP,
    MANAGERS_GROUP,
    EventType,
    send_event_on_commit,
    team_managers_group,
    user_group,
)
from baton.routing.actions import Assigner, Waiting, do_assign_waiting, waiting_items
from baton.routing.candidates import queued_in_team

DEFAULT_STALE_AFTER_SECONDS = 300


def stale_level(waited_seconds: float, threshold_seconds: float) -> int:
    """0 = fine, 1 = alert, 2 = escalated (still waiting at twice the threshold)."""
    if waited_seconds >= 2 * threshold_seconds:
        return 2
    if waited_seconds >= threshold_seconds:
        return 1
    return 0


def alert_kind_for(conversation: Conversation) -> AlertKind | None:
    if conversation.waiting_since is None:
        return None
    if conversation.status == ConversationStatus.QUEUED and conversation.owner_id is None:
        return AlertKind.UNASSIGNED_WAITING
    if conversation.status == ConversationStatus.ASSIGNED and conversation.owner_id is not None:
        return AlertKind.OWNER_SILENT
    return None


def threshold_for(conversation: Conversation, kind: AlertKind) -> float:
    """Seconds of waiting before the alert: the team's owner-silent minutes when set (for a
    silent owner), else its stale threshold."""
    team = conversation.team
    if team is None:
        return DEFAULT_STALE_AFTER_SECONDS
    if kind == AlertKind.OWNER_SILENT and team.owner_silent_minutes:
        return team.owner_silent_minutes * 60
    return team.stale_after_seconds


def _reassigns_silent_owner(conversation: Conversation, kind: AlertKind) -> bool:

    team = conversation.team
    return (
        kind == AlertKind.OWNER_SILENT
        and team is not None
        and bool(team.owner_silent_minutes)
        and team.owner_silent_action == OwnerSilentAction.REASSIGN
    )


def _audience(conversation: Conversation) -> list[str]:
    # The managers of the conversation's team (all managers for a team-less one), admins.
    groups = [ADMINS_GROUP]
    groups.append(
        team_managers_group(conversation.team_id) if conversation.team_id else MANAGERS_GROUP
    )
    if conversation.owner_id:
        groups.append(user_group(conversation.owner_id))
    return groups


def notify_alert(
    event: EventType, alert: Alert, conversation: Conversation, groups: list[str] | None = None
) -> None:
    """Tell the owner and managers (or ``groups``) about an alert, after commit."""
    send_event_on_commit(
        build_event(
            event,
            {
                "conversation_id": conversation.pk,
                "alert": {
                    "id": alert.pk,
                    "kind": alert.kind,
                    "level": alert.level,
                    "waiting_since": alert.waiting_since.isoformat(),
                },
            },
        ),
        groups if groups is not None else _audience(conversation),
    )


def record_alert(alert: Alert, conversation: Conversation, reason: str, now: datetime) -> None:
    """The alert's line in the conversation's timeline and the audit log."""
    record_event(
        EventKind.ALERT,
        conversation=conversation,
        from_owner=conversation.owner,
        to_owner=conversation.owner,
        from_status=conversation.status,
        to_status=conversation.status,
        reason=reason,
        data={"alert_id": alert.pk, "kind": alert.kind, "level": alert.level},
        created_at=now,
    )


def do_scan_stale_conversations(now: datetime | None = None) -> int:
    """Raise, escalate and clear alerts. Safe to run any number of times, anywhere."""
    now = now or timezone.now()
    changes = 0
    # Overflow alerts belong to the routing scan (``do_scan_overflow`` below).
    open_alerts = {
        (a.conversation_id, a.kind): a
        for a in Alert.objects.filter(
            cleared_at__isnull=True,
            kind__in=[AlertKind.UNASSIGNED_WAITING, AlertKind.OWNER_SILENT],
        ).select_related("conversation")
    }
    waiting = Conversation.objects.select_related("team").filter(
        waiting_since__isnull=False,
        status__in=[ConversationStatus.QUEUED, ConversationStatus.ASSIGNED],
    )
    still_due: set[tuple[int, str]] = set()
    for conversation in waiting:
        kind = alert_kind_for(conversation)
        if kind is None or conversation.waiting_since is None:
            continue
        level = stale_level(
            (now - conversation.waiting_since).total_seconds(), threshold_for(conversation, kind)
        )
        if level == 0:
            continue
        still_due.add((conversation.pk, kind))
        existing = open_alerts.get((conversation.pk, kind))
        if existing is None:
            raised = _raise(conversation, kind, level, now)
        elif level > existing.level:
            raised = _escalate(existing, conversation, level, now)
        else:
            continue
        changes += raised
        if raised and level == 2 and _reassigns_silent_owner(conversation, kind):
            # The alert stays open on purpose: it is not raised (nor reassigned) again
            # until the customer has been answered.
            do_reassign_silent_owner(conversation.pk, now=now)
    for key, alert in open_alerts.items():
        if key not in still_due and _cause_gone(alert, now):
            changes += _clear(alert, now)
    return changes


def _raise(conversation: Conversation, kind: AlertKind, level: int, now: datetime) -> int:
    assert conversation.waiting_since is not None  # alert_kind_for() checked it
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                conversation=conversation,
                kind=kind,
                level=level,
                waiting_since=conversation.waiting_since,
                created_at=now,
                escalated_at=now if level > 1 else None,
            )
            record_alert(alert, conversation, f"{alert.get_kind_display()} (level {level})", now)
            notify_alert(EventType.ALERT_RAISED, alert, conversation)
    except IntegrityError:
        return 0  # another scanner raised it first: each miss is recorded once
    return 1


def _escalate(alert: Alert, conversation: Conversation, level: int, now: datetime) -> int:
    with transaction.atomic():
        updated = Alert.objects.filter(
            pk=alert.pk, cleared_at__isnull=True, level__lt=level
        ).update(level=level, escalated_at=now)
        if not updated:
            return 0
        alert.level = level
        record_alert(
            alert, conversation, f"{alert.get_kind_display()} escalated (level {level})", now
        )
        notify_alert(EventType.ALERT_RAISED, alert, conversation)
    return 1


def _cause_gone(alert: Alert, now: datetime) -> bool:
    conversation = Conversation.objects.filter(pk=alert.conversation_id).first()
    return conversation is None or alert_kind_for(conversation) != alert.kind


def _clear(alert: Alert, now: datetime) -> int:
    with transaction.atomic():
        updated = Alert.objects.filter(pk=alert.pk, cleared_at__isnull=True).update(cleared_at=now)
        if updated:
            notify_alert(EventType.ALERT_CLEARED, alert, alert.conversation)
    return updated


# ------------------------------------------------------------------------------------------
# Escalation


def do_reassign_silent_owner(conversation_id: int, *, now: datetime | None = None) -> User | None:
    """The owner left a waiting customer unanswered too long: give the conversation to an
    assignable teammate (recorded). None when nobody can take it (managers stay alerted)."""
    now = now or timezone.now()
    waiting_since = (
        Conversation.objects.filter(pk=conversation_id)
        .values_list("waiting_since", flat=True)
        .first()
    )
    if waiting_since is None:
        return None
    return do_reassign_to_teammate(
        conversation_id,
        why=f"owner silent for {human_since(waiting_since, now)}",
        data={"owner_silent": True},
        now=now,
    )


def do_reassign_to_teammate(
    conversation_id: int, *, why: str, data: dict | None = None, now: datetime | None = None
) -> User | None:
    """Give an assigned conversation to an assignable teammate of its owner, through the
    assignment engine (its strategy, shifts and capacity), recorded with ``why``. None when
    nobody can take it or the conversation is not assigned any more."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            Conversation.objects.filter(pk=conversation_id)
            .values_list("team_id", "owner_id", "waiting_since", "created_at")
            .first()
        )
        if row is None:
            return None
        team_id, owner_id, waiting_since, created_at = row
        if team_id is None or owner_id is None:
            return None
        assigner = Assigner(team_id, now)
        pick = assigner.pick_teammate(
            Waiting(conversation_id, None, waiting_since or created_at), owner_id
        )
        if pick is None:
            return None
        conversation = lock_conversation(conversation_id)
        if conversation.owner_id != owner_id or conversation.status != ConversationStatus.ASSIGNED:
            return None
        agent, before = assigner.take(pick)
        reason, explained = assigner.explain(pick, before, "")
        apply_move(
            conversation,
            Action.ASSIGN,
            actor=None,
            kind=EventKind.AUTO_ASSIGNED,
            owner=agent,
            reason=f"{why} → {reason}",
            data={**explained, **(data or {})},
            extra={"last_owner": conversation.owner},
        )
        assigner.finish()
        return agent


def do_scan_overflow(now: datetime | None = None) -> int:
    """Conversations nobody in their team could take within ``overflow_after_minutes``:
    to the fallback team's queue (once per conversation), or an overflow alert to
    managers (once, cleared when the conversation leaves the queue). Idempotent."""
    now = now or timezone.now()
    changes = 0
    for team in Team.objects.filter(overflow_after_minutes__gt=0).select_related("fallback_team"):
        cutoff = now - timedelta(minutes=team.overflow_after_minutes)
        overdue = [w for w in waiting_items(queued_in_team(team.pk)) if w.waiting_key <= cutoff]
        for item in overdue:
            changes += _overflow_one(item, team, now)
        if team.fallback_team_id:
            do_assign_waiting(team.fallback_team_id, now=now)
    for alert in Alert.objects.filter(kind=AlertKind.OVERFLOW, cleared_at__isnull=True):
        conversation = alert.conversation
        if conversation.status != ConversationStatus.QUEUED or conversation.owner_id:
            changes += Alert.objects.filter(pk=alert.pk, cleared_at__isnull=True).update(
                cleared_at=now
            )
    return changes


def _overflow_one(item: Waiting, team: Team, now: datetime) -> int:
    already = AuditEvent.objects.filter(conversation_id=item.id, kind=EventKind.OVERFLOWED).exists()
    with transaction.atomic():
        conversation = lock_conversation(item.id)
        if conversation.status != ConversationStatus.QUEUED or conversation.team_id != team.pk:
            return 0
        fallback = team.fallback_team
        if fallback is not None and not already:
            apply_move(
                conversation,
                Action.OVERFLOW,
                actor=None,
                kind=EventKind.OVERFLOWED,
                team=fallback,
                reason=f"nobody in {team.name} could take it within "
                f"{human_duration(timedelta(minutes=team.overflow_after_minutes))}",
                data={"from_team": team.name, "to_team": fallback.name},
            )
            return 1
        if Alert.objects.filter(
            conversation=conversation, kind=AlertKind.OVERFLOW, cleared_at__isnull=True
        ).exists():
            return 0
        alert = Alert.objects.create(
            conversation=conversation,
            kind=AlertKind.OVERFLOW,
            level=2,
            waiting_since=item.waiting_key,
            created_at=now,
            escalated_at=now,
        )
        record_alert(
            alert,
            conversation,
            f"Overflow: nobody in {team.name} could take it within "
            f"{human_duration(timedelta(minutes=team.overflow_after_minutes))}",
            now,
        )
        notify_alert(
            EventType.ALERT_RAISED,
            alert,
            conversation,
            [ADMINS_GROUP, team_managers_group(team.pk)],
        )
        return 1
