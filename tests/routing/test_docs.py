"""The examples in docs/routing-rules.md are valid configuration."""

from __future__ import annotations

import json
import re
from pathlib import Path

from baton.routing.conditions import validate_actions, validate_business_hours, validate_conditions

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
