"""/metrics: off unless a token is set, bearer-protected, numbers read at scrape time."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from baton.conversations.models import Direction, Message
from baton.sla.models import SlaRecord
from tests.conftest import post_webhook

TOKEN = "s3cret-metrics-token"


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


@pytest.fixture
def metrics_on(settings):
    settings.BATON_METRICS_TOKEN = TOKEN


def test_off_without_a_token(client, db, settings):
    settings.BATON_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Token {TOKEN}", TOKEN, "Bearer"])
def test_a_bearer_token_is_required(client, db, metrics_on, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"baton_" not in response.content


def test_queue_depth_and_oldest_waiting_per_team(client, world, metrics_on):
    samples = scrape(client)
    assert samples[("baton_queue_depth", (("team", "Support"),))] == 3
    assert samples[("baton_queue_depth", (("team", "Sales"),))] == 2
    assert samples[("baton_oldest_waiting_seconds", (("team", "Support"),))] == pytest.approx(
        600, abs=5
    )


def test_sla_breaches_are_counted_from_the_records(client, world, metrics_on):
    before = scrape(client)[("baton_sla_breaches_total", (("metric", "first_response"),))]
    assert before == 1  # bob's, from the world
    SlaRecord.objects.create(
        conversation=world.sam_conversation,
        cycle=1,
        metric="first_response",
        started_at=world.today,
        kind="breach",
        at=world.today,
    )
    after = scrape(client)[("baton_sla_breaches_total", (("metric", "first_response"),))]
    assert after == 2


def test_outbound_sent_and_failed_from_the_messages(client, world, metrics_on):
    for status in ("sent", "delivered", "read", "failed", "queued"):
        Message.objects.create(
            conversation=world.alice_other,
            direction=Direction.OUTBOUND,
            status=status,
            timestamp=world.today,
        )
    samples = scrape(client)
    assert samples[("baton_outbound_messages_total", (("outcome", "sent"),))] == 3
    assert samples[("baton_outbound_messages_total", (("outcome", "failed"),))] == 1


def test_task_queue_lag(client, db, metrics_on):
    from baton.agents.tasks import expire_presence

    assert scrape(client)[("baton_tasks_ready", ())] == 0
    expire_presence.enqueue()
    samples = scrape(client)
    assert samples[("baton_tasks_ready", ())] == 1
    assert samples[("baton_task_queue_lag_seconds", ())] >= 0


def test_webhook_deliveries_accepted_and_refused(client, db, metrics_on, inbox):
    from tests.routing.factories import inbound

    key = "baton_webhook_deliveries_total"
    before = scrape(client)
    assert post_webhook(client, inbound(wamid="wamid.metrics-1")).status_code == 200
    assert post_webhook(client, b"{}", secret="wrong").status_code == 403
    assert post_webhook(client, b"{}", secret="wrong").status_code == 403
    after = scrape(client)
    assert after[(key, (("outcome", "accepted"),))] - before[(key, (("outcome", "accepted"),))] == 1
    assert after[(key, (("outcome", "refused"),))] - before[(key, (("outcome", "refused"),))] == 2
