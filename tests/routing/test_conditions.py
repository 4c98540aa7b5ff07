"""The pure evaluator and validator: every field, every operator, nested trees, bad input."""

from __future__ import annotations

import pytest

from baton.routing.conditions import (
    FIELDS,
    MAX_DEPTH,
    MAX_LEAVES,
    MAX_REGEX_LENGTH,
    OPERATORS,
    OPERATORS_BY_KIND,
    Decision,
    Kind,
    Rule,
    decide,
    evaluate,
    field_kind,
    validate_actions,
    validate_conditions,
)

FACTS = {
    "inbox.id": 7,
    "inbox.name": "Support",
    "contact.attributes": {"tier": "gold", "orders": 12, "vip": True, "count_text": "42"},
    "contact.labels": ["vip", "Berlin"],
    "conversation.language": "de",
    "conversation.intent": "refund_return",
    "conversation.attributes": {"topic": "billing", "order_number": "A-1001"},
    "message.text": "Hello, I want a REFUND for order A-1001 please",
    "message.type": "text",
    "message.reply_id": "btn_sales",
    "message.reply_title": "Talk to sales",
    "customer.is_returning": True,
    "time.within_business_hours": False,
}


def leaf(field, op, *value):
    node = {"field": field, "op": op}
    if value:
        node["value"] = value[0]
    return node


# (leaf, expected on FACTS) — every whitelisted field and every operator at least once.
CASES = [
    (leaf("inbox.id", "equals", 7), True),
    (leaf("inbox.id", "equals", 8), False),
    (leaf("inbox.id", "equals", 7.0), True),
    (leaf("inbox.id", "not_equals", 8), True),
    (leaf("inbox.id", "in", [1, 7]), True),
    (leaf("inbox.id", "not_in", [1, 7]), False),
    (leaf("inbox.id", "gt", 6), True),
    (leaf("inbox.id", "gte", 7), True),
    (leaf("inbox.id", "lt", 7), False),
    (leaf("inbox.id", "lte", 7), True),
    (leaf("inbox.id", "exists"), True),
    (leaf("inbox.name", "equals", "Support"), True),
    (leaf("inbox.name", "equals", "support"), False),  # equals is exact
    (leaf("inbox.name", "contains", "port"), True),
    (leaf("inbox.name", "in", ["Sales", "Support"]), True),
    (leaf("contact.labels", "contains", "vip"), True),
    (leaf("contact.labels", "contains", "VIP"), False),
    (leaf("contact.labels", "contains_any", ["berlin", "paris"]), True),  # case-insensitive
    (leaf("contact.labels", "in", ["vip"]), True),
    (leaf("contact.labels", "not_in", ["spam"]), True),
    (leaf("contact.labels", "exists"), True),
    (leaf("contact.labels", "not_exists"), False),
    (leaf("contact.attributes.tier", "equals", "gold"), True),
    (leaf("contact.attributes.orders", "gt", 10), True),
    (leaf("contact.attributes.orders", "lt", 10), False),
    (leaf("contact.attributes.count_text", "gte", 42), True),  # a bot stored "42"
    (leaf("contact.attributes.tier", "gt", 1), False),  # not a number: no match
    (leaf("contact.attributes.vip", "is_true"), True),
    (leaf("contact.attributes.vip", "is_false"), False),
    (leaf("contact.attributes.vip", "equals", 1), False),  # true is not 1
    (leaf("contact.attributes.orders", "equals", "12"), False),  # "12" is not 12
    (leaf("contact.attributes.missing", "exists"), False),
    (leaf("contact.attributes.missing", "not_exists"), True),
    (leaf("contact.attributes.missing", "equals", "x"), False),
    (leaf("contact.attributes.missing", "not_equals", "x"), True),
    (leaf("contact.attributes.missing", "not_in", ["x"]), True),
    (leaf("contact.attributes.missing", "is_false"), False),
    (leaf("conversation.language", "equals", "de"), True),
    (leaf("conversation.language", "in", ["en", "fr"]), False),
    (leaf("conversation.intent", "equals", "refund_return"), True),
    (leaf("conversation.intent", "in", ["complaint", "cancel_order"]), False),
    (leaf("conversation.attributes.topic", "equals", "billing"), True),
    (leaf("conversation.attributes.order_number", "matches", r"^A-\d+$"), True),
    (leaf("message.text", "contains", "refund"), True),  # contains is case-insensitive
    (leaf("message.text", "contains_any", ["refund", "money back"]), True),
    (leaf("message.text", "contains_any", ["fun"]), False),  # whole words only
    (leaf("message.text", "contains_any", ["order a"]), True),  # phrases
    (leaf("message.text", "matches", r"order [a-z]-\d{4}"), True),  # regex, case-insensitive
    (leaf("message.text", "matches", r"^please"), False),
    (leaf("message.text", "not_exists"), False),
    (leaf("message.type", "equals", "text"), True),
    (leaf("message.type", "in", ["interactive", "button"]), False),
    (leaf("message.reply_id", "equals", "btn_sales"), True),
    (leaf("message.reply_id", "in", ["btn_support"]), False),
    (leaf("message.reply_title", "contains", "sales"), True),
    (leaf("customer.is_returning", "is_true"), True),
    (leaf("customer.is_returning", "equals", True), True),
    (leaf("time.within_business_hours", "is_false"), True),
    (leaf("time.within_business_hours", "is_true"), False),
]


