"""Structure: articles, bylines, report parts and areas (hand-written documents)."""

from __future__ import annotations

import pytest

from duban.extract.model import ParsedDocument
from duban.extract.normalize import normalize
from duban.extract.structure import cn_number, cn_year, part_kind, structure


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
        ("“十五五”时期主要目标任务", "goals"),
        ("过去五年的工作和新时代十年的伟大变革", "review"),
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


@pytest.mark.parametrize(
    ("s", "year"),
    [
        ("2026", 2026),
        ("二〇二六", 2026),
        ("二○二八", 2028),  # the zero as a circle
        ("二零三零", 2030),
        ("一九九九", 1999),
        ("二十", None),  # a number, not a year written digit by digit
        ("二〇二六年", None),
        ("", None),
    ],
)
def test_cn_year_is_the_one_reader_of_years(s: str, year: int | None) -> None:
    assert cn_year(s) == year


def test_appendix_after_the_speech_is_not_a_part() -> None:
    raw = REPORT + "\n附件1\n一、某项民生实事\n二、另一项民生实事"
    doc = parse(raw)
    assert [s.number for s in doc.articles[0].sections if s.level == 1] == ["一、", "二、", "三、"]
    # A numbered appendix list (民生实事) holds commitments: its items are work.
    assert [k for _a, _b, k, _ar in doc.extras["blocks"][-2:]] == ["work", "work"]


def test_appendix_title_and_glossary() -> None:
    raw = REPORT + "\n".join(
        [
            "",
            "附件1",
            "2024年市十件民生实事",
            "坚持民生为大，办好群众可感可及的实事。",
            "一、新建改建公办幼儿园20所。",
            "新增学位6000个，扩大普惠性学前教育资源。",
            "附件2",
            "名词解释",
            "1.“两新”：是指大规模设备更新和消费品以旧换新。",
        ]
    )
    doc = parse(raw)
    titles = [s.title for s in doc.articles[0].sections if s.level == 1]
    assert titles[-2:] == ["2024年市十件民生实事", "名词解释"]
    kinds = {doc.text[a:b]: (k, ar) for a, b, k, ar in doc.extras["blocks"]}
    # The item and the paragraph detailing it are one block: one commitment.
    assert kinds["一、新建改建公办幼儿园20所。\n新增学位6000个，扩大普惠性学前教育资源。"] == (
        "work",
        "2024年市十件民生实事",
    )
    assert kinds["坚持民生为大，办好群众可感可及的实事。"][0] == "work"
    assert kinds["1.“两新”：是指大规模设备更新和消费品以旧换新。"][0] == "glossary"


def _kinds(raw: str) -> dict[str, str]:
    doc = parse(raw)
    return {doc.text[a:b]: k for a, b, k, _ar in doc.extras["blocks"]}


def test_review_part_headed_by_a_slogan_is_read_by_its_content() -> None:
    raw = "\n".join(
        [
            "某省政府工作报告",
            "各位代表：",
            "一、一年接着一年干，奋力谱写高质量发展新篇章",
            "过去一年，全省地区生产总值增长5.6%，完成了年度目标。新增城镇就业85万人。"
            "粮食产量达到1300亿斤。我们建成了一批重大项目。",
            "我们深化了改革，开放水平明显提升，营商环境持续优化了。",
            "二、2026年重点工作",
            "今年要扩大有效投资，推进重大项目建设。",
        ]
    )
    kinds = _kinds(raw)
    assert kinds["我们深化了改革，开放水平明显提升，营商环境持续优化了。"] == "review"
    assert kinds["今年要扩大有效投资，推进重大项目建设。"] == "work"


def test_unnumbered_review_heading_and_year_after_five_year_goals() -> None:
    raw = "\n".join(
        [
            "某市政府工作报告",
            "各位代表：",
            "“十四五”时期工作回顾",
            "五年来，全市经济总量突破万亿元，累计新增城镇就业60万人，建成了轨道交通5条线路。",
            "“十五五”时期主要目标任务",
            "到2030年，基本建成现代化产业体系，城乡居民收入再上新台阶，要持续推进共同富裕。",
            "2026年重点工作",
            "要实施城市更新三年行动，推进老旧小区改造，加快建设保障性住房。",
        ]
    )
    kinds = _kinds(raw)
    assert (
        kinds["五年来，全市经济总量突破万亿元，累计新增城镇就业60万人，建成了轨道交通5条线路。"]
        == "review"
    )
    assert (
        kinds["到2030年，基本建成现代化产业体系，城乡居民收入再上新台阶，要持续推进共同富裕。"]
        == "goals"
    )
    assert kinds["要实施城市更新三年行动，推进老旧小区改造，加快建设保障性住房。"] == "work"


def test_five_year_goals_are_work_without_a_part_about_this_year() -> None:
    raw = "\n".join(
        [
            "某市国民经济和社会发展第十五个五年规划纲要",
            "各位代表：",
            "一、“十五五”时期主要目标任务",
            "要加快建设现代化产业体系，推进城乡融合发展。",
        ]
    )
    assert _kinds(raw)["要加快建设现代化产业体系，推进城乡融合发展。"] == "work"


def test_delivery_date_in_chinese_numerals() -> None:
    raw = "\n".join(
        [
            "某市政府工作报告",
            "——二〇二六年一月二十七日在某市第十六届人民代表大会第五次会议上",
            "各位代表：",
            "一、2026年重点工作",
            "要推进重大项目建设。",
        ]
    )
    assert parse(raw).extras["delivery_date"] == (2026, 1, 27)


def test_documents_pasted_into_one_file_are_all_read() -> None:
    second = "\n".join(
        [
            "关于某市2026年国民经济和社会发展计划执行情况的报告",
            "——2026年1月28日在某市第十六届人民代表大会第五次会议上",
            "各位代表：",
            "一、2026年主要任务",
            "要扩大有效投资，推进重大项目建设。",
        ]
    )
    doc = parse(REPORT + "\n" + second)
    assert len(doc.articles) == 2
    assert doc.articles[1].title.startswith("关于某市2026年国民经济")
    assert [s.title for s in doc.articles[1].sections] == ["2026年主要任务"]
    kinds = {doc.text[a:b]: k for a, b, k, _ar in doc.extras["blocks"]}
    assert kinds["要扩大有效投资，推进重大项目建设。"] == "work"


def test_chinese_numbers_round_trip_through_the_one_reader_and_writer():
    from duban.extract.structure import chinese_number, cn_number

    assert [chinese_number(n) for n in (1, 10, 12, 20, 99)] == [
        "一",
        "十",
        "十二",
        "二十",
        "九十九",
    ]
    assert all(cn_number(chinese_number(n)) == n for n in range(1, 100))
