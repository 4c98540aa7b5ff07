"""The cast of the permission matrices (API and web): one conversation and six callers."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from baton.conversations.models import Conversation
from baton.conversations.ownership import (
    do_claim_conversation,
    do_handoff_conversation,
    do_resolve_conversation,
)
from tests.conftest import load_sample, make_user, meta_bytes, post_webhook

CALLERS = ["anonymous", "owner", "teammate", "other_team", "manager", "admin"]


def make_world(client):
    """Alice (owner) and Bob in Support, Olga in Sales, a manager, an admin, and the
    sample customer's conversation with its 24-hour window open."""
    people = {
        "owner": make_user("alice"),
        "teammate": make_user("bob"),
        "other_team": make_user("olga", team="Sales"),
        "manager": make_user("maria", role="manager"),
        "admin": make_user("root", role="admin"),
    }
    post_webhook(client, meta_bytes(load_sample("inbound_text.json")))
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(
        window_ends_at=timezone.now() + timedelta(hours=24)
    )
    return conversation, people


def prepare(conversation, people, state):
    """queued (as it arrived), owned (by Alice), resolved, or offered (Alice → Bob)."""
    if state in ("owned", "resolved", "offered"):
        do_claim_conversation(conversation.pk, people["owner"])
    if state == "resolved":
        do_resolve_conversation(conversation.pk, people["owner"])
    if state == "offered":
        do_handoff_conversation(
            conversation.pk, people["owner"], to_username="bob", reason="Spanish speaker"
        )