@pytest.mark.parametrize(("tree", "expected"), CASES)
def test_every_field_and_operator(tree, expected):
    assert validate_conditions(tree) == []
    assert evaluate(tree, FACTS) is expected
    assert evaluate({"not": tree}, FACTS) is (not expected)


def test_cases_cover_every_field_and_operator():
    fields = {c[0]["field"] for c in CASES}
    ops = {c[0]["op"] for c in CASES}
    assert set(FIELDS) <= fields
    assert any(f.startswith("contact.attributes.") for f in fields)
    assert any(f.startswith("conversation.attributes.") for f in fields)
    assert ops == set(OPERATORS)


def test_keywords_with_punctuation_and_unicode_match_as_words():
    tree = leaf("message.text", "contains_any", ["c++", "rückerstattung"])
    assert evaluate(tree, {"message.text": "I code in C++ daily"})
    assert evaluate(tree, {"message.text": "Bitte Rückerstattung!"})
    assert not evaluate(tree, {"message.text": "abc++ and rückerstattungen"})


def test_nested_trees():
    tree = {
        "all": [
            {"any": [leaf("message.reply_id", "equals", "x"), leaf("inbox.id", "equals", 7)]},
            {"not": leaf("contact.labels", "contains", "spam")},
            {"all": [{"any": [leaf("message.text", "contains_any", ["refund"])]}]},
        ]
    }
    assert validate_conditions(tree) == []
    assert evaluate(tree, FACTS)
    assert not evaluate(tree, {**FACTS, "contact.labels": ["spam"]})


def test_empty_groups():
    assert evaluate({"all": []}, {})
    assert not evaluate({"any": []}, FACTS)
    assert validate_conditions({"all": []}) == []


