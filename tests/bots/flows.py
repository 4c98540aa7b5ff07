"""Flow definitions shared by the bot tests (plain data, as a manager would write them)."""

from __future__ import annotations

from typing import Any


def front_desk(**overrides: Any) -> dict[str, Any]:
    """The issue's example: menu → order number → Support, or straight to Sales."""
    flow: dict[str, Any] = {
        "name": "Front desk",
        "start_on": "new_conversation",
        "start": "menu",
        "steps": [
            {
                "id": "menu",
                "type": "message",
                "text": "Hi! What can we do for you?",
                "buttons": [
                    {"id": "track", "title": "Track my order", "next": "order_no"},
                    {"id": "talk", "title": "Talk to us", "next": "to_sales"},
                ],
                "timeout_seconds": 600,
                "on_timeout": "after_silence",
            },
            {
                "id": "order_no",
                "type": "ask",
                "text": "Your order number?",
                "save_as": "order_number",
                "validate": "^[0-9]{4,10}$",
                "retry_text": "Only digits, please.",
                "next": "to_support",
            },
            {
                "id": "to_support",
                "type": "handoff",
                "team": "Support",
                "note": "Order {{order_number}}",
                "text": "Thanks! A colleague takes over for order {{order_number}}.",
            },
            {"id": "to_sales", "type": "handoff", "team": "Sales"},
            {
                "id": "after_silence",
                "type": "branch",
                "branches": [
                    {
                        "when": {"field": "time.within_business_hours", "op": "is_true"},
                        "next": "to_sales",
                    }
                ],
                "default": "closed_for_now",
            },
            {"id": "closed_for_now", "type": "close", "text": "Write again any time!"},
        ],
    }
    flow.update(overrides)
    return flow


def closing(**csat: Any) -> dict[str, Any]:
    """After an agent is done: ask for a rating, then resolve."""
    return {
        "name": "Closing",
        "start_on": "manual",
        "start": "rate",
        "steps": [
            {"id": "rate", "type": "csat", "next": "bye", **csat},
            {"id": "bye", "type": "close", "text": "Have a nice day!"},
        ],
    }
