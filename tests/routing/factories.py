"""Small factories for routing tests."""

from __future__ import annotations

import copy
from typing import Any

from baton.routing.models import BusinessHours, RoutingRule
from baton.routing.rule_actions import do_save_business_hours, do_save_routing_rule
from tests.conftest import load_sample, meta_bytes


def make_rule(
    name: str,
    conditions: Any,
    actions: dict[str, Any],
    *,
    inbox=None,
    enabled: bool = True,
    actor=None,
) -> RoutingRule:
    rule = RoutingRule(
        name=name, inbox=inbox, enabled=enabled, conditions=conditions, actions=actions
    )
    return do_save_routing_rule(rule, actor)


def make_hours(time_zone: str, weekly: dict, holidays=(), *, inbox=None) -> BusinessHours:
    hours = BusinessHours(inbox=inbox, time_zone=time_zone, weekly=weekly, holidays=list(holidays))
    return do_save_business_hours(hours, None)


def inbound(
    sample: str = "inbound_text.json",
    *,
    wamid: str | None = None,
    text: str | None = None,
    phone_number_id: str | None = None,
    wa_id: str | None = None,
) -> bytes:
    """A recorded webhook sample with the parts a test needs changed."""
    payload = copy.deepcopy(load_sample(sample))
    value = payload["entry"][0]["changes"][0]["value"]
    message = value["messages"][0]
    if wamid:
        message["id"] = wamid
    if text is not None:
        message["text"]["body"] = text
    if phone_number_id:
        value["metadata"]["phone_number_id"] = phone_number_id
    if wa_id:
        message["from"] = wa_id
        for contact in value.get("contacts", []):
            contact["wa_id"] = wa_id
            contact.pop("user_id", None)
    return meta_bytes(payload)