@pytest.mark.parametrize(
    ("tree", "fragment"),
    [
        ({}, "found nothing"),
        ([], "expected an object"),
        ("refund", "expected an object"),
        (None, "got null"),
        ({"all": {}}, "expected a list"),
        ({"all": [], "any": []}, "only key"),
        ({"foo": 1}, "found foo"),
        (leaf("message.body", "equals", "x"), "unknown field 'message.body'"),
        (leaf("contact.attributes.", "exists"), "unknown field"),
        (leaf("contact.attributes.a b", "exists"), "unknown field"),
        (leaf("message.text", "like", "x"), "unknown operator 'like'"),
        (leaf("message.text", "gt", 3), "does not apply to message.text"),
        (leaf("customer.is_returning", "contains", "x"), "does not apply"),
        (leaf("contact.labels", "matches", "x"), "does not apply"),
        (leaf("message.text", "equals"), "needs a value"),
        (leaf("message.text", "exists", True), "takes no value"),
        (leaf("message.text", "equals", ["x"]), "must be a string, a number"),
        (leaf("message.text", "equals", {"a": 1}), "must be a string, a number"),
        (leaf("inbox.id", "equals", "7"), "must be a number"),
        (leaf("inbox.id", "in", [1, "2"]), "must be a number"),
        (leaf("customer.is_returning", "equals", "yes"), "true or false"),
        (leaf("message.text", "in", []), "non-empty list"),
        (leaf("message.text", "in", "abc"), "non-empty list"),
        (leaf("message.text", "in", [None]), "every value"),
        (leaf("message.text", "contains_any", []), "non-empty list of keywords"),
        (leaf("message.text", "contains_any", ["ok", " "]), "non-empty string"),
        (leaf("message.text", "contains_any", ["x" * 101]), "at most 100 characters"),
        (leaf("message.text", "contains_any", ["k"] * 101), "at most 100 keywords"),
        (leaf("message.text", "matches", "(unclosed"), "invalid regular expression"),
        (leaf("message.text", "matches", "a" * (MAX_REGEX_LENGTH + 1)), "longer than"),
        (leaf("message.text", "matches", ""), "non-empty string"),
        (leaf("contact.attributes.n", "gt", "3"), "must be a number"),
        (leaf("contact.attributes.n", "gt", True), "must be a number"),
        (leaf("contact.attributes.n", "equals", float("nan")), "must be a string"),
        ({"field": "message.text", "op": "equals", "value": "x", "extra": 1}, "unexpected key"),
        ({"field": "message.text"}, "unknown operator None"),
    ],
)
def test_validation_errors_are_readable(tree, fragment):
    errors = validate_conditions(tree)
    assert errors, tree
    assert any(fragment in e for e in errors), errors
    assert all(e.startswith("conditions") for e in errors)


def test_errors_name_the_path():
    errors = validate_conditions({"all": [leaf("inbox.id", "equals", 1), {"not": leaf("x", "y")}]})
    assert errors[0].startswith("conditions.all[1].not: unknown field 'x'")


def test_depth_and_size_limits():
    deep: dict = leaf("inbox.id", "exists")
    for _ in range(MAX_DEPTH + 1):
        deep = {"not": deep}
    assert any("nested more than" in e for e in validate_conditions(deep))
    wide = {"any": [leaf("inbox.id", "equals", i) for i in range(MAX_LEAVES + 1)]}
    assert any("at most" in e for e in validate_conditions(wide))


def test_every_kind_has_operators_that_exist():
    for kind, ops in OPERATORS_BY_KIND.items():
        assert ops <= set(OPERATORS), kind
    assert field_kind("contact.attributes.tier") == Kind.ANY
    assert field_kind(3) is None


@pytest.mark.parametrize(
    "tree",
    [
        {},
        None,
        [],
        {"all": "x"},
        {"any": None},
        leaf("nope", "equals", 1),
        leaf("message.text", "nope", 1),
        leaf("message.text", "in", "not a list"),
        leaf("message.text", "contains_any", "not a list"),
        leaf("message.text", "matches", "(bad"),
        leaf("message.text", "matches", 3),
        leaf("inbox.id", "gt", "x"),
    ],
)
def test_invalid_trees_never_raise_and_do_not_match(tree):
    assert evaluate(tree, FACTS) is False


def test_facts_of_unexpected_types_do_not_match():
    facts = {
        "message.text": 12,
        "contact.labels": 5,
        "contact.attributes": ["not", "a", "dict"],
        "inbox.id": None,
    }
    assert not evaluate(leaf("message.text", "contains", "1"), facts)
    assert not evaluate(leaf("message.text", "matches", "1"), facts)
    assert not evaluate(leaf("contact.labels", "contains_any", ["vip"]), {**facts})
    assert not evaluate(leaf("contact.labels", "contains", "vip"), facts)
    assert not evaluate(leaf("contact.attributes.tier", "exists"), facts)
    assert not evaluate(leaf("inbox.id", "equals", 1), facts)
    assert evaluate(leaf("inbox.id", "not_equals", 1), facts)


