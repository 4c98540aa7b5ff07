"""What SLA does when conversations change: it subscribes, nobody calls it."""

from __future__ import annotations


def register_reactions() -> None:
    pass
