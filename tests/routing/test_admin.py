"""Team routing settings, shifts and time off are editable in the Django admin."""

from __future__ import annotations

import pytest

from baton.agents.models import Shift, Team
from tests.conftest import make_user
from tests.routing.factories import make_agent, make_team


def test_admin_pages_render_and_a_shift_can_be_added(client, db):
    team = make_team("Support")
    alice = make_agent("alice", team)
    client.force_login(make_user("root", role="admin"))
    page = client.get(f"/admin/agents/team/{team.pk}/change/")
    assert page.status_code == 200
    for field in ("assignment_strategy", "default_capacity", "end_of_shift", "fallback_team"):
        assert f'name="{field}"' in page.text
    assert 'name="shifts-TOTAL_FORMS"' in page.text
    assert client.get(f"/admin/agents/user/{alice.pk}/change/").status_code == 200
    response = client.post(
        "/admin/agents/shift/add/",
        {"user": alice.pk, "team": team.pk, "weekday": 2, "start": "09:00", "end": "17:00"},
    )
    assert response.status_code == 302
    assert Shift.objects.get().weekday == 2


def test_team_time_zone_is_validated(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        Team(name="X", time_zone="Mars/Olympus").full_clean()
    assert "time_zone" in exc.value.message_dict