def test_regex_only_sees_the_first_4096_characters():
    facts = {"message.text": "a" * 5000 + "needle"}
    assert not evaluate(leaf("message.text", "matches", "needle"), facts)
    assert evaluate(leaf("message.text", "matches", "^a+$"), {"message.text": "a" * 5000})


# ------------------------------------------------------------------------------------------
# decide


def rule(rule_id, conditions, actions=None, enabled=True, name=None):
    return Rule(
        id=rule_id,
        name=name or f"rule {rule_id}",
        conditions=conditions,
        actions=actions or {"team": "Sales"},
        enabled=enabled,
    )


def test_first_enabled_matching_rule_wins():
    rules = [
        rule(1, leaf("message.reply_id", "equals", "other")),
        rule(2, {"all": []}, {"team": "Billing"}, enabled=False),
        rule(3, leaf("message.text", "contains_any", ["refund"]), {"team": "Billing"}),
        rule(4, {"all": []}, {"team": "Support"}),
    ]
    decision = decide(rules, FACTS)
    assert decision == Decision(rule_id=3, rule_name="rule 3", team="Billing")


def test_no_rule_matches():
    assert decide([rule(1, {"any": []})], FACTS) is None
    assert decide([], FACTS) is None


def test_decision_normalises_actions():
    decision = decide(
        [
            rule(
                9,
                {"all": []},
                {
                    "team": "Sales",
                    "priority": "urgent",
                    "labels": ["vip", " lead ", "vip", 3],
                    "agent": "alice",
                    "strategy": "least_loaded",
                },
            )
        ],
        {},
    )
    assert decision is not None
    assert (decision.priority, decision.labels, decision.agent, decision.strategy) == (
        3,
        ("vip", "lead"),
        "alice",
        "least_loaded",
    )
    assert decision.as_dict()["rule"] == "rule 9"


def test_decision_ignores_malformed_actions():
    decision = decide([rule(1, {"all": []}, {"priority": 9, "strategy": "x", "labels": "a"})], {})
    assert decision == Decision(rule_id=1, rule_name="rule 1")


# ------------------------------------------------------------------------------------------
# actions

TEAMS = {"Sales", "Support"}
AGENTS = {"alice": {"Sales"}, "bob": {"Support"}, "lonely": set()}


def test_valid_actions():
    actions = {
        "team": "Sales",
        "priority": 2,
        "labels": ["vip"],
        "agent": "alice",
        "strategy": "sticky",
    }
    assert validate_actions(actions, teams=TEAMS, agents=AGENTS) == []
    assert validate_actions({"priority": "high"}, teams=TEAMS, agents=AGENTS) == []
    assert validate_actions({"agent": "lonely"}, teams=TEAMS, agents=AGENTS) == []


@pytest.mark.parametrize(
    ("actions", "fragment"),
    [
        ([], "expected an object"),
        ({}, "must do something"),
        ({"team": "Nope"}, "no team 'Nope'"),
        ({"team": 3}, "expected a team name"),
        ({"priority": 4}, "actions.priority"),
        ({"priority": -1}, "actions.priority"),
        ({"priority": True}, "actions.priority"),
        ({"priority": "asap"}, "actions.priority"),
        ({"labels": []}, "actions.labels"),
        ({"labels": "vip"}, "actions.labels"),
        ({"labels": [""]}, "actions.labels"),
        ({"labels": ["x" * 51]}, "actions.labels"),
        ({"labels": [f"l{i}" for i in range(21)]}, "actions.labels"),
        ({"agent": "mallory"}, "no active agent 'mallory'"),
        ({"agent": ""}, "expected a username"),
        ({"team": "Support", "agent": "alice"}, "not a member of team 'Support'"),
        ({"strategy": "random"}, "actions.strategy"),
        ({"team": "Sales", "colour": "red"}, "unknown action(s) colour"),
    ],
)
def test_invalid_actions(actions, fragment):
    errors = validate_actions(actions, teams=TEAMS, agents=AGENTS)
    assert any(fragment in e for e in errors), errors
