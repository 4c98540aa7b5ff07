"""SLA in the Django admin: policies are saved through the configuration actions (validated
like the page and the API, audited); clocks and records are read-only."""

from __future__ import annotations

import pytest

from baton.conversations.models import AuditEvent
from baton.sla.models import SlaPolicy, SlaRecord
from tests.conftest import make_user
from tests.sla.factories import breach, customer_conversation, make_policy

ADD = {
    "name": "Gold",
    "position": "0",
    "enabled": "on",
    "conditions": '{"all": []}',
    "first_response_seconds": "300",
    "next_response_seconds": "",
    "resolution_seconds": "",
    "warn_before_seconds": "60",
    "pause_resolution_when_pending": "on",
    "on_warning": "[]",
    "on_breach": '[{"action": "notify_managers"}]',
}


@pytest.fixture
def admin_client(client, db):
    client.force_login(make_user("root", role="admin"))
    return client


def test_the_admin_lists_policies_with_their_targets(admin_client):
    make_policy("Fast")
    page = admin_client.get("/admin/sla/slapolicy/")
    assert page.status_code == 200
    assert "Fast" in page.text
    assert "column-first_response_seconds" in page.text


def test_adding_a_policy_goes_through_the_action_and_is_audited(admin_client):
    response = admin_client.post("/admin/sla/slapolicy/add/", ADD)
    assert response.status_code == 302, response.content
    policy = SlaPolicy.objects.get()
    assert policy.first_response_seconds == 300
    assert policy.on_breach == [{"action": "notify_managers"}]
    record = AuditEvent.objects.get(kind="config", data__model="sla.SlaPolicy")
    assert record.actor.username == "root"
    assert record.data["change"] == "created"

    change = {**ADD, "first_response_seconds": "120", "warn_before_seconds": ""}
    response = admin_client.post(f"/admin/sla/slapolicy/{policy.pk}/change/", change)
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.first_response_seconds == 120
    assert policy.warn_before_seconds is None
    assert AuditEvent.objects.filter(data__model="sla.SlaPolicy", data__change="changed").exists()

    response = admin_client.post(f"/admin/sla/slapolicy/{policy.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not SlaPolicy.objects.exists()
    assert AuditEvent.objects.filter(data__model="sla.SlaPolicy", data__change="deleted").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"warn_before_seconds": "300"}, "warn_before_seconds"),
        ({"first_response_seconds": ""}, "first_response_seconds"),
        ({"on_breach": '[{"action": "hand_to_team", "team": "Nobody"}]'}, "on_breach"),
        ({"conditions": '{"field": "x", "op": "equals", "value": 1}'}, "conditions"),
    ],
)
def test_the_admin_validates_like_the_page(admin_client, change, field):
    response = admin_client.post("/admin/sla/slapolicy/add/", {**ADD, **change})
    assert response.status_code == 200  # the form again, with its errors
    assert field in response.context["adminform"].form.errors
    assert not SlaPolicy.objects.exists()
    assert not AuditEvent.objects.filter(data__model="sla.SlaPolicy").exists()


def test_clocks_and_records_are_read_only(admin_client, client, inbox):
    make_policy("Fast")
    conversation = customer_conversation(client, "34600000001")
    breach(conversation)
    record = SlaRecord.objects.get(kind="breach")
    assert admin_client.get("/admin/sla/conversationsla/").status_code == 200
    assert admin_client.get("/admin/sla/slarecord/").status_code == 200
    assert admin_client.get("/admin/sla/slarecord/add/").status_code == 403
    view = admin_client.get(f"/admin/sla/slarecord/{record.pk}/change/")
    assert view.status_code == 200
    assert 'name="_save"' not in view.text
    delete = admin_client.post(f"/admin/sla/slarecord/{record.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert SlaRecord.objects.filter(pk=record.pk).exists()
    sla_page = admin_client.get(f"/admin/sla/conversationsla/{conversation.pk}/change/")
    assert sla_page.status_code == 200
    assert 'name="_save"' not in sla_page.text
