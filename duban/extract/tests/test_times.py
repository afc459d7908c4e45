"""Deadline expressions resolved against a base date (hand-written table)."""

from __future__ import annotations

from datetime import date

import pytest

from duban.extract.times import find_deadline, resolve

BASE = date(2020, 7, 22)


@pytest.mark.parametrize(
    ("expr", "start", "end"),
    [
        ("下半年", date(2020, 7, 1), date(2020, 12, 31)),
        ("十月底前", date(2020, 7, 22), date(2020, 10, 31)),
        ("二〇二一年十月底前", date(2020, 7, 22), date(2021, 10, 31)),
        ("十二月二十日前", date(2020, 7, 22), date(2020, 12, 20)),
        ("明年上半年", date(2021, 1, 1), date(2021, 6, 30)),
        ("到二〇三五年", BASE, date(2035, 12, 31)),
        ("上半年", date(2020, 1, 1), date(2020, 6, 30)),
        ("年底前", BASE, date(2020, 12, 31)),
        ("今年底前", BASE, date(2020, 12, 31)),
        ("2020年9月底前", BASE, date(2020, 9, 30)),
        ("9月底前", BASE, date(2020, 9, 30)),
        ("“十四五”期间", date(2021, 1, 1), date(2025, 12, 31)),
        ("十四五", date(2021, 1, 1), date(2025, 12, 31)),
        ("十五五", date(2026, 1, 1), date(2030, 12, 31)),
        ("十三五", date(2016, 1, 1), date(2020, 12, 31)),
        ("今年", date(2020, 1, 1), date(2020, 12, 31)),
        ("年内", date(2020, 1, 1), date(2020, 12, 31)),
        ("明年", date(2021, 1, 1), date(2021, 12, 31)),
        ("一季度", date(2020, 1, 1), date(2020, 3, 31)),
        ("第四季度", date(2020, 10, 1), date(2020, 12, 31)),
        ("三年内", BASE, date(2023, 7, 22)),
        ("6个月内", BASE, date(2021, 1, 22)),
        ("到2025年", BASE, date(2025, 12, 31)),
        ("2022年底前", BASE, date(2022, 12, 31)),
    ],
)
def test_resolve(expr: str, start: date, end: date) -> None:
    assert resolve(expr, BASE) == (start, end)


@pytest.mark.parametrize(
    "text",
    [
        "第十五届运动会",
        "十五运会",
        "3月5日召开",
        "2026年重点工作",
        "“八五”普法规划",
        "二十五个项目",
        "三年行动",
    ],
)
def test_not_deadlines(text: str) -> None:
    assert find_deadline(text, BASE) is None


def test_first_expression_in_a_task_wins() -> None:
    dl = find_deadline("年底前完成改造，明年全面推开", BASE)
    assert dl is not None and dl.text == "年底前" and dl.end == date(2020, 12, 31)


def test_a_mid_year_meeting_dates_its_tasks_by_the_end_of_the_half() -> None:
    from duban.extract.pipeline import extract_text

    text = "全会对下半年工作作出安排部署。要加快推进重大项目建设。要在9月底前完成城东水厂。"
    doc = extract_text(text, date=date(2020, 7, 22))
    by_text = {t.text: t.deadline for t in doc.tasks}
    dl = by_text["要加快推进重大项目建设"]
    assert (dl.text, dl.start, dl.end) == ("下半年", date(2020, 7, 1), date(2020, 12, 31))
    own = by_text["要在9月底前完成城东水厂"]
    assert own.end == date(2020, 9, 30)
    # Without such a horizon a task keeps no deadline.
    plain = extract_text("要加快推进重大项目建设。", date=date(2020, 7, 22))
    assert plain.tasks[0].deadline is None
