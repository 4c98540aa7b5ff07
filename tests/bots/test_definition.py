"""``bots.definition``: the schema and every refusal naming its step (no database)."""

from __future__ import annotations

import copy

import pytest

from baton.bots.definition import (
    FlowDefinition,
    FlowInvalid,
    parse_flow,
    placeholders,
    render,
    validate_flow,
)
from tests.bots.flows import closing, front_desk


def test_the_issue_example_is_valid():
    assert validate_flow(front_desk()) == []
    flow = parse_flow(front_desk())
    assert isinstance(flow, FlowDefinition)
    assert flow.version == 1
    assert [s.id for s in flow.steps][:2] == ["menu", "order_no"]
    assert validate_flow(closing(comment=True)) == []


def with_step(flow, step_id, **changes):
    flow = copy.deepcopy(flow)
    for step in flow["steps"]:
        if step["id"] == step_id:
            step.update(changes)
    return flow


def test_dangling_next_names_the_step():
    flow = with_step(front_desk(), "order_no", next="nowhere")
    errors = validate_flow(flow)
    assert "step 'order_no': next 'nowhere' is not a step." in errors
    # and to_support is no longer reachable
    assert "step 'to_support': unreachable from the start 'menu'." in errors


def test_dangling_button_next_and_start():
    flow = front_desk(start="nope")
    flow["steps"][0]["buttons"][0]["next"] = "gone"
    errors = validate_flow(flow)
    assert "flow: start 'nope' is not a step." in errors
    assert "step 'menu': button 'track' next 'gone' is not a step." in errors


def test_unknown_type_and_missing_type():
    flow = front_desk()
    flow["steps"].append({"id": "x", "type": "dance"})
    flow["steps"].append({"id": "y"})
    errors = validate_flow(flow)
    assert any(e.startswith("step 'x': unknown step type 'dance'") for e in errors)
    assert "step 'y': a step needs a type." in errors


def test_unreachable_step():
    flow = front_desk()
    flow["steps"].append({"id": "orphan", "type": "close"})
    assert validate_flow(flow) == ["step 'orphan': unreachable from the start 'menu'."]


def test_more_than_three_buttons():
    flow = front_desk()
    flow["steps"][0]["buttons"] += [
        {"id": "a", "title": "A", "next": "to_sales"},
        {"id": "b", "title": "B", "next": "to_sales"},
    ]
    assert "step 'menu': at most 3 buttons (found 4)." in validate_flow(flow)


def test_whatsapp_limits():
    flow = front_desk()
    flow["steps"][0]["buttons"][0]["title"] = "A title far too long for WhatsApp"
    flow["steps"][0]["text"] = "x" * 1025
    errors = validate_flow(flow)
    assert (
        "step 'menu': button 'track': a button title has at most 20 characters (found 33)."
        in errors
    )
    assert (
        "step 'menu': an interactive message's body has at most 1024 characters (found 1025)."
        in errors
    )


def test_list_limits():
    rows = [{"id": f"r{i}", "title": f"Row {i}", "next": "to_sales"} for i in range(11)]
    rows[0]["title"] = "y" * 25
    flow = with_step(front_desk(), "menu", buttons=[], list={"button": "Choose", "rows": rows})
    flow["steps"][0].pop("buttons")
    errors = validate_flow(flow)
    assert "step 'menu': a list has 1-10 rows (found 11)." in errors
    assert "step 'menu': row 'r0': a row title has at most 24 characters (found 25)." in errors


def test_duplicate_ids():
    flow = front_desk()
    flow["steps"].append({"id": "menu", "type": "close"})
    assert "step 'menu': duplicate id." in validate_flow(flow)


def test_unknown_keys_are_refused():
    flow = with_step(front_desk(), "menu", colour="blue")
    assert validate_flow(flow) == ["step 'menu': colour: Extra inputs are not permitted."]
    assert validate_flow({**front_desk(), "owner": "me"}) == [
        "flow: owner: Extra inputs are not permitted."
    ]


def test_branch_conditions_use_the_routing_language_with_bot_fields():
    flow = with_step(
        front_desk(),
        "after_silence",
        branches=[
            {"when": {"field": "bot.order_number", "op": "exists"}, "next": "to_support"},
            {
                "when": {"field": "contact.attributes.tier", "op": "equals", "value": "gold"},
                "next": "to_sales",
            },
            {"when": {"field": "message.reply_id", "op": "exists"}, "next": "to_sales"},
        ],
    )
    errors = validate_flow(flow)
    assert len(errors) == 1
    assert errors[0].startswith("step 'after_silence': branches[2].when: unknown field")


def test_timeouts_only_on_waiting_steps_and_in_pairs():
    flow = with_step(front_desk(), "order_no", timeout_seconds=30)
    assert validate_flow(flow) == ["step 'order_no': timeout_seconds and on_timeout go together."]
    flow = front_desk()
    flow["steps"].append(
        {
            "id": "plain",
            "type": "message",
            "text": "Hello",
            "timeout_seconds": 5,
            "on_timeout": "to_sales",
        }
    )
    flow["steps"][0]["buttons"][1]["next"] = "plain"
    errors = validate_flow(flow)
    assert "step 'plain': only a step that waits for the customer can time out." in errors


def test_ask_validate_is_a_type_or_a_regex():
    assert validate_flow(with_step(front_desk(), "order_no", validate="email")) == []
    errors = validate_flow(with_step(front_desk(), "order_no", validate="(unclosed"))
    assert len(errors) == 1
    assert "nor a valid regex" in errors[0]


def test_handoff_to_team_or_agent_not_both():
    flow = with_step(front_desk(), "to_sales", agent="alice")
    assert validate_flow(flow) == ["step 'to_sales': hand off to a team or to an agent, not both."]


def test_not_an_object():
    assert validate_flow([1]) == ["flow: expected an object, got list."]
    with pytest.raises(FlowInvalid) as info:
        parse_flow({"name": "x"})
    assert "flow: start: Field required." in info.value.errors


def test_render_placeholders():
    assert render(
        "Order {{order_number}} for {{ name }}{{missing}}", {"order_number": 12, "name": "Ana"}
    ) == ("Order 12 for Ana")
    assert placeholders("Hi {{name}}, {{ order }}") == ["name", "order"]
