"""Every genre an office receives, on short documents written for these tests.

Each text below is ours (no real document's wording); it imitates the layout and the
customary phrasing of its genre: a commentary, a plenary communiqué, an NPC resolution,
a supervision notice and a county implementation plan. The assertions name what an office
would put in its task book and what it would never put there.
"""

from __future__ import annotations

import datetime

from duban.extract.pipeline import extract_text

COMMENTARY = """奋力开创高质量发展新局面
——一论学习贯彻市委十三届八次全会精神
本报评论员
春风浩荡满目新，扬帆破浪正当时。市委十三届八次全会的召开，为全市上下做好今年工作指明了方向。全会报告站位高远、内涵丰富，是一篇凝心聚力的好报告。
过去一年，面对复杂严峻的形势，全市经济总量突破八千亿元，一批重大项目建成投用，人民群众获得感明显增强。成绩来之不易，经验弥足珍贵。
新的一年，全市上下要把思想和行动统一到全会精神上来，牢牢把握高质量发展这个首要任务。必须坚持项目为王，扎实推进重大项目建设，确保全年完成投资一千二百亿元。要大力发展先进制造业，加快培育新能源汽车、生物医药等产业集群。
民生是最大的政治。要持续办好十件民生实事，确保城乡居民收入与经济增长同步。各级领导干部必须扛起责任，以钉钉子精神抓好落实。
时不我待，只争朝夕。让我们更加紧密地团结在一起，奋力谱写新时代发展新篇章！"""

COMMUNIQUE = """中国共产党某市第十三届委员会第八次全体会议公报
（2026年1月10日中国共产党某市第十三届委员会第八次全体会议通过）
中国共产党某市第十三届委员会第八次全体会议于2026年1月9日至10日在某市举行。
全会听取和讨论了市委常委会工作报告，审议通过了《中共某市委关于制定全市国民经济和社会发展第十五个五年规划的建议》。
全会充分肯定了市委常委会过去一年的工作。全会认为，过去一年全市经济运行稳中向好，发展质量不断提升。
全会强调，做好今年工作，必须坚持稳中求进工作总基调，完整准确全面贯彻新发展理念。要着力扩大有效投资，全年实施重大项目300个以上。要深化国资国企改革，年底前完成市属企业整合重组。要扎实办好民生实事，确保新增城镇就业5万人。
全会要求，各级党组织和广大党员干部要强化担当作为，以钉钉子精神抓好各项任务落实。
全会号召，全市广大党员干部群众紧密团结在党中央周围，为奋力谱写现代化建设新篇章而团结奋斗！"""

RESOLUTION = """某市第十六届人民代表大会第五次会议关于政府工作报告的决议
（2026年1月28日某市第十六届人民代表大会第五次会议通过）
某市第十六届人民代表大会第五次会议听取和审议了市长所作的政府工作报告。会议充分肯定市人民政府过去一年的工作，同意报告提出的今年经济社会发展主要目标、总体要求和重点任务，决定批准这个报告。
会议要求，市人民政府要坚持稳中求进工作总基调，着力扩大内需，加快建设现代化产业体系，持续保障和改善民生，确保完成全年目标任务。
会议号召，全市各族人民团结奋斗，为建设社会主义现代化城市而努力奋斗！"""

NOTICE = """关于开展2026年重点工作专项督查的通知
各区县人民政府，市政府各部门：
为推动市政府工作报告确定的重点任务落地见效，经市政府同意，决定开展专项督查。现将有关事项通知如下：
一、督查内容
（一）重大项目建设情况。重点督查项目开工、投资完成和要素保障情况。
（二）民生实事推进情况。重点督查十件民生实事的进度和资金到位情况。
二、工作要求
（一）各区县、各部门要于3月15日前完成自查，形成自查报告报市政府督查室。
（二）要建立问题清单，对发现的问题逐项整改，6月底前整改到位。
（三）督查结果纳入年度绩效考核，对工作不力的单位予以通报。
某市人民政府办公室
2026年2月20日"""

