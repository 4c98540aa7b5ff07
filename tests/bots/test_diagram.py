"""The flow diagram (bots.diagram): a box per step, an arrow per way out, labels escaped."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from baton.bots.definition import parse_flow
from baton.bots.diagram import edges, flow_svg, layout
from tests.bots.flows import front_desk

SVG = "{http://www.w3.org/2000/svg}"


def _parsed(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314  (our own markup: well-formedness check)


def test_one_box_per_step_and_one_arrow_per_way_out():
    flow = parse_flow(front_desk())
    root = _parsed(flow_svg(flow))
    boxes = {g.get("data-step") for g in root.iter(f"{SVG}g") if g.get("data-step")}
    assert boxes == {step.id for step in flow.steps}
    arrows = {
        (g.get("data-from"), g.get("data-to"))
        for g in root.iter(f"{SVG}g")
        if g.get("class", "").startswith("edge")
    }
    assert ("menu", "order_no") in arrows  # a button
    assert ("menu", "to_sales") in arrows
    assert ("order_no", "to_support") in arrows  # ask's next
    assert ("menu", "after_silence") in arrows  # on_timeout
    timeouts = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge timeout"]
    assert [g.get("data-to") for g in timeouts] == ["after_silence"]
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "Track my order" in labels
    assert "silent 10 min" in labels


def test_columns_follow_the_distance_from_the_start():
    flow = parse_flow(front_desk())
    places = layout(flow)
    assert places["menu"] == (0, 0)
    assert places["order_no"][0] == 1
    assert places["to_sales"][0] == 1
    assert places["to_support"][0] == 2
    assert len(set(places.values())) == len(places)  # no two boxes on one spot


def test_a_list_and_a_branch_draw_labelled_arrows():
    flow = parse_flow(
        {
            "name": "Lists",
            "start": "pick",
            "steps": [
                {
                    "id": "pick",
                    "type": "message",
                    "text": "Pick",
                    "list": {
                        "button": "Choose",
                        "rows": [{"id": "a", "title": "Row A", "next": "check"}],
                    },
                },
                {
                    "id": "check",
                    "type": "branch",
                    "branches": [
                        {"when": {"field": "bot.x", "op": "exists"}, "next": "pick"},
                    ],
                    "default": "bye",
                },
                {"id": "bye", "type": "close"},
            ],
        }
    )
    assert [(e.target, e.label) for e in edges(flow.step("pick"))] == [("check", "Row A")]
    assert [(e.target, e.label) for e in edges(flow.step("check"))] == [
        ("pick", "condition 1"),
        ("bye", "otherwise"),
    ]
    _parsed(flow_svg(flow))  # a loop back to an earlier column still draws valid SVG


def test_every_label_from_the_flow_is_escaped():
    hostile = front_desk(name='<b onload="x">')
    hostile["steps"][0]["text"] = "<script>alert(1)</script>"
    hostile["steps"][0]["buttons"][0]["title"] = "<img src=x>"
    svg = flow_svg(parse_flow(hostile))
    assert "<script>" not in svg
    assert "<img" not in svg
    assert "<b " not in svg
    assert "&lt;script&gt;" in svg
    assert "&lt;img src=x&gt;" in svg
    root = _parsed(svg)  # still well-formed
    assert not [el for el in root.iter() if re.sub(r"\{.*\}", "", el.tag) in ("script", "img")]
