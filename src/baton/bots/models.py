"""Bot flows, their immutable versions, the sessions that run them, and CSAT answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class StartOn(models.TextChoices):
    NEW_CONVERSATION = "new_conversation", "Every new conversation"
    MANUAL = "manual", "Only when a person hands a conversation to it"


class Flow(models.Model):
    """A named bot flow. Its definition lives in versions: editing adds a version, and a
    running session stays on the version it started with."""

    name = models.CharField(max_length=120, unique=True)
    enabled = models.BooleanField(default=True)
    start_on = models.CharField(max_length=32, choices=StartOn.choices, default=StartOn.MANUAL)
    inbox = models.ForeignKey(
        "whatsapp.Inbox",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="bot_flows",
        help_text="Only new conversations of this number (empty: every number).",
    )
    current_version = models.ForeignKey(
        "bots.FlowVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FlowVersion(models.Model):
    """One definition of a flow (``bots.definition.FlowDefinition`` as JSON), never changed
    once written."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["flow", "number"], name="one_number_per_flow_version")
        ]

    def __str__(self) -> str:
        return f"{self.flow_id} v{self.number}"


class SessionState(models.TextChoices):
    ACTIVE = "active", "Running"
    HANDED_OFF = "handed_off", "Handed off to people"
    CLOSED = "closed", "Closed the conversation"
    CANCELLED = "cancelled", "Cancelled (a person took over)"


class BotSession(models.Model):
    """A flow running on one conversation: where it waits, what it collected, the path
    taken. At most one active session per conversation (partial unique index)."""

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="bot_sessions"
    )
    flow_version = models.ForeignKey(FlowVersion, on_delete=models.PROTECT, related_name="+")
    bot = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        max_length=16, choices=SessionState.choices, default=SessionState.ACTIVE
    )
    # The engine's SessionState (bots.engine), column by column.
    step = models.CharField(max_length=64, blank=True, help_text="The step waited on.")
    fields = models.JSONField(default=dict, blank=True)
    path = models.JSONField(default=list, blank=True)
    answers = models.JSONField(default=list, blank=True)
    retries = models.PositiveSmallIntegerField(default=0)
    phase = models.CharField(max_length=16, blank=True)
    pending_score = models.PositiveSmallIntegerField(null=True, blank=True)
    # When the wait on ``step`` times out; the scan (bots.tasks.fire_bot_timeouts) reads it.
    waiting_until = models.DateTimeField(null=True, blank=True, db_index=True)
    end_reason = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(state="active"),
                name="one_active_bot_session_per_conversation",
            )
        ]

    def __str__(self) -> str:
        return f"bot session #{self.conversation_id} {self.state} at {self.step or '-'}"


class CsatResponse(models.Model):
    """A customer's 1-5 rating of a conversation, or a rating not asked (``score`` NULL,
    ``skipped_reason`` says why: window closed, rated recently)."""

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="csat_responses"
    )
    contact = models.ForeignKey(
        "conversations.Contact", on_delete=models.CASCADE, related_name="csat_responses"
    )
    session = models.ForeignKey(
        BotSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    skipped_reason = models.CharField(max_length=200, blank=True)
    # Credited to: the person who last owned the conversation, and every person who held it.
    last_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="csat_responses"
    )
    team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="csat_score_1_to_5",
            )
        ]
        indexes = [models.Index(fields=["contact", "created_at"])]

    def __str__(self) -> str:
        return f"csat #{self.conversation_id} {self.score or 'skipped'}"


class AgentBot(models.Model):
    """An external bot (Rasa, Typebot, your own code): a bot user without a flow whose
    conversations' events Baton POSTs, signed, to ``webhook_url``. It answers through the
    API with the user's token and hands off with ``POST …/handoff`` (docs/agent-bot.md)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_bot"
    )
    webhook_url = models.URLField(max_length=500)
    # The HMAC-SHA256 key of ``X-Baton-Signature-256``; shown once, like an API token.
    secret = models.CharField(max_length=128)
    enabled = models.BooleanField(default=True)
    # Greets new conversations no flow greets (on this inbox, or on every inbox when null).
    greets_new_conversations = models.BooleanField(default=False)
    inbox = models.ForeignKey(
        "whatsapp.Inbox", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"agent bot {self.user.username}"
