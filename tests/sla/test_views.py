"""The ``/sla/`` manager pages: permissions, the list in order, create and edit through the
form (minutes in, seconds stored, errors next to their fields), move, enable, delete, the
preview count, and escaping."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from baton.agents.models import Team
from baton.conversations.models import AuditEvent, Conversation, ConversationStatus
from baton.sla.models import SlaPolicy
from baton.sla.policy_queries import get_policy_preview
from tests.conftest import make_user
from tests.routing.factories import queue_conversation
from tests.sla.factories import make_policy

URGENT = {"field": "conversation.priority", "op": "equals", "value": "urgent"}
FORM = {
    "name": "Gold",
    "enabled": "on",
    "first_response_minutes": "2",
    "next_response_minutes": "1.5",
    "resolution_minutes": "",
    "warn_before_minutes": "0.5",
    "pause_resolution_when_pending": "on",
    "conditions": json.dumps(URGENT),
    "on_warning": '[{"action": "notify_owner"}]',
    "on_breach": '[{"action": "set_priority", "priority": "urgent"}]',
}


@pytest.fixture
def policy(db):
    return make_policy("Fast")


@pytest.fixture
def manager_client(client, db):
    client.force_login(make_user("maria", role="manager"))
    return client


PAGES = [
    ("get", "/sla/"),
    ("get", "/sla/new"),
    ("get", "/sla/{id}/"),
    ("post", "/sla/preview"),
    ("post", "/sla/{id}/preview"),
    ("post", "/sla/{id}/move/up"),
    ("post", "/sla/{id}/toggle"),
    ("post", "/sla/{id}/delete"),
]


@pytest.mark.parametrize(("method", "path"), PAGES)
@pytest.mark.parametrize(
    ("caller", "expected"), [("anonymous", 302), ("agent", 403), ("manager", None), ("admin", None)]
)
def test_only_managers_and_admins_reach_the_pages(client, policy, method, path, caller, expected):
    if caller != "anonymous":
        client.force_login(make_user(caller, role=caller))
    response = getattr(client, method)(path.format(id=policy.pk))
    if expected is None:
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            assert "/login" not in response["Location"]
    else:
        assert response.status_code == expected
    if expected == 403:
        assert "You cannot open this page" in response.text  # the app's styled page
        assert "Only managers and admins" in response.text
    assert SlaPolicy.objects.filter(pk=policy.pk, enabled=True).exists() == (
        expected is not None or method == "get" or "preview" in path or "move" in path
    )


def test_a_manager_creates_a_policy_in_minutes_stored_in_seconds(manager_client):
    make_policy("Standard")
    page = manager_client.get("/sla/new")
    assert page.status_code == 200
    assert 'name="first_response_minutes"' in page.text
    response = manager_client.post("/sla/new", FORM)
    assert response.status_code == 302
    assert response["Location"] == "/sla/"
    policy = SlaPolicy.objects.get(name="Gold")
    assert policy.first_response_seconds == 120
    assert policy.next_response_seconds == 90
    assert policy.resolution_seconds is None
    assert policy.warn_before_seconds == 30
    assert policy.conditions == URGENT
    assert policy.on_breach == [{"action": "set_priority", "priority": "urgent"}]
    assert policy.position == SlaPolicy.objects.get(name="Standard").position + 1
    listing = manager_client.get("/sla/")
    assert "Saved “Gold”." in listing.text
    table = listing.text[listing.text.index("<tbody>") :]
    assert table.index("Standard") < table.index("Gold")
    assert "First response: 2 min" in listing.text
    assert "priority urgent" in listing.text
    record = AuditEvent.objects.get(
        kind="config", data__model="sla.SlaPolicy", data__object_id=policy.pk
    )
    assert record.actor.username == "maria"
    assert record.data["change"] == "created"


def test_the_edit_form_shows_minutes_and_saves_changes(manager_client, policy):
    page = manager_client.get(f"/sla/{policy.pk}/")
    assert 'name="first_response_minutes" value="1"' in page.text
    response = manager_client.post(f"/sla/{policy.pk}/", {**FORM, "name": "Fast"})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.first_response_seconds == 120


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        ({"warn_before_minutes": "5"}, "warn_before_minutes", "before the shortest target"),
        (
            {"first_response_minutes": "", "next_response_minutes": ""},
            "first_response_minutes",
            "at least one target",
        ),
        ({"on_breach": '[{"action": "explode"}]'}, "on_breach", "unknown action"),
        ({"conditions": '{"field": "nope", "op": "equals", "value": 1}'}, "conditions", "nope"),
        ({"conditions": "{not json"}, "conditions", "Enter a valid JSON"),
        ({"first_response_minutes": "-1"}, "first_response_minutes", "greater than or equal"),
    ],
)
def test_errors_show_next_to_their_fields(manager_client, change, field, text):
    response = manager_client.post("/sla/new", {**FORM, **change})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    assert any(text in message for message in errors[field])
    assert text in response.text
    assert not SlaPolicy.objects.exists()


def test_a_taken_name_is_shown_on_the_name(manager_client, policy):
    response = manager_client.post("/sla/new", {**FORM, "name": "Fast"})
    assert response.status_code == 400
    assert "name" in response.context["form"].errors


def test_move_toggle_and_delete(manager_client, policy):
    second = make_policy("Second")
    # Equal positions (both created through the action with the default 0) still move.
    SlaPolicy.objects.update(position=0)
    assert manager_client.post(f"/sla/{second.pk}/move/up").status_code == 302
    assert list(SlaPolicy.objects.order_by("position", "id").values_list("name", flat=True)) == [
        "Second",
        "Fast",
    ]
    assert AuditEvent.objects.filter(reason="SLA policy “Second” moved up").exists()
    manager_client.post(f"/sla/{policy.pk}/toggle")
    policy.refresh_from_db()
    assert policy.enabled is False
    assert "Disabled" in manager_client.get("/sla/").text
    response = manager_client.post(f"/sla/{policy.pk}/delete")
    assert response.status_code == 302
    assert not SlaPolicy.objects.filter(pk=policy.pk).exists()
    assert manager_client.post("/sla/999/toggle").status_code == 404
    assert manager_client.post(f"/sla/{second.pk}/move/sideways").status_code == 404


@pytest.fixture
def open_conversations(db):
    """Four open conversations (one urgent, one in Sales) and a resolved urgent one."""
    support = Team.objects.get(is_default=True)
    sales = Team.objects.create(name="Sales")
    now = timezone.now()
    conversations = [
        queue_conversation(support, now, priority=3),
        queue_conversation(support, now),
        queue_conversation(support, now),
        queue_conversation(sales, now),
    ]
    resolved = queue_conversation(support, now, priority=3)
    Conversation.objects.filter(pk=resolved.pk).update(status=ConversationStatus.RESOLVED)
    return conversations


def preview(client, url: str, conditions) -> str:
    response = client.post(url, {"conditions": json.dumps(conditions)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.text


def test_the_preview_counts_with_the_policies_before_it(manager_client, open_conversations):
    urgent = make_policy("Urgent", conditions=URGENT)
    everything = {"all": []}
    # A new policy goes last: the urgent conversation is the first policy's.
    assert "Applies to 3 of the 4 open conversations now" in preview(
        manager_client, "/sla/preview", everything
    )
    sales = {"field": "conversation.team", "op": "equals", "value": "Sales"}
    assert "Applies to 1 of the 4" in preview(manager_client, "/sla/preview", sales)
    assert "Applies to 0 of the 4" in preview(manager_client, "/sla/preview", URGENT)
    # The first policy, as edited: nothing before it.
    assert "Applies to 4 of the 4" in preview(
        manager_client, f"/sla/{urgent.pk}/preview", everything
    )
    assert "Applies to 1 of the 4" in preview(manager_client, f"/sla/{urgent.pk}/preview", URGENT)
    # A policy placed after "everything" gets nothing; a disabled earlier one takes nothing.
    catch_all = make_policy("All")
    later = make_policy("Later")
    assert "Applies to 0 of the 4" in preview(manager_client, f"/sla/{later.pk}/preview", {})
    SlaPolicy.objects.filter(pk=catch_all.pk).update(enabled=False)
    assert "Applies to 3 of the 4" in preview(manager_client, f"/sla/{later.pk}/preview", {})


def test_the_preview_explains_broken_conditions(manager_client, open_conversations):
    response = manager_client.post("/sla/preview", {"conditions": "{oops"})
    assert "Fix the conditions" in response.text
    text = preview(manager_client, "/sla/preview", {"field": "nope", "op": "equals", "value": 1})
    assert "Fix the conditions" in text
    assert "nope" in text


def test_the_preview_counts_at_most_the_latest_open_conversations(open_conversations):
    result = get_policy_preview(SlaPolicy(position=0, conditions={"all": []}), limit=2)
    assert (result.applies, result.looked_at, result.capped) == (2, 2, True)
    result = get_policy_preview(SlaPolicy(position=0, conditions={"all": []}), limit=4)
    assert (result.applies, result.looked_at, result.capped) == (4, 4, False)


def test_the_capped_preview_says_so(manager_client, open_conversations, monkeypatch):
    monkeypatch.setattr("baton.sla.views.PREVIEW_LIMIT", 2)
    text = preview(manager_client, "/sla/preview", {})
    assert "Applies to 2 of the latest 2 open conversations now" in text


def test_names_and_conditions_are_escaped(manager_client):
    make_policy(
        "<script>alert(1)</script>",
        conditions={"field": "contact.attributes.tier", "op": "equals", "value": "<img src=x>"},
    )
    policy = SlaPolicy.objects.get()
    for url in ("/sla/", f"/sla/{policy.pk}/"):
        text = manager_client.get(url).text
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "<img src=x>" not in text


def test_the_inbox_links_managers_to_the_page(client, db, inbox):
    client.force_login(make_user("maria", role="manager"))
    assert 'href="/sla/"' in client.get("/").text
    client.force_login(make_user("alice"))
    assert 'href="/sla/"' not in client.get("/").text
