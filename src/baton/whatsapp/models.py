"""WhatsApp Business numbers connected to Baton, and webhook items we could not place."""

import re

from django.db import models


class Inbox(models.Model):
    """One WhatsApp Business phone number (Cloud API) that customers write to."""

    name = models.CharField(max_length=100)
    phone_number_id = models.CharField(
        max_length=64,
        unique=True,
        help_text="Meta's stable id of the number; webhooks route on it.",
    )
    display_phone_number = models.CharField(max_length=32, blank=True)
    waba_id = models.CharField("WhatsApp Business Account id", max_length=64, blank=True)
    access_token = models.TextField(help_text="System-user token with whatsapp_business_messaging.")
    default_team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "inboxes"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_phone_number or self.phone_number_id})"


class ReplayOutcome(models.TextChoices):
    STORED = "stored", "Stored"  # something in it was applied by this replay
    DUPLICATE = "duplicate", "Already stored"  # everything in it had been applied before
    FAILED = "failed", "Still cannot be applied"


def describe_replays(counts: dict[ReplayOutcome, int]) -> str:
    """How a batch of replays went, as the command and the admin both say it."""
    return (
        f"{counts[ReplayOutcome.STORED]} stored, {counts[ReplayOutcome.DUPLICATE]} already "
        f"stored, {counts[ReplayOutcome.FAILED]} still failing"
    )


class DeadLetter(models.Model):
    """A webhook item Baton accepted but could not apply; kept so nothing is lost."""

    class Reason(models.TextChoices):
        UNKNOWN_NUMBER = "unknown_number", "Unknown phone number id"
        UNKNOWN_MESSAGE = "unknown_message", "Status for a message Baton did not send"
        PROCESSING_ERROR = "processing_error", "Error while processing"
        UNSUPPORTED_FIELD = "unsupported_field", "Webhook field Baton does not handle"
        API_ERROR = "api_error", "Error reported by WhatsApp"

    reason = models.CharField(max_length=32, choices=Reason.choices)
    detail = models.TextField(blank=True)
    phone_number_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by ``baton deadletters replay`` / the admin action (see actions.do_replay_dead_letter).
    replayed_at = models.DateTimeField(null=True, blank=True)
    replay_count = models.PositiveIntegerField(default=0)
    replay_outcome = models.CharField(
        max_length=16, choices=ReplayOutcome.choices, blank=True, help_text="Of the last replay."
    )
    replay_detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["reason", "created_at"])]

    def __str__(self) -> str:
        return f"{self.reason} {self.phone_number_id} {self.created_at:%Y-%m-%d %H:%M}"


class TemplateStatus(models.TextChoices):
    APPROVED = "approved", "Approved"
    PENDING = "pending", "Pending review"
    REJECTED = "rejected", "Rejected"


class MessageTemplate(models.Model):
    """A message template approved by Meta, offered when the 24-hour window is closed.

    The body keeps Meta's ``{{1}}``, ``{{2}}`` placeholders; the composer asks for one
    value per placeholder, and the Graph API refuses a send whose count does not match.
    """

    name = models.CharField(max_length=512)
    language = models.CharField(max_length=16, default="en_US")
    body = models.TextField(help_text="Body text with {{1}}, {{2}}… placeholders.")
    status = models.CharField(
        max_length=16, choices=TemplateStatus.choices, default=TemplateStatus.APPROVED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(fields=["name", "language"], name="one_template_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def parameter_count(self) -> int:
        return len(set(re.findall(r"\{\{\s*(\d+)\s*\}\}", self.body)))
