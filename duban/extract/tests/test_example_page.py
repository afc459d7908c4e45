"""Acceptance: the newspaper page from the issue (corpus file 000_063208dfeef46aee.txt).

The page is read from the shared corpus at run time; only short expected strings (titles,
names, formulation items) are written here.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

from duban.extract.model import ParsedDocument
from duban.extract.pipeline import extract_text

REPO = Path(__file__).resolve().parents[3]


def corpus_dir() -> Path:
    env = os.environ.get("DUBAN_CORPUS")
    return Path(env) if env else REPO.parent / "shared" / "corpus"


PAGE = corpus_dir() / "000_063208dfeef46aee.txt"


@pytest.fixture(scope="module")
def doc() -> ParsedDocument:
    # The corpus lies beside the repository (../shared/corpus) on every machine and in CI;
    # without it this acceptance test fails rather than skipping.
    assert PAGE.exists(), f"the example page is missing: {PAGE} (set DUBAN_CORPUS)"
    return extract_text(PAGE.read_text(encoding="utf-8"), date=datetime.date(2020, 7, 22))


def test_two_articles_with_their_headings(doc: ParsedDocument) -> None:
    editorial, report = doc.articles
    assert editorial.title == "凝心聚力出新彩"
    assert editorial.subtitle == "一论深入学习贯彻市委十一届十二次全会精神"
    assert editorial.kicker == ""
    assert editorial.authors == ["郑旗"]
    assert report.kicker == "市委十一届十二次全会举行分组讨论审议"
    assert report.title == "不断夺取疫情防控和经济社会发展新胜利 不断开创郑州国家中心城市建设新局面"
    assert [s.title for s in report.sections] == [
        "育新机开新局 交好时代答卷",
        "乘风破浪聚势 推动高质量发展",
        "科技创新驱动 加速培育新动能",
        "用心用情用力 不断造福人民",
        "强化党建引领 推动工作落实落地",
    ]
    assert report.authors == [
        "赵文静",
        "张昕",
        "王莹",
        "王治",
        "毛小玺",
        "侯爱敏",
        "张倩",
        "赵柳影",
        "肖雅文",
    ]


def test_articles_do_not_overlap_and_cover_their_text(doc: ParsedDocument) -> None:
    editorial, report = doc.articles
    assert editorial.end <= report.start
    assert doc.text[editorial.start :].startswith("凝心聚力出新彩")
    assert doc.text[report.start :].startswith("市委十一届十二次全会举行分组讨论审议")


def test_broken_paragraphs_are_joined(doc: ParsedDocument) -> None:
    for joined in ("最大限度减轻疫情", "脱颖而出", "“三个关系”", "经济困难期也是民生问题凸显期"):
        assert joined in doc.text
    assert "#" not in doc.text


def test_half_width_punctuation_becomes_full_width(doc: ParsedDocument) -> None:
    assert "黄河九曲志入海，嵩岳千仞立中天。" in doc.text
    assert "全体（扩大）会议" in doc.text
    assert "," not in doc.text and ":" not in doc.text


def test_six_character_requirement_with_its_items(doc: ParsedDocument) -> None:
    fw = next(f for f in doc.frameworks if f.name == "六字要求")
    assert fw.count == 6
    assert fw.items == ["控", "保", "稳", "进", "抬", "扛"]
    assert fw.items_from == "text"


def test_six_overall_plans_linked_to_items_in_the_other_article(doc: ParsedDocument) -> None:
    fw = next(f for f in doc.frameworks if f.name == "六个统筹")
    assert fw.count == 6
    assert fw.items_from == "other_article"
    assert fw.items == ["疫情防控", "复工复产", "高质量发展", "黄河战略", "民生保障", "党的建设"]


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("三个关系", 3),
        ("八个方面工作", 8),
        ("32个核心板块", 32),
        ("三项工程、一项管理", 4),
        ("十四五", 14),
    ],
)
def test_other_formulations(doc: ParsedDocument, name: str, count: int) -> None:
    fw = next(f for f in doc.frameworks if f.name == name)
    assert fw.count == count


def test_named_layout_without_a_number_word(doc: ParsedDocument) -> None:
    # 「按照“东强、……”的城市发展格局」: the list is named by the noun after it.
    fw = next(f for f in doc.frameworks if f.name == "城市发展格局")
    assert fw.items == ["东强", "南动", "西美", "北静", "中优", "外联"]
    fw = next(f for f in doc.frameworks if f.name == "科技创新布局")
    assert fw.items == ["两翼驱动", "四区支撑", "多点布局"]


def test_counted_formulation_keeps_its_qualifier(doc: ParsedDocument) -> None:
    fw = next(f for f in doc.frameworks if "十条意见" in f.name)
    assert fw.name == "为民造福十条意见" and fw.count == 10


def test_known_formulations_filled_from_the_glossary(doc: ParsedDocument) -> None:
    fw = next(f for f in doc.frameworks if f.name == "六稳")
    assert fw.items_from == "glossary" and len(fw.items) == 6


def test_no_junk_frameworks(doc: ParsedDocument) -> None:
    names = {f.name for f in doc.frameworks}
    assert not names & {"一个", "两个月", "三年", "半年"}


@pytest.mark.parametrize(
    ("phrase", "pillar"),
    [
        ("守住“保”的底线", "保"),
        ("坚决打好三大攻坚战", "保"),
        ("打开“稳”的局面", "稳"),
        ("抓项目强投资", "稳"),
        ("促消费增活力", "稳"),
        ("稳外资稳外贸", "稳"),
        ("唱响“进”的主旋律", "进"),
        ("实施好高质量发展系列三年行动计划", "进"),
        ("做强“抬”的势头", "抬"),
        ("持续提升郑州的竞争力带动力辐射力", "抬"),
    ],
)
def test_pillar_directives_split_and_tagged(doc: ParsedDocument, phrase: str, pillar: str) -> None:
    task = next(t for t in doc.tasks if phrase in t.text)
    assert task.pillar == pillar
    assert task.framework == "六字要求"


def test_shared_verb_split_into_three_items(doc: ParsedDocument) -> None:
    # One commitment (the sentence) with the three verb phrases sharing 着力 as its items.
    task = next(t for t in doc.tasks if "抓项目强投资" in t.text)
    items = [i.text for i in task.items if i.verb == "着力"]
    assert items[:3] == ["抓项目强投资", "促消费增活力", "稳外资稳外贸"]
    assert task.pillar == "稳"


def test_no_praise_poem_or_byline_among_tasks(doc: ParsedDocument) -> None:
    joined = "\n".join(t.text for t in doc.tasks)
    for not_task in (
        "体现了",
        "好报告",
        "黄河九曲志入海",
        "摧伤虽多意愈厉",
        "看似寻常最奇崛",
        "风雨多经人未老",
        "郑旗",
        "赵文静",
        "全媒体记者",
        "稳住了经济基本盘",
    ):
        assert not_task not in joined


def test_spans_point_into_the_normalized_text(doc: ParsedDocument) -> None:
    for t in doc.tasks:
        assert 0 <= t.start < t.end <= len(doc.text)
        assert t.text in doc.text[t.start : t.end]
    for f in doc.frameworks:
        assert 0 <= f.start < f.end <= len(doc.text)


def test_actors_and_sections(doc: ParsedDocument) -> None:
    task = next(t for t in doc.tasks if "提高驾驭风险能力" in t.text)
    assert "广大党员干部" in task.actors
    assert task.section == "强化党建引领 推动工作落实落地"
    quoted = next(t for t in doc.tasks if "加强党的建设" in t.text)
    assert "各级党组织" in quoted.actors
