"""Learning lead units from the office's corrections (SiteWeights + Catalog.with_overlay).

The two reports are written for these tests: the same invented city (青澜市) with its own
programmes (青澜优才计划, 云岭数谷, 澜江夜市, 望海湾), which no generic catalog can know.
"""

from __future__ import annotations

import json

import pytest

from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.site_weights import MAX_WEIGHT, SiteWeights, learnable_terms
from duban.extract.units import load_catalog, suggest_leads

# Report A: sentence → the lead the office chose.
REPORT_A = [
    ("深入实施青澜优才计划，全年引进青年人才8000名。", "市委组织部"),
    ("加快云岭数谷一期建设，引进电子信息企业30家。", "市工信局"),
    ("打造澜江夜市特色街区，办好澜江灯会。", "市文化广电旅游局"),
    ("推进望海湾岸线整治修复，完成岸线修复12公里。", "市自然资源和规划局"),
]
# Report B, half a year later: sentence → the lead the office would choose.
REPORT_B = [
    ("推动青澜优才计划扩容提质，新建青年人才驿站10个。", "市委组织部"),
    ("开工建设云岭数谷二期。", "市工信局"),
    ("提升澜江夜市品质，延长夜间营业时间。", "市文化广电旅游局"),
    ("加强望海湾岸线生态保护。", "市自然资源和规划局"),
    ("强化食品安全监管，开展校园食品安全专项检查。", "市市场监管局"),
]


def lead_at_1(catalog, report) -> float:
    hits = 0
    for sentence, lead in report:
        got = suggest_leads(sentence, catalog, k=3)
        hits += bool(got) and catalog.get(got[0].unit) is catalog.get(lead)
    return hits / len(report)


def learn_report(catalog, report) -> SiteWeights:
    weights = SiteWeights()
    for sentence, lead in report:
        suggested = [s.unit for s in suggest_leads(sentence, catalog)]
        assert weights.learn(sentence, lead, catalog, suggested=suggested)
    return weights


def test_correcting_one_report_raises_lead_at_1_on_another_of_the_same_place() -> None:
    catalog = load_catalog("city")
    before = lead_at_1(catalog, REPORT_B)
    weights = learn_report(catalog, REPORT_A)
    after = lead_at_1(catalog.with_overlay(weights), REPORT_B)
    assert before <= 0.4
    assert after == 1.0


def test_the_overlay_leaves_unrelated_sentences_and_the_packaged_catalog_alone() -> None:
    catalog = load_catalog("city")
    learned = catalog.with_overlay(learn_report(catalog, REPORT_A))
    for sentence in ("落实个人消费贷款财政贴息政策", "新建高标准农田8万亩，稳定粮食播种面积"):
        assert suggest_leads(sentence, learned) == suggest_leads(sentence, catalog)
    # the shared packaged catalog did not learn anything
    assert suggest_leads("开工建设云岭数谷二期。", catalog) == []
    assert load_catalog("city") is catalog


def test_the_wrong_first_suggestion_is_debited() -> None:
    catalog = load_catalog("city")
    weights = SiteWeights()
    weights.learn("新建青年人才驿站", "市委组织部", catalog, suggested=["共青团市委", "市人社局"])
    org = weights.units["中共市委组织部"]
    youth = weights.units["共青团市委"]
    assert org["驿站"] > 0 and youth["驿站"] < 0
    assert "市人力资源和社会保障局" not in weights.units  # only the first suggestion pays
    # choosing what was suggested first debits nobody
    again = SiteWeights()
    again.learn("新建青年人才驿站", "团市委", catalog, suggested=["共青团市委"])
    assert list(again.units) == ["共青团市委"]


def test_weights_are_bounded_and_generic_words_are_not_learned() -> None:
    catalog = load_catalog("city")
    weights = SiteWeights()
    for _ in range(20):
        weights.learn("澜江夜市", "市文旅局", catalog)
    assert weights.units["市文化广电和旅游局"]["夜市"] == MAX_WEIGHT
    assert weights.corrections == 20
    assert "推进" not in learnable_terms("加快推进澜江夜市建设")
    assert "夜市" in learnable_terms("加快推进澜江夜市建设")


def test_unknown_unit_or_empty_text_teaches_nothing() -> None:
    catalog = load_catalog("city")
    weights = SiteWeights()
    assert not weights.learn("打造澜江夜市", "不存在的局", catalog)
    assert not weights.learn("2026。", "市财政局", catalog)
    assert not weights and weights.corrections == 0


def test_weights_round_trip_through_json(tmp_path) -> None:
    catalog = load_catalog("city")
    weights = learn_report(catalog, REPORT_A)
    path = tmp_path / "weights.json"
    again = SiteWeights.from_json(weights.to_json(path))
    assert again.to_dict() == weights.to_dict()
    assert json.loads(path.read_text(encoding="utf-8"))["corrections"] == len(REPORT_A)
    # the dict form is accepted by with_overlay directly, under any spelling of a unit
    data = {"units": {"市文旅局": {"夜市": 5.0}, "不存在的局": {"夜市": 5.0}}}
    got = suggest_leads("提升澜江夜市品质", catalog.with_overlay(data))
    assert got[0].unit == "市文化广电和旅游局"


@pytest.mark.parametrize(
    "data",
    [{"units": []}, {"units": {"市财政局": {"预算": "高"}}}, {"units": {"市财政局": ["预算"]}}],
)
def test_malformed_weights_are_e012(data) -> None:
    with pytest.raises(ExtractError) as exc:
        SiteWeights.from_dict(data)
    assert exc.value.code == ErrorCode.E012_BAD_CATALOG
    with pytest.raises(ExtractError):
        SiteWeights.from_json("{not json")
