"""The inline-SVG helpers: geometry from numbers, labels escaped, empty data drawn sanely."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from duban.battlemap import svg


def widths(markup: str) -> list[float]:
    return [
        float(w)
        for w in re.findall(r'<rect class="seg-[a-z]+" x="[^"]+" y="0" width="([^"]+)"', markup)
    ]


def test_stacked_bar_segments_fill_the_bar_in_order():
    markup = svg.stacked_bar([("closed", 1), ("green", 2), ("red", 1), ("none", 0)], label="x")
    assert widths(markup) == [25.0, 50.0, 25.0]
    assert re.findall(r'class="(seg-[a-z]+)"', markup) == ["seg-closed", "seg-green", "seg-red"]
    assert 'x="75"' in markup  # the red segment starts where green ended


def test_labels_are_escaped():
    markup = svg.stacked_bar([("green", 1)], label='<script>"x"</script>')
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert "<script>" not in svg.bar(1, 2, label="<script>")
    assert "<b>" not in svg.donut([("red", 1)], label="<b>", center="<b>")


def test_empty_data_draws_an_empty_track():
    assert 'class="track"' in svg.stacked_bar([("green", 0)], label="空")
    assert 'width="0"' in svg.bar(0, 0, label="空")
    assert '<circle class="seg' not in svg.donut([("red", 0)], label="空")


def test_bar_is_clamped():
    assert 'class="seg-closed" x="0" y="0" width="100"' in svg.bar(5, 2, label="多")
    assert 'width="33.33"' in svg.bar(1, 3, label="三分之一")


def test_donut_arcs_add_up_to_the_circumference():
    markup = svg.donut([("green", 3), ("red", 1)], label="环", center="4")
    dashes = [float(a) for a in re.findall(r'stroke-dasharray="([0-9.]+) ', markup)]
    assert round(sum(dashes), 1) == round(2 * 3.141592653589793 * 40, 1)
    assert dashes[0] == pytest.approx(3 * dashes[1], abs=0.02)


def test_trend_scales_x_by_date_and_y_by_the_maximum():
    days = [dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 11)]
    markup = svg.trend(days, [("red", [0, 5, 10])], label="趋势", width=134, height=128)
    # inner width 134 - 34 - 6 = 94 over 10 days; inner height 128 - 20 - 8 = 100 over 10
    assert 'points="34,108 43.4,58 128,8"' in markup
    single = svg.trend([days[0]], [("red", [2])], label="一天")
    assert "<circle" in single and "polyline" not in single
