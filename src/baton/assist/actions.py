"""Every write of assist: a message's classification, an agent's correction, a retrain, and
the suggestions' use.

A classification is not news: it updates the conversation's ``intent``,
``intent_confidence`` and (when assist may) ``language`` with a conditional update and
records nothing (no timeline row, no event) — a row per message would drown the timeline.
A correction is a person's decision: it writes the correction, one audit record and the
live event; the model learns it at the next retrain.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef

from baton.assist.classifier import classify, read_model, train_model
from baton.assist.intents import INTENTS, OTHER
from baton.assist.models import IntentCorrection, SuggestionEvent, SuggestionKind
from baton.assist.queries import (
    get_corrections,
    get_latest_customer_text,
    latest_correction_id,
)
from baton.conversations.audit import record_event
from baton.conversations.models import Conversation, Direction, EventKind, Message
from baton.conversations.notify import notify_conversation
from baton.conversations.ownership import lock_conversation
from baton.conversations.queries import access_conversation
from baton.core.errors import InvalidInput
from baton.realtime.event_types import EventType

# Intents that say little about what the conversation is for: they never replace one that
# does ("hi" then "where is my order" then "thanks" stays order_status).
WEAK_INTENTS = frozenset({"greeting", "thanks_ack", OTHER})


def replaces(current: str, new: str) -> bool:
    """May the intent of a newer message replace the conversation's current one?"""
    return not current or new not in WEAK_INTENTS or current in WEAK_INTENTS


def do_classify_message(message_id: int) -> str:
    """Classify an inbound message and keep the answer on its conversation.

    The model runs outside any transaction (milliseconds of CPU, no lock held). The update
    is conditional: no later customer message was classified in between (``Exists`` on a
    newer inbound message), and an agent's correction stands (no classification overwrites
    a conversation with a correction).
    """
    message = (
        Message.objects.select_related("conversation")
        .filter(pk=message_id, direction=Direction.INBOUND)
        .first()
    )
    if message is None or not message.text.strip():
        return ""
    if not settings.BATON_ASSIST_AUTOTRAIN and read_model() is None:
        return ""  # no model yet, and training is left to `baton assist train`
    prediction = classify(message.text)
    conversation = message.conversation
    fields: dict[str, Any] = {}
    if replaces(conversation.intent, prediction.intent):
        fields.update(intent=prediction.intent, intent_confidence=prediction.confidence)
    if (
        prediction.language
        and prediction.language_confidence >= settings.BATON_ASSIST_LANGUAGE_THRESHOLD
        and (not conversation.language or conversation.language_detected)
    ):
        fields.update(language=prediction.language, language_detected=True)
    if not fields:
        return prediction.intent
    newer = Message.objects.filter(
        conversation=OuterRef("pk"), direction=Direction.INBOUND, id__gt=message.pk
    ).exclude(text="")
    corrected = IntentCorrection.objects.filter(conversation=OuterRef("pk"))
    qs = Conversation.objects.filter(pk=conversation.pk).exclude(Exists(newer))
    if "intent" in fields:
        # The language may still follow a conversation whose intent an agent corrected.
        if qs.filter(~Exists(corrected)).update(**fields):
            return prediction.intent
        fields.pop("intent"), fields.pop("intent_confidence")
    if fields:
        qs.update(**fields)
    return prediction.intent


def do_correct_intent(user: Any, conversation_id: int, intent: str) -> Conversation:
    """An agent who may see the conversation says what its intent really is.

    Stores the customer's latest message with the right intent (a training example), sets
    the conversation's intent (confidence 1: a person said so) and writes one audit
    record. The worker's periodic ``refresh_model`` retrains within a minute (a burst of
    corrections trains once).
    """
    if intent not in INTENTS:
        raise InvalidInput(f"Unknown intent {intent!r}.")
    access_conversation(user, conversation_id)
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        previous = conversation.intent
        if (
            previous == intent
            and IntentCorrection.objects.filter(
                conversation=conversation, to_intent=intent
            ).exists()
        ):
            return conversation  # said already: nothing happened, nothing is recorded
        message = get_latest_customer_text(conversation)
        IntentCorrection.objects.create(
            conversation=conversation,
            message=message,
            text=message.text if message is not None else "",
            language=conversation.language,
            from_intent=previous,
            to_intent=intent,
            corrected_by=user,
        )
        Conversation.objects.filter(pk=conversation.pk).update(intent=intent, intent_confidence=1.0)
        conversation.intent, conversation.intent_confidence = intent, 1.0
        record_event(
            EventKind.INTENT_CORRECTED,
            conversation=conversation,
            actor=user,
            reason=f"{previous or 'none'} → {intent}",
            data={"from": previous, "to": intent},
        )
        notify_conversation(conversation, EventType.CONVERSATION_UPDATED)
    return conversation


def do_retrain_model(force: bool = False) -> dict[str, Any]:
    """Train on the seed set and every correction and swap the model file in; nothing when
    the current model already saw the latest correction (unless ``force``)."""
    last = latest_correction_id()
    model = read_model()
    if model is None and not force and not settings.BATON_ASSIST_AUTOTRAIN:
        return {"revision": 0}
    if model is not None and not force and model.get("last_correction_id", 0) >= last:
        return model
    return train_model([e for e in get_corrections() if e.text.strip()], last)


def do_record_suggestions(
    user: Any, conversation: Conversation, kind: str, source: str = ""
) -> None:
    """Suggestions were shown to ``user``, or one (of ``source``) was inserted."""
    if kind not in SuggestionKind.values:
        raise InvalidInput(f"Unknown suggestion event {kind!r}.")
    SuggestionEvent.objects.create(
        conversation=conversation, user=user, team_id=conversation.team_id, kind=kind, source=source
    )
