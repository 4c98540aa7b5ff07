"""People and bots who can own conversations, and the teams they work in."""

import hashlib
import secrets
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
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
    max_open_conversations = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Capacity: most open conversations routing gives this agent "
        "(empty = the team's default; a team membership may override it).",
    )
    # Presence timeouts (away after inactivity, offline when every WebSocket is gone) only
    # apply once the agent has connected a browser; NULL = never connected (API-only use).
    last_active_at = models.DateTimeField(null=True, blank=True)
    live_connections = models.PositiveSmallIntegerField(
        default=0, help_text="Open WebSocket connections (maintained by the consumer)."
    )
    # Heartbeats of open tabs (every 30 s). The connection count alone can stay above zero
    # for ever when a server process dies without running its disconnect handlers.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Tie-breaker for least loaded: whoever waited longest since their last assignment.
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_bot(self) -> bool:
        return self.role == Role.BOT

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN)

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class PresenceChange(models.Model):
    """One change of an agent's presence, appended by ``agents.actions.do_set_presence``
    (the manager's shift timeline reads them; ``User.presence`` stays the current value)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="presence_changes")
    presence = models.CharField(max_length=16, choices=Presence.choices)
    previous = models.CharField(max_length=16, choices=Presence.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.previous}->{self.presence} at {self.at:%Y-%m-%d %H:%M}"


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"Unknown time zone {value!r} (use an IANA name).") from exc


class AssignmentStrategy(models.TextChoices):
    LEAST_LOADED = "least_loaded", "Least loaded (most free capacity)"
    ROUND_ROBIN = "round_robin", "Round robin"
    STICKY = "sticky", "Sticky (back to the customer's last agent)"
    MANUAL = "manual", "Manual (queue only)"


class EndOfShift(models.TextChoices):
    KEEP = "keep", "Keep the conversations"
    HAND_OFF = "hand_off", "Hand them off to available teammates"
    RETURN_TO_QUEUE = "return_to_queue", "Return them to the queue"


class OwnerSilentAction(models.TextChoices):
    ALERT_MANAGERS = "alert_managers", "Alert the managers"
    REASSIGN = "reassign", "Reassign to an available teammate"


class Team(models.Model):
    """A group of agents that shares a queue of conversations, and how it is routed."""

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
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Shifts and holidays are read in this zone (IANA name, e.g. Europe/Madrid).",
    )
    assignment_strategy = models.CharField(
        max_length=16, choices=AssignmentStrategy.choices, default=AssignmentStrategy.LEAST_LOADED
    )
    default_capacity = models.PositiveSmallIntegerField(
        default=5, help_text="Most open conversations per agent unless the agent says otherwise."
    )
    sticky_days = models.PositiveSmallIntegerField(
        default=7, help_text="Sticky: a customer returning within this many days goes back."
    )
    end_of_shift = models.CharField(
        max_length=16, choices=EndOfShift.choices, default=EndOfShift.KEEP
    )
    owner_silent_minutes = models.PositiveIntegerField(
        default=0,
        help_text="Alert the owner when a customer waits this long on them; at twice as long "
        "apply the action below (0 = use the stale alert threshold, no action).",
    )
    owner_silent_action = models.CharField(
        max_length=16, choices=OwnerSilentAction.choices, default=OwnerSilentAction.ALERT_MANAGERS
    )
    overflow_after_minutes = models.PositiveIntegerField(
        default=0,
        help_text="A conversation nobody in the team could take for this long overflows "
        "(0 = never).",
    )
    fallback_team = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where overflowing conversations go; without one, managers are alerted.",
    )
    # A flow's name, not a foreign key: flows live in the bots app, above this one.
    on_resolve_flow = models.CharField(
        max_length=120,
        blank=True,
        help_text="When a conversation of this team is resolved, hand it to this bot flow "
        "(e.g. a closing flow asking for a rating). Empty = none.",
    )
    # Round robin's position: the id of the agent who was given the last conversation.
    round_robin_cursor = models.BigIntegerField(default=0)
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
    capacity_override = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Capacity in this team (overrides the agent's own)."
    )
    # Last shift state the boundary scan saw; flipping it (compare-and-set) is what makes
    # "a shift started/ended" happen exactly once.
    on_shift = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Shift(models.Model):
    """A weekly working window of an agent in a team, in the team's time zone.

    An end at or before the start runs past midnight. An agent with no shifts in a team
    is always on shift there (a new installation works without schedules).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="shifts")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["team", "user", "weekday", "start"]
        indexes = [models.Index(fields=["team", "user"])]

    def __str__(self) -> str:
        return f"{self.user} {self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class TimeOff(models.Model):
    """Days off of one agent, or holidays of a whole team (dates in the team's zone)."""

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="time_off"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="holidays"
    )
    first_day = models.DateField()
    last_day = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(team__isnull=False),
                name="time_off_is_for_someone",
            ),
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")),
                name="time_off_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        who = self.user or self.team
        return f"{who} off {self.first_day}..{self.last_day}"


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
