"""``conversation.intent`` as a routing-rule field: a rule that routes refunds by intent
decides on the first message, in the ingest transaction."""

from __future__ import annotations

import pytest

from baton.agents.models import Team
from baton.conversations.models import Conversation
from baton.routing.conditions import FIELDS, Kind
from baton.routing.queries import get_facts
from tests.conftest import post_webhook
from tests.routing.factories import inbound, make_rule

REFUND = {"field": "conversation.intent", "op": "equals", "value": "refund_return"}


def test_intent_is_a_whitelisted_text_field():
    assert FIELDS["conversation.intent"] == Kind.TEXT


@pytest.mark.usefixtures("trained_model")
def test_a_rule_routes_refunds_by_intent_on_the_first_message(client, inbox):
    refunds = Team.objects.create(name="Refunds")
    make_rule("Refunds by intent", REFUND, {"team": "Refunds"})
    post_webhook(client, inbound(text="quiero que me devuelvan el dinero", wamid="wamid.r1"))
    conversation = Conversation.objects.get()
    assert conversation.team == refunds
    assert conversation.routing_rule.name == "Refunds by intent"


@pytest.mark.usefixtures("trained_model")
def test_other_intents_do_not_match_the_refund_rule(client, inbox):
    Team.objects.create(name="Refunds")
    make_rule("Refunds by intent", REFUND, {"team": "Refunds"})
    post_webhook(client, inbound(text="what time do you open on saturday", wamid="wamid.r2"))
    assert Conversation.objects.get().team.name != "Refunds"


def test_a_stored_intent_is_the_fact(client, inbox, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(intent="complaint")
    conversation.refresh_from_db()
    from django.utils import timezone

    assert get_facts(conversation, None, now=timezone.now())["conversation.intent"] == "complaint"
