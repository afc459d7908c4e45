"""The start of the loop over the API: upload a report, follow the job, read the
extraction, correct the proposals (merge, split, lead unit), confirm and assign."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from duban.org.services import create_user
from duban.plans.models import Task

pytestmark = pytest.mark.django_db

REPORT = """示例市2026年政府工作报告

二、2026年重点工作

（一）扩大有效投资。全年实施市级重点项目200个，完成投资1500亿元。
（二）促进消费扩容提质。开展促消费活动100场以上，社会消费品零售总额增长6%。
（三）加强财政管理。严格落实过紧日子要求，全年盘活存量资金30亿元。
（四）推进城市更新。改造老旧小区50个，新建城市公园10个。
（五）稳定就业。全年新增城镇就业5万人，开展职业技能培训2万人次。
"""


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.fixture
def uploaded(units, office_user, settings, media_root):
    settings.DUBAN_INLINE_JOBS = True
    c = api(office_user)
    answer = c.post(
        "/api/documents/",
        {"file": SimpleUploadedFile("政府工作报告.txt", REPORT.encode()), "date": "2026-02-10"},
    )
    assert answer.status_code == 202, answer.content
    job = c.get(f"/api/jobs/{answer.json()['id']}/").json()
    assert job["status"] == "done", job
    return c, job["result"]


def test_an_uploaded_report_becomes_a_draft_plan_with_its_extraction(uploaded):
    c, result = uploaded
    assert result["tasks"] == 5
    listed = c.get("/api/documents/").json()["results"]
    assert [d["id"] for d in listed] == [result["document"]]
    assert listed[0]["plans"] == [result["plan"]] and listed[0]["status"] == "extracted"
    extraction = c.get(f"/api/documents/{result['document']}/extraction/").json()
    assert extraction and "城市更新" in str(extraction)


def test_proposals_are_corrected_then_confirmed_and_assigned(uploaded, units):
    c, result = uploaded
    tasks = list(
        Task.objects.filter(plan_id=result["plan"], status="proposed").order_by("sort_order")
    )
    merged = c.post("/api/tasks/merge/", {"tasks": [tasks[0].pk, tasks[1].pk]}, format="json")
    assert merged.status_code == 200, merged.content
    assert Task.objects.get(pk=tasks[1].pk).status == "rejected"
    split = c.post(
        f"/api/tasks/{tasks[3].pk}/split/",
        {"parts": ["改造老旧小区50个", "新建城市公园10个"]},
        format="json",
    )
    assert split.status_code == 200 and len(split.json()) == 2
    lead = c.post(f"/api/tasks/{tasks[2].pk}/lead/", {"unit": units["cz"].pk}, format="json")
    assert lead.status_code == 200
    confirmed = c.post(f"/api/plans/{result['plan']}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert tasks[2].pk in confirmed.json()["assigned"]
    assert Task.objects.get(pk=tasks[2].pk).assignment.lead_unit == units["cz"]
    # After 立项 the proposals are frozen.
    again = c.post(f"/api/tasks/{tasks[2].pk}/split/", {"parts": ["甲", "乙"]}, format="json")
    assert again.status_code == 400


def test_others_see_no_documents_and_bad_uploads_are_400(uploaded, units, settings):
    c, result = uploaded
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    assert api(clerk).get("/api/documents/").status_code == 403
    assert api(clerk).get(f"/api/documents/{result['document']}/extraction/").status_code == 403
    assert api(clerk).post("/api/documents/", {}).status_code == 403
    job_id = c.get("/api/documents/").json()["results"][0]["id"]
    assert job_id
    settings.DUBAN_MAX_UPLOAD_BYTES = 10
    big = c.post("/api/documents/", {"file": SimpleUploadedFile("a.txt", b"x" * 100)})
    assert big.status_code == 400 and "过大" in str(big.json())
    assert c.post("/api/documents/", {}).status_code == 400
    bad_merge = c.post("/api/tasks/merge/", {"tasks": [1]}, format="json")
    assert bad_merge.status_code == 400