COUNTY_PLAN = """某县2026年优化营商环境工作实施方案
为持续优化营商环境，激发市场主体活力，制定本方案。
一、工作目标
到2026年底，全县营商环境主要指标进入全市前列，市场主体总量增长10%以上。
二、重点任务
（一）提升政务服务效能。
1.推行“一件事一次办”，年内实现高频事项全覆盖。（牵头单位：县行政审批局；责任单位：县直各部门）
2.6月底前建成县级政务服务中心综合窗口。（牵头单位：县政务服务中心）
（二）强化要素保障。
3.设立中小企业应急转贷资金2000万元。（牵头单位：县财政局；责任单位：县金融办）
三、保障措施
各乡镇、各部门要加强组织领导，明确责任分工，确保各项任务按期完成。"""


def texts(raw: str) -> list[str]:
    return [t.text for t in extract_text(raw, date=datetime.date(2026, 1, 10)).tasks]


def test_commentary_gives_its_demands_and_never_praise_or_review() -> None:
    doc = extract_text(COMMENTARY, date=datetime.date(2026, 1, 12))
    (art,) = doc.articles
    assert art.title == "奋力开创高质量发展新局面"
    assert art.subtitle == "——一论学习贯彻市委十三届八次全会精神"
    assert art.authors == ["本报评论员"]
    got = [t.text for t in doc.tasks]
    assert "必须坚持项目为王，扎实推进重大项目建设，确保全年完成投资一千二百亿元" in got
    assert "要持续办好十件民生实事，确保城乡居民收入与经济增长同步" in got
    assert "各级领导干部必须扛起责任，以钉钉子精神抓好落实" in got
    joined = "".join(got)
    for praise in ("好报告", "站位高远", "突破八千亿元", "成绩来之不易", "让我们", "春风浩荡"):
        assert praise not in joined


def test_communique_takes_what_the_plenary_stresses_and_asks() -> None:
    doc = extract_text(COMMUNIQUE)
    assert doc.date == datetime.date(2026, 1, 10)  # from the adoption note under the title
    assert doc.articles[0].title == "中国共产党某市第十三届委员会第八次全体会议公报"
    got = [t.text for t in doc.tasks]
    assert "要深化国资国企改革，年底前完成市属企业整合重组" in got
    assert any(t.startswith("全会要求，各级党组织和广大党员干部要强化担当作为") for t in got)
    joined = "".join(got)
    for narration in ("听取和讨论了", "充分肯定", "全会认为", "全会号召"):
        assert narration not in joined
    dl = next(t.deadline for t in doc.tasks if "整合重组" in t.text)
    assert dl.end == datetime.date(2026, 12, 31)


def test_resolution_takes_its_demand_on_the_government() -> None:
    got = texts(RESOLUTION)
    assert len(got) == 1 and got[0].startswith("会议要求，市人民政府要坚持稳中求进工作总基调")
    (task,) = extract_text(RESOLUTION).tasks
    assert [i.text for i in task.items][:3] == [
        "市人民政府要坚持稳中求进工作总基调",
        "着力扩大内需",
        "加快建设现代化产业体系",
    ]


def test_supervision_notice_items_are_tasks_with_their_dates() -> None:
    doc = extract_text(NOTICE)
    assert doc.date == datetime.date(2026, 2, 20)  # the date under the issuing office
    by_text = {t.text: t for t in doc.tasks}
    self_check = by_text["各区县、各部门要于3月15日前完成自查，形成自查报告报市政府督查室"]
    assert self_check.deadline.end == datetime.date(2026, 3, 15)
    assert by_text["要建立问题清单，对发现的问题逐项整改，6月底前整改到位"].deadline.end == (
        datetime.date(2026, 6, 30)
    )
    sections = [s.title for s in doc.articles[0].sections]
    assert "重大项目建设情况" in sections
    assert not any("要于3月15日前" in s for s in sections)  # an item, not an area heading


def test_county_plan_keeps_the_units_it_names() -> None:
    doc = extract_text(COUNTY_PLAN, date=datetime.date(2026, 2, 1))
    by_text = {t.text: t for t in doc.tasks}
    fund = by_text["设立中小企业应急转贷资金2000万元"]
    assert fund.section == "强化要素保障"
    assert fund.lead_suggestions[0].unit == "县财政局"
    assert fund.lead_suggestions[0].matched == ["牵头单位"]
    assert "县金融办" in fund.actors
    window = by_text["6月底前建成县级政务服务中心综合窗口"]  # the list number 「2.」 is layout
    assert window.deadline.end == datetime.date(2026, 6, 30)
    assert window.lead_suggestions[0].unit == "县政务服务中心"
    assert "强化要素保障" not in by_text  # an area heading is not a task
