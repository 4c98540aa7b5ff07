"""Writes for users, teams and API tokens."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from baton.agents.models import ApiToken, Presence, Role, Team, TeamMembership, User, hash_token
from baton.conversations.audit import record_config_change
from baton.core.errors import InvalidInput
from baton.realtime.events import MANAGERS_GROUP, EventType, send_event_on_commit, team_group


def do_create_user(
    username: str,
    role: str,
    *,
    team_name: str | None = None,
    password: str | None = None,
    display_name: str = "",
    actor: User | None = None,
) -> User:
    """Create a user in a team (the default team when none is named).

    A manager created without a team manages every team.
    """
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.")
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise InvalidInput(f"User {username!r} already exists.")
        user = User(username=username, role=role, display_name=display_name)
        user.is_staff = role == Role.ADMIN
        user.is_superuser = role == Role.ADMIN
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        if team_name:
            team, _ = Team.objects.get_or_create(name=team_name)
            teams = [team]
        elif role == Role.MANAGER:
            teams = list(Team.objects.all())
        else:
            teams = list(Team.objects.filter(is_default=True))
        for team in teams:
            TeamMembership.objects.get_or_create(
                team=team, user=user, defaults={"is_manager": role in (Role.MANAGER, Role.ADMIN)}
            )
        record_config_change(
            actor,
            user,
            "created",
            {"role": role, "teams": [team.name for team in teams]},
            teams[0] if len(teams) == 1 else None,
        )
    return user


def do_create_api_token(user: User) -> str:
    """Create a token and return its key; only the hash is stored, so show it once."""
    raw = ApiToken.generate_key()
    ApiToken.objects.create(user=user, key_hash=hash_token(raw), prefix=raw[:8])
    return raw


def do_set_presence(user: User, status: str) -> bool:
    """Set an agent's presence; returns False when it already was ``status``.

    Teammates and managers hear it live (who can take work changes what they see). Routing
    listens to the change too: an agent becoming available may be handed waiting work.
    """
    if status not in Presence.values:
        raise InvalidInput(f"Unknown presence {status!r}; use one of {', '.join(Presence.values)}.")
    if user.is_bot:
        raise InvalidInput("Bots have no presence.")
    now = timezone.now()
    with transaction.atomic():
        changed = (
            User.objects.filter(pk=user.pk)
            .exclude(presence=status)
            .update(presence=status, presence_changed_at=now)
        )
        user.presence = status
        if not changed:
            return False
        user.presence_changed_at = now
        team_ids = list(user.memberships.values_list("team_id", flat=True))
        send_event_on_commit(
            EventType.PRESENCE_CHANGED,
            {"user": {"username": user.username, "name": user.name, "presence": status}},
            [MANAGERS_GROUP, *(team_group(team_id) for team_id in team_ids)],
        )
    return True
