"""Routing rules as data: validate and evaluate condition trees and actions, and decide.

Pure: no database, no clock, no settings. Everything here works on plain dicts, so the
whole policy is tested without Django (tests/routing/test_conditions.py).

A condition tree is one of::

    {"all": [tree, ...]}       every child matches (an empty list matches everything)
    {"any": [tree, ...]}       at least one child matches (an empty list matches nothing)
    {"not": tree}              the child does not match
    {"field": "message.text", "op": "contains_any", "value": ["refund", "money back"]}

Fields and operators come from a whitelist (``FIELDS``, ``OPERATORS``); anything else is
refused by ``validate_conditions`` when a rule is saved. ``evaluate`` never raises: a fact
of an unexpected type simply does not match, so a rule saved before a fact changed shape
cannot break the ingest of a customer's message.

Facts are a flat dict keyed by field name (see ``routing.queries.get_facts``); the two
attribute families are dicts under ``contact.attributes`` and ``conversation.attributes``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_DEPTH = 8
MAX_LEAVES = 100
MAX_REGEX_LENGTH = 200
MAX_KEYWORDS = 100
MAX_KEYWORD_LENGTH = 100
# WhatsApp texts are at most 4096 characters; regexes never see more than this.
MAX_TEXT_SCANNED = 4096
MAX_LABELS = 20
MAX_LABEL_LENGTH = 50


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    BOOL = "bool"
    LIST = "list"  # a list of strings (labels)
    ANY = "any"  # attributes: whatever a bot or an integration stored


FIELDS: dict[str, Kind] = {
    "inbox.id": Kind.NUMBER,
    "inbox.name": Kind.TEXT,
    "contact.labels": Kind.LIST,
    "conversation.language": Kind.TEXT,
    "conversation.intent": Kind.TEXT,
    "message.text": Kind.TEXT,
    "message.type": Kind.TEXT,
    "message.reply_id": Kind.TEXT,
    "message.reply_title": Kind.TEXT,
    "customer.is_returning": Kind.BOOL,
    "time.within_business_hours": Kind.BOOL,
}
# ``<prefix><key>`` reads one key of a dict fact, e.g. ``contact.attributes.tier``.
ATTRIBUTE_PREFIXES = ("contact.attributes.", "conversation.attributes.")
ATTRIBUTE_KEY = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")

# Operator -> the value it needs ("none", "scalar", "scalars", "keywords", "regex", "number").
OPERATORS: dict[str, str] = {
    "equals": "scalar",
    "not_equals": "scalar",
    "in": "scalars",
    "not_in": "scalars",
    "contains": "scalar",
    "contains_any": "keywords",
    "matches": "regex",
    "exists": "none",
    "not_exists": "none",
    "is_true": "none",
    "is_false": "none",
    "gt": "number",
    "gte": "number",
    "lt": "number",
    "lte": "number",
}

_TEXT_OPS = {"equals", "not_equals", "in", "not_in", "contains", "contains_any", "matches"}
OPERATORS_BY_KIND: dict[Kind, set[str]] = {
    Kind.TEXT: _TEXT_OPS | {"exists", "not_exists"},
    Kind.NUMBER: {"equals", "not_equals", "in", "not_in", "gt", "gte", "lt", "lte", "exists"},
    Kind.BOOL: {"is_true", "is_false", "equals"},
    Kind.LIST: {"contains", "contains_any", "in", "not_in", "exists", "not_exists"},
    Kind.ANY: set(OPERATORS),
}

MISSING: Any = object()


def field_kind(
    name: Any,
    fields: Mapping[str, Kind] = FIELDS,
    prefixes: tuple[str, ...] = ATTRIBUTE_PREFIXES,
) -> Kind | None:
    """The kind of a whitelisted field, or None when the field is not allowed.

    ``prefixes`` are the families of ``<prefix><key>`` fields the caller allows (bot flows
    add ``bot.``, whose facts the caller passes flattened, one key per field).
    """
    if not isinstance(name, str):
        return None
    if name in fields:
        return fields[name]
    for prefix in prefixes:
        if name.startswith(prefix) and ATTRIBUTE_KEY.match(name[len(prefix) :]):
            return Kind.ANY
    return None


# ------------------------------------------------------------------------------------------
# Validation


def validate_conditions(
    tree: Any,
    fields: Mapping[str, Kind] = FIELDS,
    prefixes: tuple[str, ...] = ATTRIBUTE_PREFIXES,
    path: str = "conditions",
) -> list[str]:
    """Readable errors for a condition tree; an empty list means it is valid.

    ``fields`` is the whitelist: routing rules see ``FIELDS``; SLA policies add what is
    known once a conversation is routed (its team, priority, labels); bot flows name their
    collected fields ``bot.<field>`` (``prefixes``). ``path`` starts every error message.
    """
    errors: list[str] = []
    leaves = _validate_node(tree, path, 0, errors, (fields, prefixes))
    if leaves > MAX_LEAVES:
        errors.append(f"{path}: at most {MAX_LEAVES} conditions per rule (found {leaves}).")
    return errors


Whitelist = tuple[Mapping[str, Kind], tuple[str, ...]]


def _validate_node(node: Any, path: str, depth: int, errors: list[str], fields: Whitelist) -> int:
    if depth > MAX_DEPTH:
        errors.append(f"{path}: nested more than {MAX_DEPTH} levels deep.")
        return 0
    if not isinstance(node, dict):
        errors.append(f'{path}: expected an object like {{"all": [...]}}, got {_type(node)}.')
        return 0
    groups = [key for key in ("all", "any", "not") if key in node]
    if groups:
        if len(node) != 1:
            errors.append(f'{path}: "{groups[0]}" must be the only key of its object.')
            return 0
        key = groups[0]
        if key == "not":
            return _validate_node(node["not"], f"{path}.not", depth + 1, errors, fields)
        children = node[key]
        if not isinstance(children, list):
            errors.append(f"{path}.{key}: expected a list of conditions, got {_type(children)}.")
            return 0
        return sum(
            _validate_node(child, f"{path}.{key}[{i}]", depth + 1, errors, fields)
            for i, child in enumerate(children)
        )
    if "field" in node or "op" in node:
        _validate_leaf(node, path, errors, fields)
        return 1
    errors.append(
        f'{path}: expected "all", "any", "not" or a condition with "field" and "op"'
        + (f" (found {', '.join(sorted(map(str, node)))})." if node else " (found nothing).")
    )
    return 0


def _validate_leaf(
    node: dict[str, Any], path: str, errors: list[str], whitelist: Whitelist
) -> None:
    fields, prefixes = whitelist
    unknown_keys = set(node) - {"field", "op", "value"}
    if unknown_keys:
        errors.append(f"{path}: unexpected key(s) {', '.join(sorted(map(str, unknown_keys)))}.")
    name = node.get("field")
    op = node.get("op")
    kind = field_kind(name, fields, prefixes)
    if kind is None:
        families = " or ".join(f"{prefix}<key>" for prefix in prefixes)
        known = ", ".join(fields)
        errors.append(f"{path}: unknown field {name!r}; use one of {known}, {families}.")
    if op not in OPERATORS:
        errors.append(f"{path}: unknown operator {op!r}; use one of {', '.join(OPERATORS)}.")
        return
    if kind is not None and op not in OPERATORS_BY_KIND[kind]:
        allowed = ", ".join(o for o in OPERATORS if o in OPERATORS_BY_KIND[kind])
        errors.append(f"{path}: operator {op!r} does not apply to {name}; use {allowed}.")
        return
    need = OPERATORS[op]
    has_value = "value" in node
    value = node.get("value")
    if need == "none":
        if has_value:
            errors.append(f"{path}: operator {op!r} takes no value.")
        return
    if not has_value:
        errors.append(f"{path}: operator {op!r} needs a value.")
        return
    problem = _value_problem(need, value, kind)
    if problem:
        errors.append(f"{path}: {problem}")


def _value_problem(need: str, value: Any, kind: Kind | None) -> str:
    if need == "scalar":
        if not _is_scalar(value):
            return f"value must be a string, a number or true/false, not {_type(value)}."
        if kind == Kind.NUMBER and not _is_number(value):
            return "value must be a number."
        if kind == Kind.BOOL and not isinstance(value, bool):
            return "value must be true or false."
        return ""
    if need == "scalars":
        if not isinstance(value, list) or not value:
            return "value must be a non-empty list."
        if not all(_is_scalar(v) for v in value):
            return "every value in the list must be a string, a number or true/false."
        if kind == Kind.NUMBER and not all(_is_number(v) for v in value):
            return "every value in the list must be a number."
        return ""
    if need == "keywords":
        if not isinstance(value, list) or not value:
            return "value must be a non-empty list of keywords."
        if len(value) > MAX_KEYWORDS:
            return f"at most {MAX_KEYWORDS} keywords."
        for keyword in value:
            if not isinstance(keyword, str) or not keyword.strip():
                return "every keyword must be a non-empty string."
            if len(keyword) > MAX_KEYWORD_LENGTH:
                return f"a keyword can have at most {MAX_KEYWORD_LENGTH} characters."
        return ""
    if need == "regex":
        if not isinstance(value, str) or not value:
            return "value must be a regular expression (a non-empty string)."
        if len(value) > MAX_REGEX_LENGTH:
            return f"the regular expression is longer than {MAX_REGEX_LENGTH} characters."
        try:
            re.compile(value)
        except re.error as exc:
            return f"invalid regular expression: {exc}."
        return ""
    if need == "number":
        if not _is_number(value):
            return "value must be a number."
        return ""
    return f"unknown value kind {need}."  # pragma: no cover - OPERATORS is closed


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and not (
        isinstance(value, float) and value != value  # NaN equals nothing, refuse it
    )


def _is_number(value: Any) -> bool:
    return _is_scalar(value) and isinstance(value, int | float) and not isinstance(value, bool)


def _type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if _is_number(value) else type(value).__name__)


# ------------------------------------------------------------------------------------------
# Evaluation


def evaluate(tree: Any, facts: Mapping[str, Any]) -> bool:
    """Does ``tree`` match ``facts``? Never raises; malformed parts simply do not match.

    ``all([])`` is true and ``any([])`` is false (the usual identities), so
    ``{"all": []}`` is the rule that matches every conversation.
    """
    try:
        return _eval(tree, facts, 0)
    except RecursionError:
        return False


def _eval(node: Any, facts: Mapping[str, Any], depth: int) -> bool:
    if not isinstance(node, dict) or depth > MAX_DEPTH * 4:
        return False
    if "all" in node:
        children = node["all"]
        return isinstance(children, list) and all(_eval(c, facts, depth + 1) for c in children)
    if "any" in node:
        children = node["any"]
        return isinstance(children, list) and any(_eval(c, facts, depth + 1) for c in children)
    if "not" in node:
        return not _eval(node["not"], facts, depth + 1)
    op = node.get("op")
    # Which fields a tree may name was checked when it was saved (each caller has its own
    # whitelist); here an unknown field simply has no fact.
    if not isinstance(node.get("field"), str) or op not in OPERATORS:
        return False
    return _compare(op, resolve(node["field"], facts), node.get("value"))


def resolve(name: str, facts: Mapping[str, Any]) -> Any:
    """The fact for a field name, or ``MISSING``."""
    for prefix in ATTRIBUTE_PREFIXES:
        if name.startswith(prefix):
            bag = facts.get(prefix[:-1])
            if isinstance(bag, Mapping):
                return bag.get(name[len(prefix) :], MISSING)
            return MISSING
    return facts.get(name, MISSING)


def _compare(op: str, fact: Any, value: Any) -> bool:
    if op == "exists":
        return _present(fact)
    if op == "not_exists":
        return not _present(fact)
    if op == "is_true":
        return fact is True
    if op == "is_false":
        return fact is False
    if fact is MISSING or fact is None:
        # A fact we do not have is not equal to anything (so not_equals/not_in match).
        return op in ("not_equals", "not_in")
    if op == "equals":
        return _equal(fact, value)
    if op == "not_equals":
        return not _equal(fact, value)
    if op in ("in", "not_in"):
        if not isinstance(value, list):
            return False
        if isinstance(fact, list):
            found = any(_equal(item, v) for item in fact for v in value)
        else:
            found = any(_equal(fact, v) for v in value)
        return found if op == "in" else not found
    if op == "contains":
        if isinstance(fact, list):
            return any(_equal(item, value) for item in fact)
        if isinstance(fact, str) and isinstance(value, str | int | float):
            return str(value).casefold() in fact.casefold()
        return False
    if op == "contains_any":
        if not isinstance(value, list):
            return False
        keywords = [k for k in value if isinstance(k, str) and k.strip()]
        if isinstance(fact, list):
            wanted = {k.casefold() for k in keywords}
            return any(isinstance(item, str) and item.casefold() in wanted for item in fact)
        if isinstance(fact, str):
            return keyword_pattern(tuple(keywords)).search(fact[:MAX_TEXT_SCANNED]) is not None
        return False
    if op == "matches":
        if not isinstance(fact, str) or not isinstance(value, str):
            return False
        pattern = _regex(value)
        return pattern is not None and pattern.search(fact[:MAX_TEXT_SCANNED]) is not None
    if op in ("gt", "gte", "lt", "lte"):
        number = _as_number(fact)
        if number is None or not _is_number(value):
            return False
        return {
            "gt": number > value,
            "gte": number >= value,
            "lt": number < value,
            "lte": number <= value,
        }[op]
    return False  # pragma: no cover - every operator is handled above


def _present(fact: Any) -> bool:
    return fact is not MISSING and fact is not None and fact != "" and fact != [] and fact != {}


def _equal(fact: Any, value: Any) -> bool:
    """Equality without Python's surprises: true is not 1, and "5" is not 5."""
    if isinstance(fact, bool) or isinstance(value, bool):
        return isinstance(fact, bool) and isinstance(value, bool) and fact == value
    if _is_number(fact) and _is_number(value):
        return bool(fact == value)
    if isinstance(fact, str) and isinstance(value, str):
        return fact == value
    return False


