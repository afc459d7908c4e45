"""Frameworks: numbered formulations, their items, glossary fill-in, junk avoided."""

from __future__ import annotations

import pytest

from duban.extract.frameworks import find_frameworks
from duban.extract.glossary import load_glossary
from duban.extract.model import Framework, ParsedDocument
from duban.extract.normalize import normalize
from duban.extract.structure import structure


def frameworks(raw: str) -> dict[str, Framework]:
    doc = find_frameworks(structure(normalize(ParsedDocument(text=raw))))
    return {f.name: f for f in doc.frameworks}


@pytest.mark.parametrize(
    ("sentence", "name", "count", "items"),
    [
        ("紧扣立、破、统“三字方针”推进改革。", "三字方针", 3, ["立", "破", "统"]),
        ("推动东区、西区、北区三大片区协同发展。", "三大片区", 3, ["东区", "西区", "北区"]),
        ("统筹做好“五个方面工作”。", "五个方面工作", 5, []),
        ("以12个重点园区建设为抓手。", "12个重点园区", 12, []),
        ("构建“一核两翼”发展格局。", "一核两翼", 3, []),
        ("按照“北拓、南延、东优”的空间布局。", "空间布局", 3, ["北拓", "南延", "东优"]),
        (
            "加快形成“一核引领、两翼齐飞、多点支撑”的产业格局。",
            "产业格局",
            3,
            ["一核引领", "两翼齐飞", "多点支撑"],
        ),
        ("切实把惠企纾困十项措施落实到位。", "惠企纾困十项措施", 10, []),
        (
            "重点抓好三个方面：一是提升产品品质，二是促进制造业升级，三是加快服务业发展。",
            "三个方面",
            3,
            ["提升产品品质", "促进制造业升级", "加快服务业发展"],
        ),
        ("统筹做好“强城”“兴村”“融合”三篇文章。", "三篇文章", 3, ["强城", "兴村", "融合"]),
        ("对标对表“4+1”重要要求。", "4+1", 5, []),
        ("深入践行“八八战略”。", "八八战略", 8, []),
    ],
)
def test_formulations(sentence: str, name: str, count: int, items: list[str]) -> None:
    fw = frameworks(sentence)[name]
    assert (fw.count, fw.items) == (count, items)


@pytest.mark.parametrize(
    "sentence", ["用一个月时间完成。", "两个月内建成。", "三年来成效明显。", "新建3个公园。"]
)
def test_no_junk(sentence: str) -> None:
    assert frameworks(sentence) == {}


def test_items_from_another_article() -> None:
    raw = "# 甲文\n会议强调统筹发展、安全、民生、党建，推动各项工作。\n# 乙文\n大家认为“四个统筹”部署有力。"
    fw = frameworks(raw)["四个统筹"]
    assert fw.items == ["发展", "安全", "民生", "党建"]
    assert fw.items_from == "other_article"


def test_glossary_fills_in_known_formulations() -> None:
    fws = frameworks("要做好“六稳”工作，落实“六保”任务，增强“四个意识”。")
    assert fws["六稳"].items_from == "glossary" and len(fws["六稳"].items) == 6
    assert fws["四个意识"].items == ["政治意识", "大局意识", "核心意识", "看齐意识"]
    assert fws["十四五"].count == 14 if "十四五" in fws else True


def test_five_year_plans_count_their_number() -> None:
    fws = frameworks("编制好“十四五”规划，谋划“十五五”发展。")
    assert fws["十四五"].count == 14 and fws["十五五"].count == 15


def test_glossary_file_is_consistent() -> None:
    g = load_glossary()
    for name in (
        "六稳",
        "六保",
        "三大攻坚战",
        "四个意识",
        "四个自信",
        "两个维护",
        "五位一体",
        "四个全面",
        "新发展理念",
        "十四五",
        "十五五",
        "两重",
        "两新",
        "三农",
    ):
        entry = g[name]
        assert not entry.items or len(entry.items) == entry.count


def test_an_enumerated_task_is_filed_under_the_item_it_opens_with() -> None:
    from duban.extract.pipeline import extract_text

    text = (
        "重点抓好三项工作：一是加快农业转移人口市民化，深化户籍制度改革；"
        "二是推进城镇保障性安居工程建设，完成棚户区改造60万套；"
        "三是加强城市规划建设管理，开工建设城市地下综合管廊。"
    )
    doc = extract_text(text)
    tagged = {t.pillar: t.text for t in doc.tasks if t.framework == "三项工作"}
    assert set(tagged) == {
        "加快农业转移人口市民化",
        "推进城镇保障性安居工程建设",
        "加强城市规划建设管理",
    }
    assert "地下综合管廊" in tagged["加强城市规划建设管理"]


def test_items_given_as_the_paragraphs_after_a_count() -> None:
    from duban.extract.pipeline import extract_text

    text = "\n".join(
        [
            "做好今年工作，要做到“三个更加注重”：",
            "——更加注重项目建设，抓好重大项目。",
            "——更加注重民生保障，办好民生实事。",
            "——更加注重安全发展，守牢安全底线。",
            "今年办好十方面民生实事之外，还要做好“两件大事”：",
            "1.城市更新方面。改造老旧小区100个。",
            "2.乡村振兴方面。建设和美乡村50个。",
        ]
    )
    doc = extract_text(text)
    fws = {f.name: f.items for f in doc.frameworks}
    assert fws["三个更加注重"] == ["更加注重项目建设", "更加注重民生保障", "更加注重安全发展"]
    assert fws["两件大事"] == ["城市更新", "乡村振兴"]


def test_a_compound_name_of_counted_parts_is_a_framework() -> None:
    from duban.extract.pipeline import extract_text

    doc = extract_text("支持大学“一圈一网一高地”建设。")
    assert [(f.name, f.count) for f in doc.frameworks] == [("一圈一网一高地", 3)]
