"""Change records the agents app announces (see ``core.reactions``)."""

from __future__ import annotations

from dataclasses import dataclass

from baton.agents.models import User


@dataclass(frozen=True)
class PresenceChanged:
    """An agent's presence changed; ``team_ids`` are the teams they belong to."""

    user: User
    presence: str
    team_ids: tuple[int, ...]
