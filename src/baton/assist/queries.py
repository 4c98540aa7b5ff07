"""Reads of assist: who may see which suggestions, what the manager page shows, and the
published helpers other apps call (``is_thanks`` for SLA, the routing intent reader)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import Count, Q

from baton.agents.models import Role
from baton.assist.classifier import classify_intent, read_model
from baton.assist.intents import INTENTS, Example
from baton.assist.models import IntentCorrection, SuggestionEvent, SuggestionKind
from baton.assist.suggestions import Suggestion, suggest
from baton.conversations.models import CannedResponse, Conversation, Direction, Message
from baton.conversations.queries import access_conversation, managed_team_ids
from baton.core.errors import PermissionDenied

# ``is_thanks`` looks at short messages without a question only: a thank-you is short, and a
# question ("thanks, and where is my order?") needs an answer whatever the model says.
THANKS_MAX_CHARS = 80
_QUESTION = re.compile(r"[?¿？]")


def intent_choices() -> list[tuple[str, str]]:
    return [(intent, intent.replace("_", " ")) for intent in INTENTS]


@lru_cache(maxsize=4096)
def _thanks(text: str, revision: int) -> bool:
    intent, confidence = classify_intent(text, read_model())
    return intent == "thanks_ack" and confidence >= settings.BATON_ASSIST_THANKS_THRESHOLD


def is_thanks(text: str | None) -> bool:
    """Is this customer message a thank-you / acknowledgement that needs no answer?

    For the SLA's "needs no answer" rule, next to its pure ``is_acknowledgement`` (call this
    only when that says no). Safe on the ingest path: it never trains a model (no model
    yet: False), answers from a per-process cache for a text seen before, and classifies
    only short texts without a question mark (a few milliseconds).
    """
    if not text or len(text) > THANKS_MAX_CHARS or _QUESTION.search(text):
        return False
    model = read_model()
    if model is None:
        return False
    return _thanks(text.strip(), model["revision"])


def intent_of_opening_message(conversation: Conversation, message: Message | None) -> str:
    """The routing rules' ``conversation.intent`` at creation (``routing.queries``).

    Runs in the ingest transaction, only when a rule reads the field: one classification
    of the first message (no language detection, no write; the task stores the answer
    after commit). Never trains: with no model yet it answers blank, as without assist.
    """
    if message is None or not message.text.strip():
        return ""
    model = read_model()
    if model is None:
        return ""
    return classify_intent(message.text, model)[0]


def get_corrections() -> list[Example]:
    """Every agent's correction as a training example (the latest per text wins)."""
    rows = IntentCorrection.objects.order_by("id").values_list("text", "to_intent", "language")
    return [Example(text, intent, language) for text, intent, language in rows]


def latest_correction_id() -> int:
    last = IntentCorrection.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def get_latest_customer_text(conversation: Conversation) -> Message | None:
    return (
        Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
        .exclude(text="")
        .order_by("-timestamp", "-id")
        .first()
    )


def may_read_team_replies(user: Any, team_id: int | None) -> bool:
    """Earlier replies are the team's text: only its members, its managers and admins
    read them (an agent who owns another team's conversation, or is offered one, does
    not get that team's answers)."""
    if managed_team_ids(user) is None or team_id is None:
        return True
    return user.memberships.filter(team_id=team_id).exists()


def get_canned_for(user: Any) -> list[tuple[str, str]]:
    teams = list(user.memberships.values_list("team_id", flat=True))
    return list(
        CannedResponse.objects.filter(Q(team__isnull=True) | Q(team_id__in=teams))
        .order_by("shortcut")
        .values_list("title", "text")
    )


def get_suggestions(user: Any, conversation_id: int, k: int = 3) -> list[Suggestion]:
    """Suggestions for the customer's latest message of a conversation ``user`` may see;
    404 for one they may not."""
    conversation = access_conversation(user, conversation_id)
    message = get_latest_customer_text(conversation)
    if message is None:
        return []
    return suggest(
        message.text,
        conversation.team_id,
        get_canned_for(user),
        include_replies=may_read_team_replies(user, conversation.team_id),
        k=k,
    )


def check_manager(user: Any) -> None:
    if not (
        user.is_authenticated and (user.role in (Role.MANAGER, Role.ADMIN) or user.is_superuser)
    ):
        raise PermissionDenied("Only managers see the assist report.")


def get_report(user: Any) -> dict[str, Any]:
    """What /assist/ shows a manager: the model's held-out measurements, corrections and
    the suggestions' acceptance rate (for the teams they manage)."""
    check_manager(user)
    model = read_model()
    managed = managed_team_ids(user)
    events = SuggestionEvent.objects.all()
    corrections = IntentCorrection.objects.all()
    if managed is not None:
        events = events.filter(team_id__in=managed)
        corrections = corrections.filter(conversation__team_id__in=managed)
    counts = events.aggregate(
        shown=Count("id", filter=Q(kind=SuggestionKind.SHOWN)),
        used=Count("id", filter=Q(kind=SuggestionKind.USED)),
    )
    evaluation = model["evaluation"] if model else None
    return {
        "model": model,
        "evaluation": evaluation,
        "per_intent": sorted((evaluation or {}).get("per_intent", {}).items()),
        "per_language": sorted((evaluation or {}).get("per_language", {}).items()),
        "confusions": (evaluation or {}).get("confusions", [])[:10],
        "corrections": corrections.count(),
        "pending_corrections": IntentCorrection.objects.filter(
            id__gt=model.get("last_correction_id", 0) if model else 0
        ).count(),
        "shown": counts["shown"],
        "used": counts["used"],
        "acceptance": (counts["used"] / counts["shown"]) if counts["shown"] else None,
        "llm_configured": bool(settings.BATON_ASSIST_LLM_URL),
    }


def get_draft_history(user: Any, conversation_id: int) -> list[tuple[str, str]]:
    """The customer-visible text of a conversation ``user`` may see, oldest first, for the
    drafting provider (notes and activity stay home)."""
    conversation = access_conversation(user, conversation_id)
    rows = (
        Message.objects.filter(
            conversation=conversation, direction__in=(Direction.INBOUND, Direction.OUTBOUND)
        )
        .exclude(text="")
        .order_by("-timestamp", "-id")
        .values_list("direction", "text")[:12]
    )
    return [
        ("customer" if direction == Direction.INBOUND else "agent", text)
        for direction, text in reversed(rows)
    ]
