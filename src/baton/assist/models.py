"""What assist keeps in the database: agents' corrections and the suggestions' use.

The intent model itself is a file (``assist.classifier``); a conversation's intent is a
column of ``conversations.Conversation``.
"""

from django.conf import settings
from django.db import models


class IntentCorrection(models.Model):
    """An agent said a conversation's intent was wrong: the message text and the intent it
    should have had, a training example for the next retrain."""

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(
        "conversations.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    language = models.CharField(max_length=16, blank=True)
    from_intent = models.CharField(max_length=32, blank=True)
    to_intent = models.CharField(max_length=32)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["conversation"])]

    def __str__(self) -> str:
        return f"{self.from_intent or '—'} → {self.to_intent}"


class SuggestionKind(models.TextChoices):
    SHOWN = "shown", "Shown"
    USED = "used", "Used"


class SuggestionEvent(models.Model):
    """Suggestion chips were shown to an agent, or one was inserted into the composer: the
    acceptance rate on /assist/ is used ÷ shown."""

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=SuggestionKind.choices)
    source = models.CharField(max_length=16, blank=True)  # "reply" | "canned" | "draft"
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["team", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.source}"
