"""The optional generative provider: an OpenAI-compatible chat endpoint on the user's own
network (Ollama, llama.cpp's server, vLLM …) that drafts a reply.

Off by default: with ``BATON_ASSIST_LLM_URL`` empty nothing is ever sent anywhere, and the
"Draft a reply" button is not shown. When configured, the conversation's last messages go
to that URL only, and the draft lands in the composer for the agent to read and edit: it
is never sent by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from django.conf import settings

from baton.core.errors import InvalidInput

SYSTEM_PROMPT = (
    "You are helping a customer-service agent answer a WhatsApp conversation. Write one "
    "short, friendly reply to the customer's last message, in the customer's language. "
    "Do not invent order numbers, prices or promises."
)
MAX_MESSAGES = 12


class ProviderError(Exception):
    """The configured endpoint did not answer with a usable draft."""


def is_configured() -> bool:
    return bool(settings.BATON_ASSIST_LLM_URL)


def chat_url() -> str:
    base = settings.BATON_ASSIST_LLM_URL.rstrip("/")
    return base if base.endswith("/chat/completions") else f"{base}/v1/chat/completions"


def build_request(history: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The chat body for ``history``: (``"customer"`` | ``"agent"``, text), oldest first."""
    messages = [{"role": "system", "content": SYSTEM_PROMPT}]
    for who, text in list(history)[-MAX_MESSAGES:]:
        messages.append({"role": "user" if who == "customer" else "assistant", "content": text})
    return {
        "model": settings.BATON_ASSIST_LLM_MODEL,
        "messages": messages,
        "temperature": 0.3,
        "stream": False,
    }


def draft_reply(history: Sequence[tuple[str, str]]) -> str:
    """A draft from the configured provider; ``InvalidInput`` when none is configured."""
    if not is_configured():
        raise InvalidInput("No reply-drafting provider is configured (BATON_ASSIST_LLM_URL).")
    headers = {}
    if settings.BATON_ASSIST_LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.BATON_ASSIST_LLM_API_KEY}"
    try:
        response = httpx.post(
            chat_url(),
            json=build_request(history),
            headers=headers,
            timeout=settings.BATON_ASSIST_LLM_TIMEOUT,
        )
        response.raise_for_status()
        text = response.json()["choices"][0]["message"]["content"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as error:
        raise ProviderError(f"The drafting provider did not answer: {error}") from error
    if not isinstance(text, str) or not text.strip():
        raise ProviderError("The drafting provider answered an empty draft.")
    return text.strip()
