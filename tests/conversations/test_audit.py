"""Configuration changes are audited like ownership changes; the admin cannot bypass actions."""

from __future__ import annotations

import pytest

from baton.agents.models import Team
from baton.conversations.models import AuditEvent, Conversation
from tests.conftest import make_user


def config_events():
    return list(AuditEvent.objects.filter(kind="config").order_by("id"))


@pytest.fixture
def admin_client(client, db):
    root = make_user("root", role="admin")
    client.force_login(root)
    return client


def test_creating_a_user_is_recorded(db):
    make_user("alice", team="Sales")
    [event] = config_events()
    assert event.reason == "created user alice"
    assert event.data["values"] == {"role": "agent", "teams": ["Sales"]}
    assert event.to_team.name == "Sales"


def team_form(team: Team, **changes) -> dict:
    """The admin's change form for ``team`` as a browser would post it, with ``changes``."""
    from django.forms.models import model_to_dict

    data = {k: v for k, v in model_to_dict(team).items() if v is not None and v is not False}
    if team.is_default:
        data["is_default"] = "on"
    data.update(changes)
    for prefix in ("memberships", "shifts", "holidays"):
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    return data


def test_admin_team_edit_is_recorded_with_the_changed_values(admin_client):
    team = Team.objects.get(is_default=True)
    response = admin_client.post(
        f"/admin/agents/team/{team.pk}/change/", team_form(team, stale_after_seconds="120")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = config_events()[-1]
    assert (event.actor.username, event.reason) == ("root", "changed team Support")
    assert event.data["values"] == {"stale_after_seconds": 120}
    assert event.to_team == team


def test_admin_deleting_a_team_is_recorded(admin_client):
    team = Team.objects.create(name="Night shift")
    response = admin_client.post(f"/admin/agents/team/{team.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert config_events()[-1].reason == "deleted team Night shift"


def test_admin_user_password_is_never_logged(admin_client):
    response = admin_client.post(
        "/admin/agents/user/add/",
        {
            "username": "newbie",
            "password1": "a-long-Secret-123",
            "password2": "a-long-Secret-123",
            "usable_password": "true",
            **{
                f"{prefix}-{count}": "0"
                for prefix in ("memberships", "shifts", "time_off")
                for count in ("TOTAL_FORMS", "INITIAL_FORMS")
            },
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = config_events()[-1]
    assert event.reason == "created user newbie"
    assert "a-long-Secret-123" not in str(event.data)


def test_conversations_are_read_only_in_the_admin(admin_client, owned_conversation, agent):
    url = f"/admin/conversations/conversation/{owned_conversation.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200  # viewable
    admin_client.post(url, {"status": "resolved", "owner": ""})
    owned_conversation.refresh_from_db()
    assert (owned_conversation.status, owned_conversation.owner) == ("assigned", agent)
    assert admin_client.get("/admin/conversations/message/add/").status_code == 403
    assert admin_client.get("/admin/conversations/auditevent/add/").status_code == 403
    assert Conversation.objects.count() == 1
