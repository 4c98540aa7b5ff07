"""Routing rules (stored as data, evaluated by ``routing.conditions``) and business hours."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce


def match_everything() -> dict:
    return {"all": []}


class RoutingRule(models.Model):
    """One ordered rule: when ``conditions`` match a new conversation, apply ``actions``.

    The inbox's own rules are tried first (by ``position``), then the rules for every inbox
    (``inbox`` NULL); the first enabled rule that matches wins. ``conditions`` and
    ``actions`` are validated by ``routing.conditions`` on every save path (actions, forms,
    admin, API), never trusted at evaluation time.
    """

    inbox = models.ForeignKey(
        "whatsapp.Inbox",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
        help_text="Empty: the rule applies to every inbox, after that inbox's own rules.",
    )
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    conditions = models.JSONField(default=match_everything)
    actions = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["inbox_id", "position", "id"]
        indexes = [models.Index(fields=["inbox", "position"])]

    def __str__(self) -> str:
        return self.name


class BusinessHours(models.Model):
    """When an inbox is open, in its own time zone; the row without inbox is the default.

    ``weekly`` maps ``mon`` … ``sun`` to a list of ``["HH:MM", "HH:MM"]`` open intervals
    (end exclusive, ``24:00`` allowed); ``holidays`` lists ``YYYY-MM-DD`` local dates on which
    the inbox is closed all day.
    """

    inbox = models.ForeignKey(
        "whatsapp.Inbox",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty: the default for inboxes without their own hours.",
    )
    time_zone = models.CharField(max_length=64, default="UTC", help_text="e.g. Europe/Berlin")
    weekly = models.JSONField(default=dict, blank=True)
    holidays = models.JSONField(default=list, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "business hours"
        constraints = [
            # One row per inbox and one default row (NULL inbox counts as inbox 0 here,
            # because a plain unique constraint lets any number of NULLs through).
            models.UniqueConstraint(Coalesce("inbox", 0), name="one_business_hours_per_inbox")
        ]

    def __str__(self) -> str:
        return f"Business hours ({self.inbox_id or 'default'}, {self.time_zone})"
