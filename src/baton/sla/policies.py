"""SLA policies as data: what a policy may say, and which one applies. Pure.

A policy's ``conditions`` use the routing rules' language (``routing.conditions``) with
three more fields, known once a conversation is routed: ``conversation.team`` (its team's
name), ``conversation.priority`` (low, normal, high, urgent) and ``conversation.labels``.
Its ``on_warning`` and ``on_breach`` are lists of actions, each an object::

    {"action": "notify_owner"}
    {"action": "notify_managers"}
    {"action": "set_priority", "priority": "urgent"}
    {"action": "add_label", "label": "sla-risk"}
    {"action": "reassign"}                      # to an available teammate, by the engine
    {"action": "hand_to_team", "team": "Escalations"}
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Protocol, TypeVar

from baton.routing.conditions import (
    FIELDS,
    MAX_LABEL_LENGTH,
    Kind,
    evaluate,
    normalise_priority,
    validate_conditions,
)

SLA_FIELDS: dict[str, Kind] = {
    **FIELDS,
    "conversation.team": Kind.TEXT,
    "conversation.priority": Kind.TEXT,
    "conversation.labels": Kind.LIST,
}
PRIORITY_NAMES = {0: "low", 1: "normal", 2: "high", 3: "urgent"}

# action -> its one parameter (or None)
ACTIONS: dict[str, str | None] = {
    "notify_owner": None,
    "notify_managers": None,
    "set_priority": "priority",
    "add_label": "label",
    "reassign": None,
    "hand_to_team": "team",
}
MAX_ACTIONS = 10
# Thirty days: a longer target is a typo for a shorter unit, not a service level.
MAX_TARGET_SECONDS = 30 * 24 * 3600
TARGETS = ("first_response_seconds", "next_response_seconds", "resolution_seconds")


def validate_actions(actions: Any, path: str, *, teams: Collection[str]) -> list[str]:
    if not isinstance(actions, list):
        return [f'{path}: expected a list of actions like [{{"action": "notify_owner"}}].']
    if len(actions) > MAX_ACTIONS:
        return [f"{path}: at most {MAX_ACTIONS} actions."]
    errors: list[str] = []
    for i, item in enumerate(actions):
        where = f"{path}[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("action"), str):
            errors.append(f'{where}: expected an object with "action".')
            continue
        name = item["action"]
        if name not in ACTIONS:
            errors.append(f"{where}: unknown action {name!r}; use one of {', '.join(ACTIONS)}.")
            continue
        param = ACTIONS[name]
        unexpected = set(item) - {"action", *([param] if param else [])}
        if unexpected:
            errors.append(f"{where}: unexpected key(s) {', '.join(sorted(unexpected))}.")
        if param is None:
            continue
        value = item.get(param)
        if name == "set_priority" and normalise_priority(value) is None:
            errors.append(f"{where}.priority: use low, normal, high or urgent (got {value!r}).")
        elif name == "add_label" and (
            not isinstance(value, str) or not 0 < len(value.strip()) <= MAX_LABEL_LENGTH
        ):
            errors.append(f"{where}.label: expected a label of 1-{MAX_LABEL_LENGTH} characters.")
        elif name == "hand_to_team" and value not in teams:
            errors.append(f"{where}.team: there is no team {value!r}.")
    return errors


def validate_policy(body: Mapping[str, Any], *, teams: Collection[str]) -> dict[str, list[str]]:
    """Errors by field for a policy's values; empty when valid."""
    errors: dict[str, list[str]] = {}
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        errors["name"] = ["A name of 1-100 characters is required."]
    for field in (*TARGETS, "warn_before_seconds"):
        value = body.get(field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not value > 0:
            errors[field] = ["A whole number of seconds above 0, or null for none."]
        elif value > MAX_TARGET_SECONDS:
            errors[field] = [f"At most {MAX_TARGET_SECONDS} seconds (30 days)."]
    if all(body.get(field) is None for field in TARGETS):
        errors.setdefault("first_response_seconds", []).append(
            "A policy needs at least one target (first response, next response or resolution)."
        )
    warn = body.get("warn_before_seconds")
    if "warn_before_seconds" not in errors and isinstance(warn, int) and warn:
        shortest = min((body[f] for f in TARGETS if isinstance(body.get(f), int)), default=None)
        if shortest is not None and warn >= shortest:
            errors["warn_before_seconds"] = [
                f"The warning must come before the shortest target ({shortest} s)."
            ]
    conditions = body.get("conditions")
    if conditions not in (None, {}):
        problems = validate_conditions(conditions, SLA_FIELDS)
        if problems:
            errors["conditions"] = problems
    for field in ("on_warning", "on_breach"):
        problems = validate_actions(body.get(field) or [], field, teams=teams)
        if problems:
            errors[field] = problems
    return errors


class HasConditions(Protocol):
    conditions: Any
    enabled: bool


def matches(policy: HasConditions, facts: Mapping[str, Any]) -> bool:
    return policy.enabled and (not policy.conditions or evaluate(policy.conditions, facts))


P = TypeVar("P", bound=HasConditions)


def choose_policy(policies: Iterable[P], facts: Mapping[str, Any]) -> P | None:
    """The first enabled policy (in the caller's order) whose conditions match."""
    return next((policy for policy in policies if matches(policy, facts)), None)


def describe_action(item: Mapping[str, Any]) -> str:
    """How an action reads in the timeline when it was only asked for ("notify the owner")."""
    name = item.get("action")
    if name == "set_priority":
        priority = normalise_priority(item.get("priority"))
        return f"priority {PRIORITY_NAMES.get(priority or 0, item.get('priority'))}"
    if name == "add_label":
        return f"label {item.get('label')}"
    if name == "hand_to_team":
        return f"handed to {item.get('team')}"
    return str(name).replace("_", " ")
