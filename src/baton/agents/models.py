"""People and bots who can own conversations, and the teams they work in."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"
    # A bot is a user that cannot log in; it lets a conversation's single owner
    # reference point at a human or a bot without a second owner column.
    BOT = "bot", "Bot"


class Presence(models.TextChoices):
    AVAILABLE = "available", "Available"
    AWAY = "away", "Away"
    OFFLINE = "offline", "Offline"


class User(AbstractUser):
    """A Baton user: an agent, a manager, an admin, or a bot."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(max_length=150, blank=True)
    # Only an available agent is handed work (routing, reopen to last owner). People start
    # offline: being routed conversations must be something an agent chose.
    presence = models.CharField(max_length=16, choices=Presence.choices, default=Presence.OFFLINE)
    presence_changed_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_bot(self) -> bool:
        return self.role == Role.BOT

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN)

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Team(models.Model):
    """A group of agents that shares a queue of conversations."""

    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(
        default=False, help_text="New conversations and users land here unless told otherwise."
    )
    stale_after_seconds = models.PositiveIntegerField(
        default=300,
        help_text="A customer waiting this long (unassigned, or unanswered by the owner) "
        "raises an alert; twice as long escalates it.",
    )
    handoff_timeout_seconds = models.PositiveIntegerField(
        default=600, help_text="A handoff to an agent not accepted in this time goes back."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_team"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    """A user's place in a team; managers of a team see all of its conversations."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    is_manager = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A key for ``Authorization: Token <key>``; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="First characters, to tell tokens apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def generate_key() -> str:
        return secrets.token_urlsafe(32)
