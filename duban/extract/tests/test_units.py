"""Unit catalogs: lead suggestions for task sentences, name resolution, catalog errors.

The sentences are written for these tests in the style of a work report; the expected
lead is the department a supervision office would name first.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.units import (
    BundleSuggestion,
    Catalog,
    Unit,
    catalog_from_dict,
    duty_terms,
    is_bundle,
    load_catalog,
    loose_name,
    resolve_unit_name,
    suggest,
    suggest_leads,
)

LEADS = [
    # (level, task sentence, expected first suggestion as its short name)
    ("city", "落实个人消费贷款财政贴息政策", "市财政局"),
    ("city", "扩大高水平对外开放，稳外资稳外贸", "市商务局"),
    ("city", "加强义务教育学校建设，新增公办学位5000个", "市教育局"),
    ("city", "年底前完成老旧小区改造120个，同步加装电梯", "市住房城乡建设局"),
    ("city", "全面推行生活垃圾分类，整治背街小巷市容环境", "市城管局"),
    ("city", "新建改建农村公路300公里，推进城乡客运一体化", "市交通运输局"),
    ("city", "开展根治欠薪专项行动，确保农民工工资按时足额支付", "市人力资源社会保障局"),
    ("city", "实施大气污染治理攻坚，PM2.5浓度下降5%", "市生态环境局"),
    ("city", "新建高标准农田8万亩，稳定粮食播种面积", "市农业农村局"),
    ("city", "支持专精特新中小企业发展，推动制造业数字化转型", "市工信局"),
    ("city", "新认定高新技术企业200家，建设一批新型研发机构", "市科技局"),
    ("city", "推进紧密型县域医共体建设，提升基层医疗卫生服务能力", "市卫生健康委"),
    ("city", "发展社区养老服务，扩大老年助餐覆盖面", "市民政局"),
    ("city", "由市财政局牵头，统筹推进城中村改造资金保障", "市财政局"),
    ("city", "深化“高效办成一件事”改革，推动政务服务一网通办", "市数据局"),
    ("city", "三季度前完成病险水库除险加固，提升防洪能力", "市水利局"),
    ("city", "开展安全生产治本攻坚，排查整治重大事故隐患", "市应急管理局"),
    ("city", "深化市属国企改革，完善现代企业制度", "市国资委"),
    ("city", "强化食品安全和特种设备监管", "市市场监管局"),
    ("city", "加大招商引资力度，全年引进亿元以上项目60个", "市投促局"),
    ("city", "做好退役军人服务保障，落实优抚政策", "市退役军人事务局"),
    ("city", "推进医保基金监管，落实异地就医直接结算", "市医保局"),
    ("province", "落实个人消费贷款财政贴息政策", "省财政厅"),
    ("province", "建设县域普通高中，扩大优质教育资源供给", "省教育厅"),
    ("province", "加快建设抽水蓄能电站和新型储能项目", "省能源局"),
    ("province", "深化国资国企改革，推动省属企业重组整合", "省国资委"),
    ("province", "推进文物保护利用和考古遗址公园建设", "省文物局"),
    ("province", "防范化解中小金融机构风险，严厉打击非法集资", "省委金融办"),
    ("province", "深入开展全民阅读，推进新时代文明实践中心建设", "省委宣传部"),
    ("national", "实施稳健的货币政策，用好再贷款再贴现工具", "中国人民银行"),
    ("national", "深化股票发行注册制改革，健全退市机制", "中国证监会"),
    ("national", "推进基本医疗保险省级统筹，深化医保支付方式改革", "国家医保局"),
    ("national", "加强地方政府专项债券管理，稳妥化解隐性债务", "财政部"),
    ("national", "优化办税缴费服务，推广全面数字化的电子发票", "税务总局"),
    ("national", "加快5G网络和千兆光网建设", "工业和信息化部"),
    ("national", "推进中医药传承创新发展", "国家中医药局"),
    ("national", "全面推行林长制，科学开展国土绿化", "国家林草局"),
]


@pytest.mark.parametrize(("level", "sentence", "expected"), LEADS)
def test_first_suggestion(level: str, sentence: str, expected: str) -> None:
    catalog = load_catalog(level)
    got = suggest_leads(sentence, catalog)
    assert got, sentence
    assert catalog.get(got[0].unit).short == expected, [(s.unit, s.matched) for s in got]


# Duty terms of catalog 2026.3 (sentences of our own): the expected unit is among the top
# three, as an office picks from three suggestions.
DUTIES = [
    ("national", "全面推开资源税从价计征改革，推进环境保护税立法", "财政部"),
    ("national", "全面推开资源税从价计征改革，推进环境保护税立法", "税务总局"),
    ("city", "深化商事制度改革，推进证照分离改革全覆盖", "市市场监管局"),
    ("province", "完善粮食收储制度，执行好小麦最低收购价政策", "省粮食和物资储备局"),
    ("city", "加快淘汰黄标车和老旧车，减少机动车排放", "市生态环境局"),
    ("national", "办好二十国集团领导人峰会等主场外交活动", "外交部"),
    ("national", "稳妥推进渐进式延迟法定退休年龄改革", "人力资源社会保障部"),
    ("national", "扎实推进钢铁煤炭行业去产能", "国家发展改革委"),
    ("national", "适时启动深港通，完善资本市场互联互通", "中国证监会"),
]


@pytest.mark.parametrize(("level", "sentence", "expected"), DUTIES)
def test_duty_terms_put_the_unit_in_the_top_three(level: str, sentence: str, expected: str) -> None:
    catalog = load_catalog(level)
    got = [catalog.get(s.unit).short for s in suggest_leads(sentence, catalog, k=3)]
    assert expected in got, got


RESOLVE = [
    ("city", "市发改委", "市发展和改革委员会"),
    ("city", "发展和改革委员会", "市发展和改革委员会"),
    ("city", "市发展改革委", "市发展和改革委员会"),
    ("city", "青澜市发展和改革委员会", "市发展和改革委员会"),
    ("city", "市人力资源和社会保障局", "市人力资源和社会保障局"),
    ("city", "人社局", "市人力资源和社会保障局"),
    ("city", "市人力资源社会保障局", "市人力资源和社会保障局"),
    ("city", "市市场监督管理局", "市市场监督管理局"),
    ("city", "市场监管局", "市市场监督管理局"),
    ("city", "市住房和城乡建设局", "市住房和城乡建设局"),
    ("city", "市住建局", "市住房和城乡建设局"),
    ("city", "中共青澜市委宣传部", "中共市委宣传部"),
    ("city", "宣传部", "中共市委宣传部"),
    ("city", "市卫生健康委员会", "市卫生健康委员会"),
    ("city", "市卫健委", "市卫生健康委员会"),
    ("city", "市财政局（市国资委）", "市财政局"),
    ("city", "市财政局、市税务局", "市财政局"),
    ("city", " 市 财政局 ", "市财政局"),
    ("city", "财政厅", "市财政局"),
    ("city", "市城市管理局", "市城市管理局"),
    ("city", "市乡村振兴局", "市农业农村局"),
    ("city", "市金融工作局", "中共市委金融委员会办公室"),
    ("city", "澜江区", "青澜市澜江区"),
    ("province", "河南省发展和改革委员会", "省发展和改革委员会"),
    ("province", "省人力资源和社会保障厅", "省人力资源和社会保障厅"),
    ("province", "省地方金融管理局", "中共省委金融委员会办公室"),
    ("province", "省乡村振兴局", "省农业农村厅"),
    ("national", "国家发展和改革委员会", "国家发展和改革委员会"),
    ("national", "发展改革委", "国家发展和改革委员会"),
    ("national", "人力资源和社会保障部", "人力资源和社会保障部"),
    ("national", "人力资源社会保障部", "人力资源和社会保障部"),
    ("national", "银保监会", "国家金融监督管理总局"),
    ("national", "国家乡村振兴局", "农业农村部"),
    ("national", "国务院国有资产监督管理委员会", "国务院国有资产监督管理委员会"),
    ("national", "国资委", "国务院国有资产监督管理委员会"),
    ("national", "国家卫生健康委员会", "国家卫生健康委员会"),
    ("national", "市场监管总局", "国家市场监督管理总局"),
    ("national", "市场监管局", "国家市场监督管理总局"),
    ("province", "国家税务总局河南省税务局", "国家税务总局省税务局"),
    # names from before the 2018 reform, and one province's name for a department
    ("national", "国家卫生计生委", "国家卫生健康委员会"),
    ("national", "国土资源部", "自然资源部"),
    ("national", "国务院法制办", "司法部"),
    ("national", "国务院台办", "国务院台湾事务办公室"),
    ("province", "省经信厅", "省工业和信息化厅"),
    ("province", "省文化广电旅游厅", "省文化和旅游厅"),
]


@pytest.mark.parametrize(("level", "written", "expected"), RESOLVE)
def test_resolve_unit_name(level: str, written: str, expected: str) -> None:
    unit = resolve_unit_name(written, load_catalog(level))
    assert unit is not None, written
    assert unit.name == expected


@pytest.mark.parametrize("written", ["", "   ", "某某委员会", "不存在的单位", "局"])
def test_resolve_unknown_is_none(written: str) -> None:
    assert resolve_unit_name(written, load_catalog("city")) is None


def test_loose_name_spellings_coincide() -> None:
    forms = ["市发展和改革委员会", "市发改委", "发展改革委", "青澜市发展和改革委员会"]
    assert {loose_name(f) for f in forms} == {"发改委"}
    assert loose_name("人力资源和社会保障部") == loose_name("人力资源社会保障部")
    # 城市管理局 is not a place called 城 followed by 市
    assert loose_name("市城市管理局") == loose_name("城市管理局")


def test_districts_are_never_suggested() -> None:
    catalog = load_catalog("city")
    districts = {u.name for u in catalog.units if u.kind == "district"}
    assert len(districts) == 6
    sentence = "澜江区、望海区、白沙县要加快推进老旧小区改造和城中村改造"
    got = suggest_leads(sentence, catalog, k=10)
    assert got and not districts & {s.unit for s in got}


def test_district_with_keywords_is_still_not_suggested() -> None:
    catalog = _catalog(
        [
            {"name": "甲区", "kind": "district", "keywords": ["城中村改造"]},
            {"name": "住建局", "keywords": ["城中村"]},
        ]
    )
    assert [s.unit for s in suggest_leads("推进城中村改造", catalog)] == ["住建局"]


def test_named_unit_outweighs_keywords() -> None:
    catalog = load_catalog("city")
    plain = suggest_leads("加快城中村改造和保障性住房建设", catalog)
    named = suggest_leads("市城市管理局牵头，加快城中村改造和保障性住房建设", catalog)
    assert catalog.get(plain[0].unit).short == "市住房城乡建设局"
    assert catalog.get(named[0].unit).short == "市城管局"
    assert "市城市管理局" in named[0].matched


def test_the_unit_marked_as_lead_comes_first() -> None:
    catalog = load_catalog("city")
    # without the mark the two names tie and catalog order would put 市财政局 first
    got = suggest_leads("会同市财政局，由市商务局牵头办理", catalog)
    assert [catalog.get(s.unit).short for s in got[:2]] == ["市商务局", "市财政局"]
    got = suggest_leads("市财政局配合，市商务局负责", catalog)
    assert catalog.get(got[0].unit).short == "市商务局"


def test_longer_keyword_hides_the_words_inside_it() -> None:
    catalog = _catalog(
        [
            {"name": "甲", "keywords": ["财政"]},
            {"name": "乙", "keywords": ["财政贴息"]},
        ]
    )
    got = suggest_leads("落实财政贴息", catalog)
    assert [(s.unit, s.matched) for s in got] == [("乙", ["财政贴息"])]


def test_overlapping_keywords_both_count() -> None:
    catalog = _catalog(
        [{"name": "甲", "keywords": ["农村公路"]}, {"name": "乙", "keywords": ["公路建设"]}]
    )
    got = suggest_leads("加快农村公路建设", catalog)
    assert {s.unit for s in got} == {"甲", "乙"}


def test_crossing_two_character_words_keep_one() -> None:
    catalog = _catalog(
        [
            {"name": "甲", "keywords": ["医学"]},
            {"name": "乙", "keywords": ["学生"]},
            {"name": "丙", "keywords": ["生物医药"]},
        ]
    )
    assert [s.unit for s in suggest_leads("医学生物信息库", catalog)] == ["甲"]
    # the longer of two crossing words wins, wherever it starts
    assert [s.unit for s in suggest_leads("学生物医药", catalog)] == ["丙"]


def test_scores_are_shares_sorted_and_ties_keep_catalog_order() -> None:
    catalog = _catalog(
        [
            {"name": "乙", "keywords": ["会展"]},
            {"name": "甲", "keywords": ["会展"]},
            {"name": "丙", "keywords": ["电子商务"]},
        ]
    )
    got = suggest_leads("发展会展经济和电子商务", catalog, k=3)
    assert [s.unit for s in got] == ["丙", "乙", "甲"]
    assert got[1].score == got[2].score
    assert got[0].score > got[1].score
    assert sum(s.score for s in got) == pytest.approx(1.0, abs=0.01)
    assert suggest_leads("发展会展经济和电子商务", catalog, k=1)[0].unit == "丙"


def test_ignored_phrases_hide_the_keyword_inside() -> None:
    catalog = catalog_from_dict(
        {"ignore": ["健康发展"], "units": [{"name": "卫健委", "keywords": ["健康"]}]}
    )
    assert suggest_leads("促进平台经济健康发展", catalog) == []
    assert suggest_leads("实施健康城市行动", catalog)[0].unit == "卫健委"
    assert catalog_from_dict(catalog.to_dict()).ignore == ["健康发展"]


@pytest.mark.parametrize(
    ("level", "sentence"),
    [("city", "要深入学习贯彻全会精神"), ("national", "扎实开展党史学习教育")],
)
def test_stock_phrases_suggest_nobody(level: str, sentence: str) -> None:
    assert suggest_leads(sentence, load_catalog(level)) == []


def test_no_match_and_k_zero_give_nothing() -> None:
    catalog = load_catalog("city")
    assert suggest_leads("各位代表：", catalog) == []
    assert suggest_leads("", catalog) == []
    assert suggest_leads("扩大有效投资", catalog, k=0) == []


def test_repeating_a_word_is_not_more_evidence() -> None:
    catalog = _catalog([{"name": "甲", "keywords": ["旅游"]}, {"name": "乙", "keywords": ["体育"]}])
    got = suggest_leads("旅游旅游旅游体育", catalog)
    assert got[0].score == got[1].score


def test_weights_multiply_a_keyword() -> None:
    catalog = _catalog(
        [
            {"name": "甲", "keywords": ["物流"]},
            {"name": "乙", "keywords": ["冷链"], "weights": {"冷链": 3}},
        ]
    )
    assert suggest_leads("发展冷链物流", catalog)[0].unit == "乙"


@pytest.mark.parametrize("level", ["city", "province", "national"])
def test_packaged_catalogs_are_well_formed(level: str) -> None:
    catalog = load_catalog(level)
    assert catalog.level == level and catalog.version
    assert load_catalog(level) is catalog  # cached
    names = [n for u in catalog.units for n in {u.name, u.short}]
    assert len(names) == len(set(names))
    for u in catalog.lead_candidates():
        assert 10 <= len(u.keywords) <= 45, u.name
        assert len(set(u.keywords)) == len(u.keywords), u.name
        # every unit says what it is for, and each duty phrase gives something to match
        assert 3 <= len(u.duties) <= 12, u.name
        assert all(duty_terms(d) for d in u.duties), u.name
        # no multipliers fitted to a gold file (see the units module docstring)
        assert not u.weights, u.name
        assert resolve_unit_name(u.short, catalog) is u
        assert resolve_unit_name(u.name, catalog) is u


def test_demo_city_matches_the_city_catalog() -> None:
    """The demo loader takes departments from the catalog and districts from city.json."""
    spec = json.loads(resources.files("duban.demo").joinpath("city.json").read_text("utf-8"))
    catalog = load_catalog("city")
    districts = [u.name for u in catalog.units if u.kind == "district"]
    assert [d["name"] for d in spec["districts"]] == districts
    for key in ("office", "demo_unit", "demo_other_unit"):
        assert catalog.get(spec[key]) is not None, key


def test_to_json_round_trip(tmp_path: Path) -> None:
    catalog = load_catalog("city")
    path = tmp_path / "mine.json"
    text = catalog.to_json(path)
    again = load_catalog(path)
    assert json.loads(text) == json.loads(path.read_text(encoding="utf-8"))
    assert [u.name for u in again.units] == [u.name for u in catalog.units]
    sentence = "推进城中村改造"
    assert suggest_leads(sentence, again) == suggest_leads(sentence, catalog)


def _write(tmp_path: Path, content: str) -> Path:
    p = tmp_path / "bad.json"
    p.write_text(content, encoding="utf-8")
    return p


BAD = [
    ("{not json", "JSON"),
    ("[]", "顶层"),
    ('{"units": []}', "units"),
    ('{"units": [{"short": "甲"}]}', "第 0 个单位"),
    ('{"units": [{"name": "甲"}, {"name": "乙", "kind": "bureau"}]}', "第 1 个单位"),
    ('{"units": [{"name": "甲", "keywords": "预算"}]}', "keywords"),
    ('{"units": [{"name": "甲", "keywords": ["预算", ""]}]}', "keywords"),
    ('{"units": [{"name": "甲", "aliases": [1]}]}', "aliases"),
    ('{"units": [{"name": "甲", "weights": {"预算": "高"}}]}', "weights"),
    ('{"units": [{"name": "甲"}, {"name": "乙", "short": "甲"}]}', "重复"),
    ('{"units": ["甲"]}', "第 0 个单位"),
    ('{"ignore": "健康发展", "units": [{"name": "甲"}]}', "ignore"),
]


@pytest.mark.parametrize(("content", "mentions"), BAD)
def test_bad_catalog_is_e012(tmp_path: Path, content: str, mentions: str) -> None:
    with pytest.raises(ExtractError) as exc:
        load_catalog(_write(tmp_path, content))
    assert exc.value.code == ErrorCode.E012_BAD_CATALOG
    assert mentions in exc.value.message
    assert "\n" not in exc.value.message


def test_missing_catalog_file_is_e012(tmp_path: Path) -> None:
    with pytest.raises(ExtractError) as exc:
        load_catalog(tmp_path / "nowhere.json")
    assert exc.value.code == ErrorCode.E012_BAD_CATALOG
    assert "不存在" in exc.value.message


def test_unknown_level_is_read_as_a_path() -> None:
    with pytest.raises(ExtractError) as exc:
        load_catalog("county")
    assert exc.value.code == ErrorCode.E012_BAD_CATALOG


def test_unit_dataclass_and_catalog_api() -> None:
    u = Unit("市财政局", "市财政局", ["财政局"], "government", ["预算"])
    catalog = Catalog([u], level="city")
    assert u.names == ["市财政局", "财政局"]
    assert catalog.get("财政局") is u
    assert len(catalog) == 1
    assert suggest_leads("编制预算", catalog)[0].unit == "市财政局"


def _catalog(units: list[dict]) -> Catalog:
    return catalog_from_dict({"version": "t", "level": "city", "units": units})


DUTY_TERMS = [
    ("负责全市耕地保护和土地利用管理", ["耕地保护", "土地利用"]),
    ("拟订并组织实施国民经济和社会发展规划", ["国民经济", "社会发展规划"]),
    ("政府债务管理与隐性债务风险化解", ["政府债务", "隐性债务风险化解"]),
    ("医保基金监管", ["医保基金监管"]),
    ("统筹协调有关工作", []),
]


@pytest.mark.parametrize(("phrase", "terms"), DUTY_TERMS)
def test_duty_terms(phrase: str, terms: list[str]) -> None:
    assert duty_terms(phrase) == terms


def test_duties_reach_a_unit_that_has_no_keywords() -> None:
    catalog = _catalog(
        [
            {"name": "甲", "duties": ["耕地保护与永久基本农田管理"]},
            {"name": "乙", "duties": ["城市公共交通与出租汽车管理"]},
        ]
    )
    assert [s.unit for s in suggest_leads("严格落实耕地保护制度", catalog)] == ["甲"]
    # wording no term covers still reaches the unit whose duties share its words
    assert suggest_leads("优化出租汽车和公共交通线网", catalog)[0].unit == "乙"


def test_one_shared_bigram_alone_suggests_nobody() -> None:
    catalog = _catalog(
        [{"name": "甲", "duties": ["精神文明建设与文明创建"]}, {"name": "乙", "keywords": ["预算"]}]
    )
    assert suggest_leads("要深刻领会全会精神", catalog) == []


@pytest.mark.parametrize(
    ("sentence", "bundle"),
    [
        ("各地各部门要严格落实安全生产责任，坚决遏制重特大事故", "各地各部门"),
        ("各区县要加快推进老旧小区改造", "各区县"),
        ("同时，各级政府要带头过紧日子", "各级政府"),
        ("各县（市、区）务必抓好秋粮收储", "各县（市、区）"),
    ],
)
def test_a_bundle_as_actor_is_suggested_as_itself(sentence: str, bundle: str) -> None:
    catalog = load_catalog("city")
    got = suggest_leads(sentence, catalog)
    assert isinstance(got[0], BundleSuggestion)
    assert got[0].unit == bundle and got[0].kind == "bundle" and is_bundle(got[0].unit)
    assert len(got) <= 3 and not any(is_bundle(s.unit) for s in got[1:])  # units follow
    assert suggest(sentence, catalog).bundle == got[0]


def test_the_units_of_a_bundle_task_follow_the_bundle() -> None:
    catalog = load_catalog("city")
    got = suggest_leads("各地各部门要严格落实安全生产责任，坚决遏制重特大事故", catalog)
    assert catalog.get(got[1].unit).short == "市应急管理局"
    assert suggest_leads("各地各部门要严格落实安全生产责任", catalog, k=1) == got[:1]


@pytest.mark.parametrize(
    "sentence",
    ["支持各地建设一批区域医疗中心", "推动各区县义务教育优质均衡发展", "加强预算绩效管理"],
)
def test_a_bundle_that_is_not_the_actor_is_not_suggested(sentence: str) -> None:
    catalog = load_catalog("city")
    assert suggest(sentence, catalog).bundle is None
    assert not any(is_bundle(s.unit) for s in suggest_leads(sentence, catalog))
    assert not is_bundle("市财政局")


def test_co_units_are_the_other_units_the_sentence_touches() -> None:
    catalog = load_catalog("city")
    got = suggest("落实个人消费贷款财政贴息政策，促进汽车消费", catalog)
    leads = [catalog.get(s.unit).short for s in got.leads]
    co = [catalog.get(s.unit).short for s in got.co_units]
    assert set(leads[:2]) == {"市商务局", "市财政局"}
    assert co == [leads[1]]  # the first lead is never a co-unit; weak evidence is not one
    alone = suggest("强化特种设备安全监察", catalog)
    assert alone.leads and alone.co_units == []


def test_leader_in_charge_follows_the_portfolio() -> None:
    catalog = load_catalog("city")
    assert catalog.leaders  # the demo city's division of work
    got = suggest("新建高标准农田8万亩，稳定粮食播种面积", catalog)
    assert got.leader is not None
    assert got.leader.name.startswith("副市长（分管农业农村")
    assert got.leader.units == ["市农业农村局"]
    # catalogs without portfolios suggest no leader
    assert suggest("新建高标准农田8万亩", load_catalog("province")).leader is None
    assert suggest("", catalog).leader is None


def test_leaders_survive_to_json(tmp_path: Path) -> None:
    catalog = load_catalog("city")
    again = load_catalog(Path(catalog.to_json(tmp_path / "c.json")) and tmp_path / "c.json")
    assert [(ld.name, ld.portfolio) for ld in again.leaders] == [
        (ld.name, ld.portfolio) for ld in catalog.leaders
    ]
    assert again.get("市财政局").duties == catalog.get("市财政局").duties


@pytest.mark.parametrize(
    "leaders",
    ['"王副市长"', '[{"portfolio": ["甲"]}]', '[{"name": "王", "portfolio": "甲"}]'],
)
def test_bad_leaders_are_e012(tmp_path: Path, leaders: str) -> None:
    path = _write(tmp_path, '{"leaders": ' + leaders + ', "units": [{"name": "甲"}]}')
    with pytest.raises(ExtractError) as exc:
        load_catalog(path)
    assert exc.value.code == ErrorCode.E012_BAD_CATALOG
    assert "领导" in exc.value.message or "leaders" in exc.value.message
