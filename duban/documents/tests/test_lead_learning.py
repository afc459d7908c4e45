"""The site learns lead units from the office: a correction on one report shows in the next.

The two reports are written for this test, in the style of a city's work report and its
half-year plan. Their programmes (青澜优才计划, 云岭数谷, 澜江夜市) are the city's own, so
no generic catalog knows who leads them until the office says so.
"""

from __future__ import annotations

import datetime as dt

import pytest

from duban.documents.models import LeadWeights
from duban.documents.services import ingest_document, site_catalog
from duban.extract.units import load_catalog
from duban.org.models import Unit
from duban.org.services import create_user
from duban.plans import review
from duban.plans.models import Assignment
from duban.plans.services import propose_plan

REPORT_A = """青澜市2026年政府工作报告（摘要）

一、2026年重点工作

（一）集聚创新人才。深入实施青澜优才计划，全年引进青年人才8000名。加快云岭数谷一期建设，引进电子信息企业30家。

（二）繁荣文旅消费。打造澜江夜市特色街区，办好澜江灯会。

（三）保护生态空间。推进望海湾岸线整治修复，完成岸线修复12公里。
"""
REPORT_B = """青澜市2026年下半年重点工作安排

一、重点任务

（一）人才。推动青澜优才计划扩容提质，新建青年人才驿站10个。

（二）产业。开工建设云岭数谷二期。

（三）文旅。提升澜江夜市品质，延长夜间营业时间。

（四）生态。加强望海湾岸线生态保护。

（五）监管。强化食品安全监管，开展校园食品安全专项检查。
"""
# key phrase of a task → the lead the office chooses (report A) or would choose (report B)
CHOICES_A = {
    "青澜优才计划": "中共市委组织部",
    "云岭数谷一期": "市工业和信息化局",
    "澜江夜市特色街区": "市文化广电和旅游局",
    "望海湾岸线整治": "市自然资源和规划局",
}
EXPECTED_B = {
    "青澜优才计划": "中共市委组织部",
    "云岭数谷二期": "市工业和信息化局",
    "澜江夜市品质": "市文化广电和旅游局",
    "望海湾岸线": "市自然资源和规划局",
    "食品安全监管": "市市场监督管理局",
}


@pytest.fixture
def city_units(db):
    """The catalog's departments as org units, as the demo loader makes them."""
    root = Unit.objects.create(name="青澜市委、市政府", kind="root")
    out = {}
    for cu in load_catalog("city").lead_candidates():
        kind = cu.kind if cu.kind in ("party", "government") else "other"
        out[cu.name] = Unit.objects.create(
            name=cu.name, short_name=cu.short, aliases=cu.aliases, kind=kind, parent=root
        )
    out["office"] = Unit.objects.create(name="市委督查室", kind="office", parent=root)
    return out


@pytest.fixture
def office(city_units):
    return create_user("learn_office", password="x", unit=city_units["office"], role="office")


def ingest(text: str, name: str):
    return ingest_document(text.encode("utf-8"), filename=name, date=dt.date(2026, 2, 1))


def lead_at_1(document) -> float:
    tasks = document.extraction["tasks"]
    hits = 0
    for key, lead in EXPECTED_B.items():
        task = next(t for t in tasks if key in t["text"])
        first = task["lead_suggestions"][:1]
        hits += bool(first) and first[0]["unit"] == lead
    return hits / len(EXPECTED_B)


def test_correcting_report_a_raises_lead_at_1_on_report_b(media_root, city_units, office):
    before = lead_at_1(ingest(REPORT_B, "下半年安排（修正前）.txt"))

    plan = propose_plan(ingest(REPORT_A, "政府工作报告.txt"), title="2026年重点工作", actor=office)
    for key, lead in CHOICES_A.items():
        task = plan.tasks.get(text__contains=key)
        review.set_lead_from_suggestion(task, actor=office, unit=city_units[lead])

    row = LeadWeights.objects.get(catalog="city")
    assert row.corrections == len(CHOICES_A)
    after = lead_at_1(ingest(REPORT_B, "下半年安排.txt"))
    assert before <= 0.4
    assert after == 1.0


def test_an_assignment_by_hand_also_teaches(media_root, city_units, office, client):
    plan = propose_plan(ingest(REPORT_A, "政府工作报告.txt"), title="2026年重点工作", actor=office)
    task = plan.tasks.get(text__contains="云岭数谷一期")
    review.confirm_plan_with_assignments(plan, actor=office)
    client.force_login(office)
    unit = city_units["市工业和信息化局"]
    response = client.post(
        f"/api/tasks/{task.pk}/assign/", {"lead_unit": unit.pk}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert Assignment.objects.get(task=task).lead_unit == unit
    weights = LeadWeights.objects.get(catalog="city").weights["units"]
    assert weights["市工业和信息化局"]["数谷"] > 0


def test_site_catalog_is_the_packaged_one_until_something_is_learned(db):
    assert site_catalog("city") is load_catalog("city")
    LeadWeights.objects.create(catalog="city", weights={"units": {"市文旅局": {"夜市": 4.0}}})
    learned = site_catalog("city")
    assert learned is not load_catalog("city")
    assert learned._overlay and not load_catalog("city")._overlay


def test_a_document_extracted_without_a_catalog_teaches_nothing(media_root, city_units, office):
    doc = ingest_document(
        REPORT_A.encode("utf-8"), filename="a.txt", date=dt.date(2026, 2, 1), catalog=None
    )
    assert doc.metadata["catalog"] is None
    plan = propose_plan(doc, title="无目录", actor=office)
    task = plan.tasks.get(text__contains="云岭数谷一期")
    review.set_lead_from_suggestion(task, actor=office, unit=city_units["市工业和信息化局"])
    assert not LeadWeights.objects.exists()
    task.refresh_from_db()
    assert task.extracted["lead_choice"]["name"] == "市工业和信息化局"  # the choice stands


def test_a_bundle_task_is_left_for_the_office_to_assign(media_root, city_units, office):
    text = REPORT_B.replace("强化食品安全监管", "各区县要强化食品安全监管")
    plan = propose_plan(ingest(text, "b.txt"), title="下半年", actor=office)
    task = plan.tasks.get(text__contains="各区县要强化")
    assert task.lead_suggestions[0]["unit"] == "各区县"
    result = review.confirm_plan_with_assignments(plan, actor=office)
    assert task in result.unassigned


def test_choosing_a_lead_on_the_review_page_teaches(media_root, city_units, office, client):
    document = ingest(REPORT_A, "政府工作报告.txt")
    plan = propose_plan(document, title="2026年重点工作", actor=office)
    task = plan.tasks.get(text__contains="澜江夜市特色街区")
    unit = city_units["市文化广电和旅游局"]
    client.force_login(office)
    response = client.post(
        f"/documents/{document.pk}/review/tasks/{task.pk}/lead/", {"unit": unit.pk}
    )
    assert response.status_code in (200, 302), response.content
    task.refresh_from_db()
    assert task.extracted["lead_choice"]["id"] == unit.pk
    weights = LeadWeights.objects.get(catalog="city").weights["units"]
    assert weights["市文化广电和旅游局"]["夜市"] > 0
    # the next upload of the same place already knows
    again = ingest("提升澜江夜市品质。", "b.txt").extraction["tasks"]
    assert again[0]["lead_suggestions"][0]["unit"] == "市文化广电和旅游局"
