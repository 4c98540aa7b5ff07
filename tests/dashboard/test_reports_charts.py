"""The SVG charts: well-formed, and no label can become markup."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from baton.dashboard.charts import bar_chart, heat_map

HOSTILE = '<script>alert("x")</script> & "quotes"'


def test_bar_chart_escapes_labels_and_titles():
    svg = bar_chart(HOSTILE, [HOSTILE, "Tue"], [(HOSTILE, [3, 0]), ("Resolved", [1, 2])])
    root = ET.fromstring(  # noqa: S314 (our own markup)
        svg
    )  # well-formed XML, so nothing broke out of an attribute
    assert "<script>" not in svg
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert HOSTILE in texts
    bars = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.find("*") is not None]
    assert len(bars) == 4
    heights = [float(r.get("height")) for r in bars]
    assert heights[0] == max(heights)  # 3 is the peak
    assert heights[2] == 0  # Tue, first series


def test_empty_bar_chart_draws_no_bars():
    root = ET.fromstring(  # noqa: S314 (our own markup)
        bar_chart("Nothing", [], [])
    )
    assert root.tag.endswith("svg")


def test_heat_map_has_168_cells_and_escapes_its_unit():
    cells = [[float(d * 24 + h) for h in range(24)] for d in range(7)]
    svg = heat_map("Volume", cells, HOSTILE)
    root = ET.fromstring(  # noqa: S314 (our own markup)
        svg
    )
    rects = list(root.iter("{http://www.w3.org/2000/svg}rect"))
    assert len(rects) == 168
    assert rects[0].get("fill-opacity") == "0.00"  # zero is blank
    assert rects[-1].get("fill-opacity") == "1.00"  # the peak is full
    assert "<script>" not in svg
