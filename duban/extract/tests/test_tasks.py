"""Directives → commitments and their clauses: splitting, verbs, pillars, actors, what is not a task."""

from __future__ import annotations

import datetime

import pytest

from duban.extract.directives import leading_verb, split_sentences
from duban.extract.pipeline import extract_text

BASE = datetime.date(2024, 3, 1)


def tasks(text: str) -> list[tuple[str, str]]:
    return [(t.text, t.verb) for t in extract_text(text, date=BASE).tasks]


def clauses(text: str) -> list[tuple[str, str]]:
    """The clauses of a one-sentence text: its one task's items, or the task itself."""
    (task,) = extract_text(text, date=BASE).tasks
    return [(i.text, i.verb) for i in task.items] or [(task.text, task.verb)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "着力抓项目强投资、促消费增活力、稳外资稳外贸。",
            [("抓项目强投资", "着力"), ("促消费增活力", "着力"), ("稳外资稳外贸", "着力")],
        ),
        ("要坚持补短板、强弱项。", [("补短板", "坚持"), ("强弱项", "坚持")]),
        # A list of nouns after the verb is one task.
        ("要加快建设港口、机场、铁路。", [("要加快建设港口、机场、铁路", "建设")]),
        # A modifier list (「……的」) is one object.
        ("要完善引人才、引项目的支持政策。", [("要完善引人才、引项目的支持政策", "完善")]),
        # Each verb-led clause is its own task; lead-ins stay with the next one.
        (
            "要深化园区改革，以亩均效益为导向，推进低效用地再开发。",
            [("要深化园区改革", "深化"), ("以亩均效益为导向，推进低效用地再开发", "推进")],
        ),
        # An actor with a modal before the verb.
        ("各级领导干部要带头深入基层调研。", [("各级领导干部要带头深入基层调研", "深入")]),
    ],
)
def test_one_sentence_is_one_task_its_clauses_are_items(
    sentence: str, expected: list[tuple[str, str]]
) -> None:
    assert clauses(sentence) == expected
    (task,) = extract_text(sentence, date=BASE).tasks
    assert task.text == sentence.rstrip("。")


@pytest.mark.parametrize(
    "sentence",
    [
        "全会报告体现了以人民为中心的发展思想，是一个求真务实的好报告。",
        "“春风又绿江南岸，明月何时照我还。”",
        "过去一年，我们新建学校二十所。",
        "要看到，我们的发展基础越来越好。",
        "今天天气晴朗。",
    ],
)
def test_not_tasks(sentence: str) -> None:
    assert tasks(sentence) == []


def test_empty_text_gives_warning_not_error() -> None:
    doc = extract_text("", date=BASE)
    assert doc.tasks == []
    assert any("没有找到任务" in w for w in doc.warnings)


def test_pillar_from_a_formulation_spelled_out_on_the_page() -> None:
    text = "紧紧围绕立、破、统“三字方针”开展工作。要守住“立”的根基，着力建制度、强队伍。"
    doc = extract_text(text, date=BASE)
    tagged = [(t.text, t.pillar, t.framework) for t in doc.tasks if t.pillar]
    assert tagged == [("要守住“立”的根基，着力建制度、强队伍", "立", "三字方针")]
    assert [i.text for i in doc.tasks[-1].items] == ["要守住“立”的根基", "建制度", "强队伍"]


def test_actors_named() -> None:
    doc = extract_text("各级党组织要压实责任，各级领导干部要带头落实。", date=BASE)
    assert doc.tasks and all(t.actors == ["各级党组织", "各级领导干部"] for t in doc.tasks)


def test_review_part_of_a_report_gives_no_tasks() -> None:
    text = "\n".join(
        [
            "某市政府工作报告",
            "各位代表：",
            "一、2023年工作回顾",
            "我们坚持稳中求进，推进产业升级，完成投资目标。",
            "二、2024年重点工作",
            "（一）加快建设现代化产业体系。实施制造业倍增计划。推进数字经济发展。",
            "（二）持续保障和改善民生",
            "新建改建学校10所。",
        ]
    )
    doc = extract_text(text, date=BASE)
    assert [(t.text, t.section) for t in doc.tasks] == [
        ("实施制造业倍增计划", "加快建设现代化产业体系"),
        ("推进数字经济发展", "加快建设现代化产业体系"),
        ("新建改建学校10所", "持续保障和改善民生"),
    ]
    assert doc.tasks[-1].targets[0].value == "10所"


@pytest.mark.parametrize(
    ("clause", "verb"),
    [
        ("着力稳就业", "着力"),
        ("要进一步缩减清单", "缩减"),
        ("今年要基本实现通办", "实现"),
        ("进出口逆势上扬", None),
        # A first-person commitment without 要: 「我们坚决维护……」 as 「我们要坚决维护……」.
        ("我们坚决维护国家主权和领土完整", "坚决"),
        ("我们坚持独立自主的和平外交政策", "坚持"),
        ("我们生活的世界充满希望", None),
    ],
)
def test_leading_verb(clause: str, verb: str | None) -> None:
    found = leading_verb(clause)
    assert (found[0] if found else None) == verb


def test_sentences_keep_closing_quotes() -> None:
    text = "他说：“要干。”我们干。"
    assert [text[a:b] for a, b in split_sentences(text, 0, len(text))] == [
        "他说：“要干。”",
        "我们干。",
    ]


@pytest.mark.parametrize(
    ("text", "given", "source", "expected"),
    [
        (
            "政府工作报告\n——2021年3月5日在第十三届全国人民代表大会第四次会议上\n要办实事。",
            None,
            "document",
            datetime.date(2021, 3, 5),
        ),
        (
            "某市报告\n时间：2026-02-03\n要办实事。" + "正文。" * 3,
            None,
            "document",
            datetime.date(2026, 2, 3),
        ),
        ("要办实事。", BASE, "argument", BASE),
        ("要办实事。", None, "today", datetime.date.today()),
    ],
)
def test_base_date_source(
    text: str, given: datetime.date | None, source: str, expected: datetime.date
) -> None:
    doc = extract_text(text, date=given)
    assert (doc.date, doc.date_source) == (expected, source)
    assert any(expected.isoformat() in w for w in doc.warnings)


def test_relative_deadline_uses_the_delivery_date() -> None:
    text = "政府工作报告\n——2021年3月5日在第十三届全国人民代表大会第四次会议上\n各位代表：\n年底前要完成老旧小区改造。"
    (task,) = extract_text(text).tasks
    assert task.deadline is not None
    assert (task.deadline.text, task.deadline.start, task.deadline.end) == (
        "年底前",
        datetime.date(2021, 3, 5),
        datetime.date(2021, 12, 31),
    )


def test_party_history_is_narration_not_a_task() -> None:
    # A congress report's account of the party's generations of leadership tells history
    # in the middle of its forward-looking parts; it asks nothing of anyone.
    from duban.extract.pipeline import extract_text

    text = "\n".join(
        [
            "某某市政府工作报告",
            "各位代表：",
            "一、2026年重点工作",
            "（一）坚持和发展道路",
            "以某同志为核心的党的第二代中央领导集体带领全党深刻总结经验，作出实行改革开放的决策，开辟新时期。",
            "要坚定不移走这条道路，推动高质量发展。",
        ]
    )
    tasks = [t.text for t in extract_text(text).tasks]
    assert not any("领导集体" in t for t in tasks), tasks
    assert any("推动高质量发展" in t for t in tasks), tasks
