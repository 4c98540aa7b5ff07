"""Configuration changes in the append-only audit log (next to ownership changes).

Called inside the transaction of the write it records, so a change and its record commit or
roll back together.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from baton.conversations.models import AuditEvent, EventKind

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
    """The one place a configuration record is written (no conversation, kind CONFIG)."""
    return AuditEvent.objects.create(
        kind=EventKind.CONFIG,
        actor=actor if getattr(actor, "pk", None) else None,
        to_team=team,
        reason=reason[:500],
        data=data,
    )
