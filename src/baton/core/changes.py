"""Change records that any layer may announce (see ``core.reactions``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from baton.core.reactions import dispatch


@dataclass(frozen=True)
class ConfigurationChanged:
    """``actor`` created / changed / deleted ``target`` (a configuration object).

    ``team`` scopes the record so that the team's managers see it; ``values`` are the new
    field values (secrets are masked by whoever records them).
    """

    actor: Any
    target: Any
    change: str
    values: dict[str, Any] = field(default_factory=dict)
    team: Any = None


def announce_config_change(
    actor: Any, target: Any, change: str, values: dict[str, Any] | None = None, team: Any = None
) -> None:
    """Announce a configuration change to its subscribers (the audit log), in this
    transaction."""
    dispatch(ConfigurationChanged(actor, target, change, values or {}, team))
