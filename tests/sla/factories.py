"""Small factories for the SLA configuration tests: conversations through the real webhook,
moved into the past so their clocks breach (``tests.sla.test_flow.backdate``)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from baton.agents.models import Team
from baton.conversations.models import Conversation
from baton.sla.actions import do_create_policy
from baton.sla.models import SlaPolicy
from tests.conftest import post_webhook
from tests.routing.factories import inbound
from tests.sla.test_flow import backdate, refresh


def make_policy(name: str = "Fast", **values) -> SlaPolicy:
    return do_create_policy(None, {"name": name, "first_response_seconds": 60, **values})


def customer_conversation(client, wa_id: str, *, team: Team | None = None) -> Conversation:
    """A customer's first message through the signed webhook; optionally moved to ``team``
    (as a routing rule would have)."""
    response = post_webhook(client, inbound(wa_id=wa_id, wamid=f"wamid.{wa_id}", text="Hello?"))
    assert response.status_code == 200
    conversation = Conversation.objects.get(contact__wa_id=wa_id)
    # The recorded sample is old: open the 24-hour window as if it had just arrived.
    Conversation.objects.filter(pk=conversation.pk).update(
        window_ends_at=timezone.now() + timedelta(hours=24)
    )
    conversation.refresh_from_db()
    if team is not None:
        Conversation.objects.filter(pk=conversation.pk).update(team=team)
        conversation.refresh_from_db()
        refresh(conversation)
    return conversation


def breach(conversation: Conversation, minutes: float = 5) -> None:
    """Move the conversation ``minutes`` into the past and let its clocks catch up."""
    backdate(conversation, minutes)
