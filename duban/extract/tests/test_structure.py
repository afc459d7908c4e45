"""Structure: articles, bylines, report parts and areas (hand-written documents)."""

from __future__ import annotations

import pytest

from duban.extract.model import ParsedDocument
from duban.extract.normalize import normalize
from duban.extract.structure import cn_number, part_kind, structure


def parse(raw: str) -> ParsedDocument:
    return structure(normalize(ParsedDocument(text=raw)))


REPORT = "\n".join(
    [
        "下载",
        "打印",
        "2024年某某市政府工作报",
        "告",
        "——2024年1月10日在某某市第十届人民代表大会第三次会议上",
        "来源：某某日报",
        "时间：2024-01-15",
        "某某市市长 张三",
        "各位代表：",
        "一、2023年工作回顾",
        "过去一年，我们完成了很多工作。",
        "二、2024年重点工作",
        "今年主要预期目标是：地区生产总值增长6%左右。",
        "（一）着力扩大有效需求，增强发展动能。实施消费提振行动。",
        "（二）加快建设现代化产业体系",
        "推进制造业数字化转型。",
        "三、加强政府自身建设",
        "各位代表！让我们团结奋斗。",
    ]
)


def test_report_front_matter_and_parts() -> None:
    doc = parse(REPORT)
    (art,) = doc.articles
    assert art.title == "2024年某某市政府工作报告"
    assert doc.extras["delivery_date"] == (2024, 1, 10)
    assert doc.extras["published"] == (2024, 1, 15)
    assert doc.extras["speaker"] == "某某市市长 张三"
    assert art.authors == ["张三"]
    assert [(s.level, s.number, s.title) for s in art.sections] == [
        (1, "一、", "2023年工作回顾"),
        (1, "二、", "2024年重点工作"),
        (2, "（一）", "着力扩大有效需求，增强发展动能"),
        (2, "（二）", "加快建设现代化产业体系"),
        (1, "三、", "加强政府自身建设"),
    ]


def test_blocks_mark_review_and_work() -> None:
    doc = parse(REPORT)
    kinds = {doc.text[a:b]: (k, area) for a, b, k, area in doc.extras["blocks"]}
    assert kinds["过去一年，我们完成了很多工作。"] == ("review", None)
    assert kinds["推进制造业数字化转型。"] == ("work", "加快建设现代化产业体系")
    assert kinds["实施消费提振行动。"] == ("work", "着力扩大有效需求，增强发展动能")
    assert kinds["各位代表！让我们团结奋斗。"] == ("work", None)


def test_newspaper_page_with_heading_marks() -> None:
    raw = "\n".join(
        [
            "# 第一篇的标题",
            "## 副题一行",
            "□王五",
            "正文第一段要抓好落实。",
            "### 引题一行",
            "# 第二篇的标题",
            "正文开头。",
            "#### 小标题甲",
            "正文继续。",
            "本报记者",
            "赵一 钱二",
            "孙三",
        ]
    )
    doc = parse(raw)
    a, b = doc.articles
    assert (a.kicker, a.title, a.subtitle, a.authors) == ("", "第一篇的标题", "副题一行", ["王五"])
    assert (b.kicker, b.title, b.subtitle) == ("引题一行", "第二篇的标题", "")
    assert [s.title for s in b.sections] == ["小标题甲"]
    assert b.authors == ["赵一", "钱二", "孙三"]


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("2023年工作回顾", "review"),
        ("“十四五”时期发展成就和“十五五”时期主要目标任务", "mixed"),
        ("2024年重点工作", "work"),
        ("2025年主要工作和“十四五”发展成就", "review"),
        ("加强政府自身建设", "work"),
    ],
)
def test_part_kind(title: str, kind: str) -> None:
    assert part_kind(title) == kind


@pytest.mark.parametrize(
    ("s", "n"),
    [("一", 1), ("十", 10), ("十四", 14), ("二十", 20), ("两", 2), ("32", 32), ("年", None)],
)
def test_cn_number(s: str, n: int | None) -> None:
    assert cn_number(s) == n


def test_appendix_after_the_speech_is_not_a_part() -> None:
    raw = REPORT + "\n附件1\n一、某项民生实事\n二、另一项民生实事"
    doc = parse(raw)
    assert [s.number for s in doc.articles[0].sections if s.level == 1] == ["一、", "二、", "三、"]
    assert doc.extras["blocks"][-1][2] == "appendix"
