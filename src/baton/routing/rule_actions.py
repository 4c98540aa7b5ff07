"""Every write of routing rules: applying them to a new conversation, and configuring them.

Applying runs inside the ingest transaction (``whatsapp.actions.do_receive_message`` announces
``ConversationCreated``; ``routing.reactions`` subscribes), so nobody ever sees a new
conversation in the wrong team. Configuration changes (rules, business hours) are validated
here whatever the entry point (web page, admin, API) and each writes one ``AuditEvent`` of
kind ``config`` with the values before and after.

Rules are only ever triggered by a customer's inbound message opening a conversation; what
they change (team, priority, labels …) is written with plain updates that trigger nothing,
so a rule can never fire because of another rule (STYLE 16).

Team walls: every configuration write checks, here and so for every entry point, that the
actor may configure the rule as it was and as it will be
(``routing.queries.TeamWalls.teams_touched``): a manager cannot reach another team's
customers through a rule, nor change a rule that does.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from baton.agents.models import Team, User
from baton.conversations.audit import record_config_event, record_event
from baton.conversations.models import AuditEvent, Conversation, EventKind, Message
from baton.core.business_hours import validate_business_hours
from baton.core.errors import InvalidInput, PermissionDenied
from baton.routing.conditions import Decision, decide, validate_actions, validate_conditions
from baton.routing.models import BusinessHours, RoutingRule
from baton.routing.queries import (
    get_action_targets,
    get_facts,
    get_rules_for,
    get_team_walls,
    scope_q,
)

# ------------------------------------------------------------------------------------------
# Applying rules to a new conversation


def do_apply_routing_rules(conversation: Conversation, message: Message) -> Decision | None:
    """Route a conversation ``message`` has just opened; returns the decision (or None).

    Precondition: called inside the ingest transaction, right after the conversation and
    its first message were inserted and before any live event is queued, so the
    ``conversation.created`` event already carries the rule's team. Updates ``conversation``
    in place. Not called when a resolved conversation is reopened (that goes back to its
    last owner or queue) nor for later messages.
    """
    rules = get_rules_for(conversation.inbox_id)
    if not rules:
        return None
    facts = get_facts(conversation, message, now=timezone.now())
    decision = decide(rules, facts)
    if decision is None:
        return None
    fields: dict[str, Any] = {"routing_rule_id": decision.rule_id}
    skipped: list[str] = []
    team = None
    if decision.team is not None:
        team = Team.objects.filter(name=decision.team).first()
        if team is None:
            skipped.append(f"team {decision.team!r} no longer exists")
        else:
            fields["team"] = team
    if decision.priority is not None:
        fields["priority"] = decision.priority
    if decision.labels:
        fields["labels"] = list(dict.fromkeys([*conversation.labels, *decision.labels]))
    if decision.agent is not None:
        agent = User.objects.filter(username=decision.agent, is_active=True).first()
        if agent is None:
            skipped.append(f"agent {decision.agent!r} no longer exists or is inactive")
        else:
            fields["preferred_agent"] = agent
    if decision.strategy is not None:
        fields["assignment_strategy"] = decision.strategy
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    for key, value in fields.items():
        setattr(conversation, key, value)
    record_event(
        EventKind.ROUTED,
        conversation=conversation,
        to_team=team,
        reason=f"rule “{decision.rule_name}” matched",
        data={**decision.as_dict(), "message_id": message.pk, "skipped": skipped},
    )
    return decision


# ------------------------------------------------------------------------------------------
# Configuration: rules


def get_rule_errors(conditions: Any, actions: Any) -> dict[str, list[str]]:
    """Validation errors by field name (``conditions``, ``actions``); empty when valid."""
    teams, agents = get_action_targets()
    errors = {
        "conditions": validate_conditions(conditions),
        "actions": validate_actions(actions, teams=teams, agents=agents),
    }
    return {key: value for key, value in errors.items() if value}


def rule_snapshot(rule: RoutingRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "inbox_id": rule.inbox_id,
        "position": rule.position,
        "name": rule.name,
        "enabled": rule.enabled,
        "conditions": rule.conditions,
        "actions": rule.actions,
    }


def _audit_config(
    actor: User | None, what: str, reason: str, before: Any, after: Any
) -> AuditEvent:
    return record_config_event(actor, reason, {"object": what, "before": before, "after": after})


def _raise_if_invalid(errors: dict[str, list[str]]) -> None:
    if errors:
        flat = [message for messages in errors.values() for message in messages]
        raise InvalidInput("The routing rule is not valid: " + " ".join(flat), errors=flat)


def do_save_routing_rule(rule: RoutingRule, actor: User | None) -> RoutingRule:
    """Create or update ``rule`` (an unsaved or edited instance) after validating it.

    A new rule, or one moved to another inbox, goes to the end of its inbox's list.
    """
    walls = get_team_walls()
    walls.check_may_configure(actor, rule.inbox_id, rule.actions)
    if not (rule.name or "").strip():
        raise InvalidInput("A routing rule needs a name.", errors=["name: required."])
    _raise_if_invalid(get_rule_errors(rule.conditions, rule.actions))
    with transaction.atomic():
        before_row = (
            RoutingRule.objects.select_for_update().filter(pk=rule.pk).first() if rule.pk else None
        )
        if before_row is not None:
            # Rewriting another team's rule into one of ours is still changing theirs.
            walls.check_may_configure(actor, before_row.inbox_id, before_row.actions)
        before = rule_snapshot(before_row) if before_row is not None else None
        if before_row is None or before_row.inbox_id != rule.inbox_id:
            last = RoutingRule.objects.filter(scope_q(rule.inbox_id)).aggregate(
                last=Max("position")
            )["last"]
            rule.position = 0 if last is None else last + 1
        if before_row is None:
            rule.created_by = actor
        rule.updated_by = actor
        rule.save()
        after = rule_snapshot(rule)
        verb = "created" if before is None else "changed"
        _audit_config(actor, "routing_rule", f"routing rule “{rule.name}” {verb}", before, after)
    return rule


def do_set_routing_rule_enabled(rule: RoutingRule, actor: User | None, enabled: bool) -> None:
    """Enable (validated again: its team or agent may be gone) or disable (always allowed,
    so a rule that became invalid can still be switched off) a rule."""
    if enabled:
        rule.enabled = True
        do_save_routing_rule(rule, actor)
        return
    with transaction.atomic():
        before_row = RoutingRule.objects.select_for_update().filter(pk=rule.pk).first()
        if before_row is None:
            raise InvalidInput("This routing rule was deleted meanwhile.")
        get_team_walls().check_may_configure(actor, before_row.inbox_id, before_row.actions)
        before = rule_snapshot(before_row)
        RoutingRule.objects.filter(pk=rule.pk).update(
            enabled=False, updated_by=actor, updated_at=timezone.now()
        )
        rule.enabled = False
        _audit_config(
            actor,
            "routing_rule",
            f"routing rule “{before_row.name}” disabled",
            before,
            {**before, "enabled": False},
        )


def do_delete_routing_rule(rule: RoutingRule, actor: User | None) -> None:
    """Delete a rule; conversations it routed keep their team and lose the link."""
    with transaction.atomic():
        before_row = RoutingRule.objects.select_for_update().filter(pk=rule.pk).first()
        if before_row is None:
            return
        get_team_walls().check_may_configure(actor, before_row.inbox_id, before_row.actions)
        before = rule_snapshot(before_row)
        before_row.delete()
        _audit_config(
            actor, "routing_rule", f"routing rule “{before_row.name}” deleted", before, None
        )


def do_move_routing_rule(rule: RoutingRule, actor: User | None, offset: int) -> None:
    """Move a rule up (``offset`` -1) or down (+1) within its inbox's list.

    Renumbers the whole list (0, 1, 2 …) under row locks, so equal or sparse positions left
    by older versions or concurrent creations cannot make a move a no-op.

    Moving a rule past another one changes which of the two wins: the actor must be allowed
    to configure both (a manager cannot jump their rule ahead of another team's).
    """
    with transaction.atomic():
        scope = list(
            RoutingRule.objects.select_for_update()
            .filter(scope_q(rule.inbox_id))
            .order_by("position", "id")
        )
        ids = [r.pk for r in scope]
        if rule.pk not in ids:
            raise InvalidInput("This routing rule was deleted meanwhile.")
        index = ids.index(rule.pk)
        target = index + offset
        walls = get_team_walls()
        walls.check_may_configure(actor, scope[index].inbox_id, scope[index].actions)
        if offset == 0 or not 0 <= target < len(ids):
            return
        passed = scope[target]
        if not walls.may_configure(actor, passed.inbox_id, passed.actions):
            raise PermissionDenied(
                f"The next rule {'up' if offset < 0 else 'down'} belongs to a team you do not "
                "manage: only an admin can change which of the two applies first."
            )
        before = ids[:]
        ids.insert(target, ids.pop(index))
        for position, rule_id in enumerate(ids):
            RoutingRule.objects.filter(pk=rule_id).update(position=position)
        rule.position = target
        _audit_config(
            actor,
            "routing_rule_order",
            f"routing rule “{rule.name}” moved {'up' if offset < 0 else 'down'}",
            {"inbox_id": rule.inbox_id, "order": before},
            {"inbox_id": rule.inbox_id, "order": ids},
        )


# ------------------------------------------------------------------------------------------
# Configuration: business hours


def get_business_hours_errors(hours: BusinessHours) -> list[str]:
    return validate_business_hours(hours.time_zone, hours.weekly, hours.holidays)


def hours_snapshot(hours: BusinessHours) -> dict[str, Any]:
    return {
        "id": hours.pk,
        "inbox_id": hours.inbox_id,
        "time_zone": hours.time_zone,
        "weekly": hours.weekly,
        "holidays": hours.holidays,
    }


def do_save_business_hours(hours: BusinessHours, actor: User | None) -> BusinessHours:
    errors = get_business_hours_errors(hours)
    if errors:
        raise InvalidInput("The business hours are not valid: " + " ".join(errors), errors=errors)
    with transaction.atomic():
        before_row = (
            BusinessHours.objects.select_for_update().filter(pk=hours.pk).first()
            if hours.pk
            else None
        )
        before = hours_snapshot(before_row) if before_row is not None else None
        hours.updated_by = actor
        try:
            with transaction.atomic():
                hours.save()
        except IntegrityError as exc:
            raise InvalidInput(
                f"{_scope_label(hours.inbox_id).capitalize()} already has business hours; "
                "change those instead."
            ) from exc
        _audit_config(
            actor,
            "business_hours",
            f"business hours of {_scope_label(hours.inbox_id)} "
            + ("set" if before is None else "changed"),
            before,
            hours_snapshot(hours),
        )
    return hours


def do_delete_business_hours(hours: BusinessHours, actor: User | None) -> None:
    with transaction.atomic():
        before_row = BusinessHours.objects.select_for_update().filter(pk=hours.pk).first()
        if before_row is None:
            return
        before = hours_snapshot(before_row)
        before_row.delete()
        _audit_config(
            actor,
            "business_hours",
            f"business hours of {_scope_label(before['inbox_id'])} removed",
            before,
            None,
        )


def _scope_label(inbox_id: int | None) -> str:
    return f"inbox {inbox_id}" if inbox_id else "every inbox (default)"
