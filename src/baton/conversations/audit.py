"""The one writer of the append-only audit log: ownership, status and configuration records.

``record_event`` writes every ``AuditEvent`` row (a conversation's timeline activity and the
exportable log alike). It is called inside the transaction of the write it records, so a
change and its record commit or roll back together. Lower layers (``agents``, the admin in
``core``) announce configuration changes as ``core.changes.ConfigurationChanged``; this
module subscribes to them (``ConversationsConfig.ready``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from baton.conversations.models import AuditEvent, EventKind
from baton.core.changes import ConfigurationChanged

# Never copied into the log, even as "changed": secrets stay where they are.
SECRET_FIELDS = frozenset(
    {"password", "password1", "password2", "access_token", "key_hash", "app_secret"}
)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (list, tuple, set)) or hasattr(value, "model"):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool, dict)) or value is None:
        return value
    return str(value)


def describe_changes(values: dict[str, Any]) -> dict[str, Any]:
    """Field → new value, JSON-safe, with secrets masked."""
    return {
        field: ("(changed)" if field in SECRET_FIELDS else _plain(value))
        for field, value in values.items()
    }


def record_event(
    kind: str,
    *,
    conversation: Any = None,
    actor: Any = None,
    from_owner: Any = None,
    to_owner: Any = None,
    to_team: Any = None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> AuditEvent:
    """Append one record to the log (and, with a conversation, to its timeline)."""
    return AuditEvent.objects.create(
        conversation=conversation,
        kind=kind,
        actor=actor,
        from_owner=from_owner,
        to_owner=to_owner,
        to_team=to_team,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        note=note,
        data=data if data is not None else {},
        created_at=created_at or timezone.now(),
    )


def record_config_change(
    actor: Any,
    target: models.Model,
    change: str,
    values: dict[str, Any] | None = None,
    team: Any = None,
) -> AuditEvent:
    """Append "``actor`` ``change`` ``target``" (created / changed / deleted) to the log.

    ``team`` scopes the record so that the team's managers see it in their export.
    """
    label = f"{target._meta.verbose_name} {target}"
    return record_config_event(
        actor,
        f"{change} {label}",
        {
            "model": target._meta.label,
            "object_id": target.pk,
            "object": str(target),
            "change": change,
            "values": describe_changes(values or {}),
        },
        team,
    )


def record_config_event(
    actor: Any, reason: str, data: dict[str, Any], team: Any = None
) -> AuditEvent:
    """A configuration record: no conversation, kind CONFIG."""
    return record_event(
        EventKind.CONFIG,
        actor=actor if getattr(actor, "pk", None) else None,
        to_team=team,
        reason=reason[:500],
        data=data,
    )


def record_announced_config_change(change: ConfigurationChanged) -> None:
    """The subscriber for configuration changes announced by lower layers."""
    record_config_change(change.actor, change.target, change.change, change.values, change.team)
