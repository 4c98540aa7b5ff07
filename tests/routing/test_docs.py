"""The examples in docs/routing-rules.md are valid configuration."""

from __future__ import annotations

import json
import re
from pathlib import Path

from baton.core.business_hours import validate_business_hours
from baton.routing.conditions import validate_actions, validate_conditions

DOC = Path(__file__).resolve().parents[2] / "docs" / "routing-rules.md"


def json_blocks():
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", DOC.read_text(), re.S)]


def test_documented_examples_validate():
    hours, rules = json_blocks()
    assert validate_business_hours(hours["time_zone"], hours["weekly"], hours["holidays"]) == []
    teams = {"Sales", "Billing", "Support", "Night"}
    for rule in rules:
        assert validate_conditions(rule["conditions"]) == [], rule["name"]
        assert validate_actions(rule["actions"], teams=teams, agents={"maria": {"Billing"}}) == []


def test_readme_curl_examples_are_accepted_by_the_api(client, db):
    """The rules the README posts with curl are accepted as written."""
    from baton.agents.actions import do_create_api_token
    from baton.agents.models import Team
    from tests.conftest import make_user

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    bodies = re.findall(r"routing/rules -d '(\{.*?\})'", readme, re.S)
    assert len(bodies) == 2
    Team.objects.create(name="Billing")
    make_user("maria", role="manager")
    token = do_create_api_token(make_user("boss", role="admin"))
    for body in bodies:
        response = client.post(
            "/api/v1/routing/rules",
            json.loads(body),
            content_type="application/json",
            headers={"Authorization": f"Token {token}"},
        )
        assert response.status_code == 201, response.content
