"""Classification after commit, corrections and retraining, through the real webhook,
the task queue and the pages."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from baton.assist.actions import do_classify_message, do_retrain_model, replaces
from baton.assist.classifier import read_model
from baton.assist.models import IntentCorrection
from baton.conversations.models import AuditEvent, Conversation, EventKind, Message
from tests.conftest import make_user, post_webhook, run_tasks
from tests.routing.factories import inbound

# run_tasks() runs the worker's loop, which commits: these tests need real transactions.
pytestmark = [pytest.mark.usefixtures("trained_model"), pytest.mark.django_db(transaction=True)]


def receive(client, text: str, wamid: str) -> Conversation:
    assert post_webhook(client, inbound(text=text, wamid=wamid)).status_code == 200
    return Conversation.objects.get()


def test_an_inbound_message_is_classified_by_a_task_not_in_the_ingest(client, inbox):
    conversation = receive(client, "olá, quero cancelar o meu pedido por favor", "wamid.a1")
    # The webhook stored the message and queued the task; nothing classified yet.
    assert conversation.intent == ""
    assert DBTaskResult.objects.filter(task_path__endswith="classify_message").count() == 1
    run_tasks()
    conversation.refresh_from_db()
    assert conversation.intent == "cancel_order"
    assert 0 < conversation.intent_confidence <= 1
    assert (conversation.language, conversation.language_detected) == ("pt", True)
    # A classification is not news: no timeline row.
    assert (
        not AuditEvent.objects.filter(conversation=conversation)
        .exclude(kind__in=[EventKind.ROUTED])
        .exclude(kind__startswith="sla")
        .exists()
    )


def test_a_thank_you_does_not_replace_what_the_conversation_is_about(client, inbox):
    receive(client, "my package is stuck in customs for a week", "wamid.b1")
    run_tasks()
    receive(client, "thanks!", "wamid.b2")
    run_tasks()
    assert Conversation.objects.get().intent == "shipping_delivery"
    assert replaces("", "greeting")
    assert replaces("greeting", "order_status")
    assert not replaces("order_status", "thanks_ack")


def test_a_language_someone_set_is_kept(client, inbox):
    conversation = receive(client, "bonjour, je veux annuler ma commande", "wamid.c1")
    Conversation.objects.filter(pk=conversation.pk).update(language="es")
    run_tasks()
    conversation.refresh_from_db()
    assert (conversation.language, conversation.language_detected) == ("es", False)


def test_an_agent_corrects_the_intent_once_recorded_and_it_stands(client, inbox):
    conversation = receive(client, "the app keeps crashing when I pay", "wamid.d1")
    run_tasks()
    agent = make_user("alice", team="Support")
    client.force_login(agent)
    url = f"/assist/conversations/{conversation.pk}/intent"
    response = client.post(url, {"intent": "payment_billing"})
    assert response.status_code == 200
    assert 'value="payment_billing" selected' in response.content.decode()
    correction = IntentCorrection.objects.get()
    assert (correction.to_intent, correction.corrected_by) == ("payment_billing", agent)
    assert correction.text == "the app keeps crashing when I pay"
    events = AuditEvent.objects.filter(conversation=conversation, kind=EventKind.INTENT_CORRECTED)
    assert [(e.actor, e.data["to"]) for e in events] == [(agent, "payment_billing")]
    # Said again: nothing new. A later classification does not overwrite the agent.
    client.post(url, {"intent": "payment_billing"})
    assert IntentCorrection.objects.count() == 1
    message = Message.objects.get(conversation=conversation)
    do_classify_message(message.pk)
    conversation.refresh_from_db()
    assert (conversation.intent, conversation.intent_confidence) == ("payment_billing", 1.0)
    assert client.post(url, {"intent": "nonsense"}).status_code == 422


def test_an_agent_of_another_team_cannot_correct(client, inbox):
    from baton.agents.models import Team

    conversation = receive(client, "where is my order", "wamid.e1")
    Conversation.objects.filter(pk=conversation.pk).update(team=Team.objects.create(name="Private"))
    client.force_login(make_user("bob", team="Support"))
    response = client.post(f"/assist/conversations/{conversation.pk}/intent", {"intent": "other"})
    assert response.status_code == 404
    assert not IntentCorrection.objects.exists()


def test_corrections_retrain_the_model_and_swap_the_file(client, inbox, trained_model):
    conversation = receive(client, "zorblax frimp quux", "wamid.f1")
    agent = make_user("alice", team="Support")
    client.force_login(agent)
    before = read_model()
    assert do_retrain_model()["revision"] == before["revision"]  # nothing new: no training
    client.post(f"/assist/conversations/{conversation.pk}/intent", {"intent": "complaint"})
    # The periodic refresh (what the worker's ticker enqueues) learns it.
    from baton.assist.tasks import refresh_model

    refresh_model.enqueue()
    run_tasks()
    after = read_model()
    assert after["revision"] == before["revision"] + 1
    assert after["corrections"] == 1
    assert after["last_correction_id"] == IntentCorrection.objects.get().pk
    from baton.assist.classifier import classify_intent

    assert classify_intent("zorblax frimp quux", after)[0] == "complaint"
