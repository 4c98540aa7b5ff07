"""SLA policies, each conversation's live clocks, and the records of what happened to them.

The clocks' meaning is ``sla.clock``'s; these tables keep its answer where the database can
index it: every deadline is a column, and ``next_check_at`` is the earliest instant at which
time alone (no message, no move) changes a state, which is all the scan reads.
"""

from django.db import models
from django.db.models import Q


def match_everything() -> dict:
    return {"all": []}


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"


METRICS = tuple(Metric)


class MetricState(models.TextChoices):
    NONE = "none", "No clock"
    RUNNING = "running", "Running"
    WARNING = "warning", "Due soon"
    PAUSED = "paused", "Paused"
    BREACHED = "breached", "Breached"
    MET = "met", "Met"
    MISSED = "missed", "Missed"


# States in which a deadline is still ahead of the team or already passed, unanswered.
OPEN_STATES = (MetricState.RUNNING, MetricState.WARNING, MetricState.BREACHED)


class SlaPolicy(models.Model):
    """Targets for the conversations its conditions match; the first matching policy (by
    ``position``) applies. Conditions use the routing rules' language (``sla.conditions``)."""

    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=0)
    enabled = models.BooleanField(default=True)
    conditions = models.JSONField(default=match_everything, blank=True)
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    next_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    warn_before_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Warn this long before a deadline (business time)."
    )
    business_hours = models.BooleanField(
        default=False,
        help_text="Clocks run only in the inbox's business hours (else 24/7).",
    )
    pause_resolution_when_pending = models.BooleanField(
        default=True, help_text="Pending and snoozed stop the resolution clock."
    )
    on_warning = models.JSONField(default=list, blank=True)
    on_breach = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name


class ConversationSla(models.Model):
    """The current cycle's clocks of one conversation (one row per conversation that ever
    had a policy). Written only by ``sla.actions``."""

    conversation = models.OneToOneField(
        "conversations.Conversation",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="sla",
    )
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cycle = models.PositiveIntegerField(default=1)
    first_response_state = models.CharField(
        max_length=16, choices=MetricState.choices, default=MetricState.NONE
    )
    first_response_started_at = models.DateTimeField(null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_stopped_at = models.DateTimeField(null=True, blank=True)
    next_response_state = models.CharField(
        max_length=16, choices=MetricState.choices, default=MetricState.NONE
    )
    next_response_started_at = models.DateTimeField(null=True, blank=True)
    next_response_warn_at = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_stopped_at = models.DateTimeField(null=True, blank=True)
    resolution_state = models.CharField(
        max_length=16, choices=MetricState.choices, default=MetricState.NONE
    )
    resolution_started_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_stopped_at = models.DateTimeField(null=True, blank=True)
    # The nearest deadline still ahead of the team or passed unanswered (the "SLA risk"
    # order), and the next instant at which time alone changes a state (the scan's index).
    nearest_due_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    # Predicted breaches (sla.prediction): when this conversation is likely to be answered
    # given its place in the queue and the team's capacity, and whether that is too late.
    predicted_answer_at = models.DateTimeField(null=True, blank=True)
    predicted_to_breach = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "conversation SLA"
        indexes = [
            models.Index(
                fields=["next_check_at"],
                condition=Q(next_check_at__isnull=False),
                name="sla_due_for_a_check",
            ),
            models.Index(
                fields=["nearest_due_at"],
                condition=Q(nearest_due_at__isnull=False),
                name="sla_nearest_deadline",
            ),
            # The rows carrying a prediction: the prediction scan clears those no longer
            # queued without reading every conversation's row.
            models.Index(
                fields=["predicted_answer_at"],
                condition=Q(predicted_answer_at__isnull=False) | Q(predicted_to_breach=True),
                name="sla_with_a_prediction",
            ),
        ]

    def __str__(self) -> str:
        return f"SLA of #{self.conversation_id} cycle {self.cycle}"

    def state_of(self, metric: str) -> str:
        return getattr(self, f"{metric}_state")


class RecordKind(models.TextChoices):
    WARNING = "warning", "Warning"
    BREACH = "breach", "Breach"
    MET = "met", "Met"
    MISSED = "missed", "Missed"
    STOPPED = "stopped", "Stopped (no target)"


OUTCOME_KINDS = (RecordKind.MET, RecordKind.MISSED, RecordKind.STOPPED)


class SlaRecord(models.Model):
    """What happened to one clock run, exactly once each: its warning, its breach, its
    outcome (met or missed; ``stopped`` when no policy set a target). A clock run is
    (conversation, metric, started_at): a next response clock starts again after every
    answered customer message.

    Outcomes are written whether or not a policy applies, so reports read response and
    resolution times from the very records SLA judges: one definition per number.
    ``elapsed_seconds`` is in business time when the policy counts business hours."""

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="sla_records"
    )
    cycle = models.PositiveIntegerField()
    metric = models.CharField(max_length=16, choices=Metric.choices)
    started_at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=RecordKind.choices)
    at = models.DateTimeField(help_text="The warning instant, the due instant, or the stop.")
    due_at = models.DateTimeField(null=True, blank=True)
    elapsed_seconds = models.FloatField(
        null=True, blank=True, help_text="Outcomes: from start to stop (business time if so)."
    )
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    policy_name = models.CharField(max_length=100, blank=True)
    team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        "agents.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "metric", "started_at", "kind"],
                name="sla_record_once_per_clock_run",
            ),
            models.UniqueConstraint(
                fields=["conversation", "metric", "started_at"],
                condition=Q(kind__in=["met", "missed", "stopped"]),
                name="sla_one_outcome_per_clock_run",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "at"]),
            models.Index(fields=["team", "kind", "at"]),
            models.Index(fields=["owner", "kind", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.kind} #{self.conversation_id}"
