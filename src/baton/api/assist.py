"""Assist endpoints of API v1: classify a text, suggestions for a conversation."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from baton.agents.http import AuthenticatedRequest
from baton.api.api import api
from baton.api.schemas import ErrorOut
from baton.assist.classifier import classify
from baton.assist.queries import get_suggestions


class ClassifyIn(Schema):
    text: str = Field(min_length=1, max_length=4096)


class ClassifyOut(Schema):
    intent: str
    confidence: float
    language: str


class SuggestionOut(Schema):
    text: str
    source: str = Field(
        description="reply: an earlier answer of the team; canned: a canned response"
    )
    score: float


class SuggestionPage(Schema):
    items: list[SuggestionOut]


@api.post("/assist/classify", response=ClassifyOut, tags=["assist"])
def classify_text(request: AuthenticatedRequest, payload: ClassifyIn):
    """Intent (``other`` below the confidence threshold) and language of a text, computed
    on this server."""
    prediction = classify(payload.text)
    return {
        "intent": prediction.intent,
        "confidence": round(prediction.confidence, 4),
        "language": prediction.language,
    }


@api.get(
    "/conversations/{conversation_id}/suggestions",
    response={200: SuggestionPage, 404: ErrorOut},
    tags=["assist"],
)
def list_suggestions(request: AuthenticatedRequest, conversation_id: int):
    """Replies for the customer's latest message: the team's earlier answers and canned
    responses (only what the caller may see); inserting one is the agent's choice."""
    items = get_suggestions(request.user, conversation_id)
    return {
        "items": [{"text": s.text, "source": s.source, "score": round(s.score, 3)} for s in items]
    }
