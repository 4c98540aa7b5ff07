"""Nothing goes stale unseen: alerts for customers left waiting (scanned idempotently)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from baton.conversations.models import (
    Alert,
    AlertKind,
    AuditEvent,
    Conversation,
    ConversationStatus,
    EventKind,
)
from baton.realtime.event_types import build_event
from baton.realtime.events import (
    ADMINS_GROUP,
    MANAGERS_GROUP,
    EventType,
    send_event_on_commit,
    team_managers_group,
    user_group,
)

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
    from baton.agents.models import OwnerSilentAction

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
    AuditEvent.objects.create(
        conversation=conversation,
        kind=EventKind.ALERT,
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
    # Overflow alerts belong to the routing scan (routing.actions.do_scan_overflow).
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
            from baton.routing.actions import do_reassign_silent_owner

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
