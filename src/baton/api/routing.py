"""Routing rules in API v1: list, create, replace, delete, and a dry run. Managers only,
and each manager only within the teams they manage (``routing.queries.TeamWalls``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from ninja import Query, Schema
from ninja.responses import Status
from pydantic import Field

from baton.agents.http import AuthenticatedRequest
from baton.api.api import api
from baton.api.schemas import ErrorOut, InputSchema
from baton.core.errors import InvalidInput
from baton.routing.conditions import Decision
from baton.routing.models import RoutingRule
from baton.routing.queries import (
    access_rule,
    check_manager,
    check_may_try_sample,
    get_configurable_rules,
    get_dry_run,
    get_sample_decision,
)
from baton.routing.rule_actions import do_delete_routing_rule, do_save_routing_rule
from baton.whatsapp.models import Inbox

TAGS = ["routing"]
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class RuleIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    inbox_id: int | None = Field(None, description="Empty: the rule applies to every inbox.")
    enabled: bool = True
    conditions: Any = Field(
        description='Condition tree, e.g. {"field": "message.reply_id", "op": "equals", '
        '"value": "sales"}; {"all": []} matches everything.'
    )
    actions: Any = Field(
        description='e.g. {"team": "Sales", "priority": "high", "labels": ["vip"], '
        '"agent": "alice", "strategy": "least_loaded"}'
    )


class RuleOut(Schema):
    id: int
    name: str
    inbox_id: int | None
    position: int
    enabled: bool
    conditions: Any
    actions: Any
    created_by: str | None
    updated_by: str | None
    created_at: datetime
    updated_at: datetime


class RuleFilter(Schema):
    inbox_id: int | None = None


class DecisionOut(Schema):
    rule_id: int
    rule: str
    team: str | None
    priority: int | None
    labels: list[str]
    agent: str | None
    strategy: str | None


class SampleIn(InputSchema):
    inbox_id: int | None = None
    text: str = ""
    message_type: str = ""
    reply_id: str = ""
    reply_title: str = ""
    contact_labels: list[str] = []
    contact_attributes: dict[str, Any] = {}
    is_returning: bool = False
    within_business_hours: bool | None = Field(
        None, description="Default: the inbox's business hours at the time of the request."
    )


class DryRunIn(InputSchema):
    limit: int = Field(20, ge=1, le=200, description="How many of the latest conversations.")
    inbox_id: int | None = None
    sample: SampleIn | None = None


class DryRunItemOut(Schema):
    conversation_id: int
    inbox: str
    contact: str
    first_message: str
    routed_by: str | None = Field(description="The rule that routed it when it was opened.")
    decision: DecisionOut | None = Field(description="What the current rules would decide.")


class DryRunOut(Schema):
    conversations: list[DryRunItemOut]
    sample: DecisionOut | None = None
    sample_matched: bool | None = None


def _rule_out(rule: RoutingRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "inbox_id": rule.inbox_id,
        "position": rule.position,
        "enabled": rule.enabled,
        "conditions": rule.conditions,
        "actions": rule.actions,
        "created_by": rule.created_by.username if rule.created_by else None,
        "updated_by": rule.updated_by.username if rule.updated_by else None,
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
    }


def _inbox(inbox_id: int | None) -> Inbox | None:
    if inbox_id is None:
        return None
    inbox = Inbox.objects.filter(pk=inbox_id).first()
    if inbox is None:
        raise InvalidInput(f"There is no inbox {inbox_id}.", errors=["inbox_id: not found."])
    return inbox


def _decision(decision: Decision | None) -> dict[str, Any] | None:
    return decision.as_dict() if decision is not None else None


@api.get("/routing/rules", response={200: list[RuleOut], 403: ErrorOut}, tags=TAGS)
def list_rules(request: AuthenticatedRequest, filters: Query[RuleFilter]):
    """The rules you may configure (a manager: those within their teams), grouped by inbox
    (every-inbox rules last) in evaluation order."""
    check_manager(request.user)
    rules = get_configurable_rules(request.user)
    if filters.inbox_id is not None:
        rules = [r for r in rules if r.inbox_id == filters.inbox_id]
    rules.sort(key=lambda r: (r.inbox_id is None, r.inbox_id or 0, r.position, r.pk))
    return [_rule_out(r) for r in rules]


@api.post("/routing/rules", response={201: RuleOut, **ERRORS}, tags=TAGS)
def create_rule(request: AuthenticatedRequest, payload: RuleIn):
    """Create a rule at the end of its inbox's list. Invalid conditions or actions answer
    400 with ``error.errors``, one readable message per problem."""
    check_manager(request.user)
    rule = RoutingRule(
        name=payload.name,
        inbox=_inbox(payload.inbox_id),
        enabled=payload.enabled,
        conditions=payload.conditions,
        actions=payload.actions,
    )
    return Status(201, _rule_out(do_save_routing_rule(rule, request.user)))  # type: ignore[arg-type]


@api.put("/routing/rules/{rule_id}", response={200: RuleOut, **ERRORS}, tags=TAGS)
def replace_rule(request: AuthenticatedRequest, rule_id: int, payload: RuleIn):
    """Replace a rule (moving it to another inbox puts it at the end of that list)."""
    rule = access_rule(request.user, rule_id)
    rule.name = payload.name
    rule.inbox = _inbox(payload.inbox_id)
    rule.enabled = payload.enabled
    rule.conditions = payload.conditions
    rule.actions = payload.actions
    return _rule_out(do_save_routing_rule(rule, request.user))  # type: ignore[arg-type]


@api.delete(
    "/routing/rules/{rule_id}", response={204: None, 403: ErrorOut, 404: ErrorOut}, tags=TAGS
)
def delete_rule(request: AuthenticatedRequest, rule_id: int):
    do_delete_routing_rule(access_rule(request.user, rule_id), request.user)  # type: ignore[arg-type]
    return Status(204, None)


@api.post("/routing/dry-run", response={200: DryRunOut, **ERRORS}, tags=TAGS)
def dry_run(request: AuthenticatedRequest, payload: DryRunIn):
    """What the current rules would decide for the latest conversations and, optionally, a
    sample message. Changes nothing."""
    check_manager(request.user)
    _inbox(payload.inbox_id)
    rows = get_dry_run(request.user, payload.limit, payload.inbox_id)
    out: dict[str, Any] = {
        "conversations": [
            {
                "conversation_id": row["conversation"].pk,
                "inbox": row["conversation"].inbox.name,
                "contact": row["conversation"].contact.display_name,
                "first_message": (row["message"].text if row["message"] else "")[:200],
                "routed_by": (
                    row["conversation"].routing_rule.name
                    if row["conversation"].routing_rule
                    else None
                ),
                "decision": _decision(row["decision"]),
            }
            for row in rows
        ]
    }
    if payload.sample is not None:
        sample = payload.sample
        check_may_try_sample(request.user, sample.inbox_id)
        decision, _ = get_sample_decision(
            inbox=_inbox(sample.inbox_id),
            text=sample.text,
            reply_id=sample.reply_id,
            reply_title=sample.reply_title,
            message_type=sample.message_type,
            contact_labels=sample.contact_labels,
            contact_attributes=sample.contact_attributes,
            is_returning=sample.is_returning,
            within_business_hours=sample.within_business_hours,
            now=timezone.now(),
        )
        out["sample"] = _decision(decision)
        out["sample_matched"] = decision is not None
    return out
