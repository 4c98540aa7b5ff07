"""Writes for users, teams and API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from baton.agents.changes import PresenceChanged
from baton.agents.models import (
    ApiToken,
    Presence,
    PresenceChange,
    Role,
    Team,
    TeamMembership,
    User,
    hash_token,
)
from baton.core.changes import announce_config_change
from baton.core.errors import InvalidInput
from baton.core.reactions import dispatch
from baton.realtime.event_types import PresenceChanged as PresenceChangedEvent
from baton.realtime.event_types import PresenceData
from baton.realtime.events import MANAGERS_GROUP, send_event_on_commit, team_group


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
        announce_config_change(
            actor,
            user,
            "created",
            {"role": role, "teams": [team.name for team in teams]},
            teams[0] if len(teams) == 1 else None,
        )
    return user


# ------------------------------------------------------------------------------------------
# Access: each of these also re-scopes or closes the user's open sockets, on commit
# (``agents.signals`` fires for the saves and deletes below, as for the admin's).


def do_deactivate_user(user: User, actor: User | None = None) -> None:
    """The user can no longer sign in, use the API or listen: their open sockets close."""
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        announce_config_change(actor, user, "deactivated", {"is_active": False})


def do_set_role(user: User, role: str, actor: User | None = None) -> None:
    """Change what the user is (agent, manager, admin); admins are superusers, as created."""
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.")
    with transaction.atomic():
        user.role = role
        user.is_staff = user.is_superuser = role == Role.ADMIN
        user.save(update_fields=["role", "is_staff", "is_superuser"])
        announce_config_change(actor, user, "changed", {"role": role})


def do_add_team_member(
    user: User, team: Team, *, is_manager: bool = False, actor: User | None = None
) -> TeamMembership:
    """Put the user in the team (or change whether they manage it)."""
    with transaction.atomic():
        membership, created = TeamMembership.objects.get_or_create(
            team=team, user=user, defaults={"is_manager": is_manager}
        )
        if not created and membership.is_manager != is_manager:
            membership.is_manager = is_manager
            membership.save(update_fields=["is_manager"])
        announce_config_change(
            actor, membership, "created" if created else "changed", {"is_manager": is_manager}, team
        )
    return membership


def do_remove_team_member(user: User, team: Team, actor: User | None = None) -> bool:
    """Take the user out of the team; False if they were not in it. Their conversations
    stay theirs (ownership is not membership); they stop hearing the team's queue."""
    with transaction.atomic():
        membership = TeamMembership.objects.filter(team=team, user=user).first()
        if membership is None:
            return False
        announce_config_change(actor, membership, "deleted", {}, team)
        membership.delete()
    return True


def do_create_api_token(user: User) -> str:
    """Create a token and return its key; only the hash is stored, so show it once."""
    raw = ApiToken.generate_key()
    ApiToken.objects.create(user=user, key_hash=hash_token(raw), prefix=raw[:8])
    return raw


def do_record_token_use(token_id: int, now: datetime) -> None:
    """When a token was last used (kept to the minute: every request must not write)."""
    ApiToken.objects.filter(pk=token_id).update(last_used_at=now)


def do_set_presence(user: User, status: str) -> bool:
    """Set an agent's presence; returns False when it already was ``status``.

    Teammates and managers hear it live (who can take work changes what they see). Routing
    subscribes to ``PresenceChanged``: an agent becoming available may be handed waiting
    work.
    """
    if status not in Presence.values:
        raise InvalidInput(f"Unknown presence {status!r}; use one of {', '.join(Presence.values)}.")
    if user.is_bot:
        raise InvalidInput("Bots have no presence.")
    now = timezone.now()
    with transaction.atomic():
        # The previous value under the row lock (PostgreSQL): the history row must name what
        # this change replaced, not what a concurrent change had already replaced.
        previous = (
            User.objects.select_for_update()
            .filter(pk=user.pk)
            .values_list("presence", flat=True)
            .first()
        )
        changed = (
            User.objects.filter(pk=user.pk)
            .exclude(presence=status)
            .update(presence=status, presence_changed_at=now)
        )
        user.presence = status
        if not changed:
            return False
        user.presence_changed_at = now
        PresenceChange.objects.create(
            user=user, presence=status, previous=previous or Presence.OFFLINE, at=now
        )
        team_ids = list(user.memberships.values_list("team_id", flat=True))
        send_event_on_commit(
            PresenceChangedEvent(
                user=PresenceData(username=user.username, name=user.name, presence=status)
            ),
            [MANAGERS_GROUP, *(team_group(team_id) for team_id in team_ids)],
        )
        dispatch(PresenceChanged(user, status, tuple(team_ids)))
    return True


def do_record_connection(user_id: int, delta: int) -> None:
    """A WebSocket of this user opened (+1) or closed (-1); both count as activity."""
    now = timezone.now()
    User.objects.filter(pk=user_id).update(
        live_connections=Greatest(F("live_connections") + delta, 0),
        last_active_at=now,
        # Never backwards: a later heartbeat may already be recorded.
        last_seen_at=Greatest(Coalesce(F("last_seen_at"), Value(now)), Value(now)),
    )


def do_record_heartbeat(user_id: int, now: datetime | None = None) -> None:
    """An open tab says it is still there (every 30 s; written at most every 20 s)."""
    now = now or timezone.now()
    User.objects.filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - timedelta(seconds=20)),
        pk=user_id,
    ).update(last_seen_at=now)


def do_record_activity(user_id: int, now: datetime | None = None) -> None:
    """A heartbeat from the web app. Written at most every 30 s per user (a conditional
    update: a frequent ping costs one indexed no-op UPDATE, no write)."""
    now = now or timezone.now()
    User.objects.filter(pk=user_id, last_active_at__lt=now - timedelta(seconds=30)).update(
        last_active_at=now
    )
