"""Property tests of the evaluator: it never raises, `not` inverts, the group identities hold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from baton.routing.conditions import (
    FIELDS,
    OPERATORS,
    OPERATORS_BY_KIND,
    evaluate,
    field_kind,
    validate_conditions,
)

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
field_names = st.one_of(
    st.sampled_from(sorted(FIELDS)),
    st.sampled_from(["contact.attributes.tier", "conversation.attributes.topic"]),
)
facts_strategy = st.fixed_dictionaries(
    {},
    optional={
        **dict.fromkeys(FIELDS, json_values),
        "contact.attributes": json_values,
        "conversation.attributes": json_values,
    },
)


@st.composite
def valid_leaves(draw):
    name = draw(field_names)
    op = draw(st.sampled_from(sorted(OPERATORS_BY_KIND[field_kind(name)])))
    need = OPERATORS[op]
    node = {"field": name, "op": op}
    kind = field_kind(name).value
    numbers = st.integers(-1000, 1000) | st.floats(-1e6, 1e6, allow_nan=False)
    if need == "scalar":
        if kind == "number":
            node["value"] = draw(numbers)
        elif kind == "bool":
            node["value"] = draw(st.booleans())
        else:
            node["value"] = draw(st.text(max_size=10) | st.integers() | st.booleans())
    elif need == "scalars":
        items = numbers if kind == "number" else st.text(max_size=10) | st.integers()
        node["value"] = draw(st.lists(items, min_size=1, max_size=4))
    elif need == "keywords":
        node["value"] = draw(
            st.lists(st.text(min_size=1, max_size=10).filter(str.strip), min_size=1, max_size=4)
        )
    elif need == "regex":
        node["value"] = draw(st.sampled_from(["refund", r"^\d+$", "a|b", r"(?i)order\s+\w+"]))
    elif need == "number":
        node["value"] = draw(numbers)
    return node


valid_trees = st.recursive(
    valid_leaves(),
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(valid_trees, facts_strategy)
def test_validated_trees_evaluate_on_any_facts_without_raising(tree, facts):
    assert validate_conditions(tree) == []
    assert evaluate(tree, facts) in (True, False)


@settings(max_examples=100, deadline=None)
@given(valid_trees, facts_strategy)
def test_not_inverts(tree, facts):
    assert evaluate({"not": tree}, facts) is (not evaluate(tree, facts))


@settings(max_examples=100, deadline=None)
@given(st.lists(valid_trees, max_size=4), facts_strategy)
def test_all_and_any_are_conjunction_and_disjunction(children, facts):
    results = [evaluate(c, facts) for c in children]
    assert evaluate({"all": children}, facts) is all(results)
    assert evaluate({"any": children}, facts) is any(results)


@settings(max_examples=150, deadline=None)
@given(json_values, facts_strategy)
def test_arbitrary_json_never_raises(tree, facts):
    errors = validate_conditions(tree)
    assert isinstance(errors, list)
    assert evaluate(tree, facts) in (True, False)


@given(facts_strategy)
def test_empty_all_matches_everything_and_empty_any_nothing(facts):
    assert evaluate({"all": []}, facts) is True
    assert evaluate({"any": []}, facts) is False