def _as_number(fact: Any) -> float | None:
    """A number, or a string a bot stored that reads as one ("42")."""
    if _is_number(fact):
        return float(fact)
    if isinstance(fact, str):
        try:
            number = float(fact.strip())
        except ValueError:
            return None
        return number if number == number else None
    return None


_keyword_cache: dict[tuple[str, ...], re.Pattern[str]] = {}
_regex_cache: dict[str, re.Pattern[str] | None] = {}
_CACHE_LIMIT = 1024


def keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive pattern matching any keyword as whole words.

    ``\\b`` does not work for keywords that start or end with punctuation ("c++"), so the
    boundary is "not preceded/followed by a word character" instead.
    """
    pattern = _keyword_cache.get(keywords)
    if pattern is None:
        alternatives = "|".join(re.escape(k.strip()) for k in keywords) or r"(?!x)x"
        pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
        if len(_keyword_cache) >= _CACHE_LIMIT:
            _keyword_cache.clear()
        _keyword_cache[keywords] = pattern
    return pattern


def _regex(source: str) -> re.Pattern[str] | None:
    if source in _regex_cache:
        return _regex_cache[source]
    compiled: re.Pattern[str] | None
    try:
        compiled = re.compile(source, re.IGNORECASE) if len(source) <= MAX_REGEX_LENGTH else None
    except re.error:
        compiled = None
    if len(_regex_cache) >= _CACHE_LIMIT:
        _regex_cache.clear()
    _regex_cache[source] = compiled
    return compiled


# ------------------------------------------------------------------------------------------
# Actions

STRATEGIES = ("round_robin", "least_loaded", "sticky", "manual")
PRIORITIES = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
ACTION_KEYS = ("team", "priority", "labels", "agent", "strategy")


def validate_actions(
    actions: Any,
    *,
    teams: Collection[str],
    agents: Mapping[str, Collection[str]],
) -> list[str]:
    """Readable errors for a rule's actions; an empty list means they are valid.

    ``teams`` are the existing team names; ``agents`` maps the username of everyone who may
    own conversations to the names of their teams (a named agent must belong to the team
    the same rule chooses, or they could never see the conversation).
    """
    if not isinstance(actions, dict):
        return [f"actions: expected an object, got {_type(actions)}."]
    errors: list[str] = []
    unknown = set(actions) - set(ACTION_KEYS)
    if unknown:
        errors.append(
            f"actions: unknown action(s) {', '.join(sorted(map(str, unknown)))}; "
            f"use {', '.join(ACTION_KEYS)}."
        )
    if not actions:
        errors.append("actions: a rule must do something (set a team, a priority, …).")
    team = actions.get("team")
    if "team" in actions:
        if not isinstance(team, str) or not team:
            errors.append("actions.team: expected a team name.")
        elif team not in teams:
            errors.append(f"actions.team: there is no team {team!r}.")
    if "priority" in actions and normalise_priority(actions["priority"]) is None:
        errors.append(
            "actions.priority: use 0-3 or one of low, normal, high, urgent "
            f"(got {actions['priority']!r})."
        )
    if "labels" in actions:
        labels = actions["labels"]
        if (
            not isinstance(labels, list)
            or not labels
            or len(labels) > MAX_LABELS
            or not all(
                isinstance(x, str) and 0 < len(x.strip()) <= MAX_LABEL_LENGTH for x in labels
            )
        ):
            errors.append(
                f"actions.labels: expected a list of 1-{MAX_LABELS} labels "
                f"of 1-{MAX_LABEL_LENGTH} characters."
            )
    if "agent" in actions:
        agent = actions["agent"]
        if not isinstance(agent, str) or not agent:
            errors.append("actions.agent: expected a username.")
        elif agent not in agents:
            errors.append(
                f"actions.agent: there is no active agent {agent!r} who can own conversations."
            )
        elif isinstance(team, str) and team in teams and team not in agents[agent]:
            errors.append(f"actions.agent: {agent!r} is not a member of team {team!r}.")
    if "strategy" in actions and actions["strategy"] not in STRATEGIES:
        errors.append(
            f"actions.strategy: use one of {', '.join(STRATEGIES)} (got {actions['strategy']!r})."
        )
    return errors


def normalise_priority(value: Any) -> int | None:
    if isinstance(value, str) and value.lower() in PRIORITIES:
        return PRIORITIES[value.lower()]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
        return value
    return None


# ------------------------------------------------------------------------------------------
# Deciding


@dataclass(frozen=True)
class Rule:
    """What ``decide`` needs of a stored rule (``routing.models.RoutingRule``)."""

    id: int
    name: str
    conditions: Any
    actions: Mapping[str, Any]
    enabled: bool = True


@dataclass(frozen=True)
class Decision:
    """Where the first matching rule sends a conversation. ``None`` fields = leave as is."""

    rule_id: int
    rule_name: str
    team: str | None = None
    priority: int | None = None
    labels: tuple[str, ...] = ()
    agent: str | None = None
    strategy: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "rule": self.rule_name,
            "team": self.team,
            "priority": self.priority,
            "labels": list(self.labels),
            "agent": self.agent,
            "strategy": self.strategy,
        }


def decide(rules: Iterable[Rule], facts: Mapping[str, Any]) -> Decision | None:
    """The first enabled rule, in the order given, whose conditions match; None if none.

    First match wins and later rules are not consulted: a manager reads the list top to
    bottom and the first rule that fits is the one that applies. The caller orders the
    rules (the inbox's own rules by position, then the every-inbox rules).
    """
    for rule in rules:
        if rule.enabled and evaluate(rule.conditions, facts):
            return decision_of(rule)
    return None


def decision_of(rule: Rule) -> Decision:
    actions = rule.actions if isinstance(rule.actions, Mapping) else {}
    labels = actions.get("labels")
    team, agent, strategy = actions.get("team"), actions.get("agent"), actions.get("strategy")
    return Decision(
        rule_id=rule.id,
        rule_name=rule.name,
        team=team if isinstance(team, str) and team else None,
        priority=normalise_priority(actions.get("priority")),
        labels=tuple(dict.fromkeys(x.strip() for x in labels if isinstance(x, str) and x.strip()))
        if isinstance(labels, list)
        else (),
        agent=agent if isinstance(agent, str) and agent else None,
        strategy=strategy if strategy in STRATEGIES else None,
    )
