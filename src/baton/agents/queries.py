"""Reads about users and tokens."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from baton.agents.actions import do_record_token_use
from baton.agents.models import ApiToken, Role, Team, User, hash_token


def get_user_for_token(raw_key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw_key), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        do_record_token_use(token.pk, now)
    return token.user


def get_handoff_candidates(owner: User, team: Team | None) -> list[User]:
    """Whom the owner of a conversation of ``team`` may offer it to.

    Agents, whichever their team. Managers and admins can own conversations too (they take
    over, and routing counts them), but a manager's membership of a team is how "manages
    it" is recorded: they are offered only where they also work the team's queue (a plain
    membership, ``is_manager`` off). Bots never own by handoff.
    """
    people = Q(role=Role.AGENT)
    if team is not None:
        # One Q: both membership conditions hold for the same membership row.
        people |= Q(
            role__in=[Role.MANAGER, Role.ADMIN],
            memberships__team=team,
            memberships__is_manager=False,
        )
    return list(
        User.objects.filter(people, is_active=True)
        .exclude(pk=owner.pk)
        .distinct()
        .order_by("display_name", "username")
    )
