"""Numbers with units and the indicator tasks of a 主要预期目标 paragraph."""

from __future__ import annotations

import datetime

import pytest

from duban.extract.pipeline import extract_text
from duban.extract.targets import find_targets


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("地区生产总值增长6%左右", ["6%"]),
        ("新增就业12万人以上", ["12万人"]),
        ("粮食产量稳定在50亿斤", ["50亿斤"]),
        ("能耗降低2.5％", ["2.5%"]),
        ("增长4.5%—5%", ["4.5%—5%"]),
        ("PM2.5浓度下降，建成5G基站", []),
        ("2024年", []),
    ],
)
def test_find_targets(text: str, values: list[str]) -> None:
    assert [t.value for t in find_targets(text)] == values


def test_indicator_tasks_one_per_number() -> None:
    text = (
        "今年主要预期目标是：地区生产总值增长6%左右、力争更好；城镇新增就业12万人以上，"
        "城镇调查失业率5.5%以内；城乡居民收入分别增长5%和7%；居民收入增长与经济增长同步。"
    )
    doc = extract_text(text, date=datetime.date(2024, 1, 20))
    ind = [(t.text, t.targets[0].value) for t in doc.tasks if t.kind == "indicator"]
    assert ind == [
        ("地区生产总值增长6%左右", "6%"),
        ("城镇新增就业12万人以上", "12万人"),
        ("城镇调查失业率5.5%以内", "5.5%"),
        ("城乡居民收入分别增长5%和7%", "5%"),
        ("城乡居民收入分别增长5%和7%", "7%"),
    ]
    for t in doc.tasks:
        assert t.text in doc.text[t.start : t.end]


def test_targets_paragraph_gives_indicators_once_and_in_reading_order():

    text = (
        "一、2026年重点工作\n"
        "今年要坚持稳中求进。今年发展主要预期目标是：地区生产总值增长6%左右，"
        "规模以上工业增加值增长7%，城镇新增就业5万人以上。\n"
        "（一）扩大有效投资。要加快推进城东水厂二期工程建设。\n"
    )
    doc = extract_text(text, date=datetime.date(2026, 2, 1))
    growth = [t for t in doc.tasks if "工业增加值" in t.text]
    assert [t.kind for t in growth] == ["indicator"]
    assert [t.start for t in doc.tasks] == sorted(t.start for t in doc.tasks)
    assert [t.kind for t in doc.tasks][-1] == "task"  # the 水厂 directive comes last


def test_the_targets_list_may_go_on_in_the_next_sentence() -> None:

    text = (
        "二、2026年重点工作\n"
        "今年发展的主要预期目标是：地区生产总值增长5.5%左右，城镇新增就业80万人以上，"
        "居民收入增长和经济增长基本同步。单位地区生产总值能耗下降2.5%左右，主要污染物排放继续减少。"
        "增长目标5.5%左右，考虑了稳就业的需要，也有利于引导预期。\n"
    )
    doc = extract_text(text, date=datetime.date(2026, 1, 20))
    values = [x.value for t in doc.tasks if t.kind == "indicator" for x in t.targets]
    assert values == ["5.5%", "80万人", "2.5%"]  # the explanation after is no target
