"""Plans over the API: create a draft, add and take out tasks, import a task book (all rows
or none), export it in three formats; the office only, with the page's rules."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from duban.org.services import create_user
from duban.plans.models import Plan, Task
from duban.plans.tests.conftest import _counts, build_book

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_a_draft_plan_is_built_task_by_task_and_then_frozen(units, office_user):
    c = api(office_user)
    made = c.post("/api/plans/", {"title": "2027年重点工作", "year": 2027}, format="json")
    assert made.status_code == 201 and made.json()["status"] == "draft"
    plan_id = made.json()["id"]
    first = c.post(
        "/api/tasks/", {"plan": plan_id, "text": "建成城市更新示范片区3个"}, format="json"
    )
    second = c.post(
        "/api/tasks/",
        {"plan": plan_id, "text": "新增城镇就业5万人", "deadline": "2027-12-31"},
        format="json",
    )
    assert first.status_code == 201 and second.status_code == 201
    assert second.json()["deadline"] == "2027-12-31"
    gone = c.delete(f"/api/tasks/{first.json()['id']}/")
    assert gone.status_code == 204
    assert Task.objects.get(pk=first.json()["id"]).status == "rejected"  # on record
    assert c.post(f"/api/plans/{plan_id}/confirm/").status_code == 200
    late = c.post("/api/tasks/", {"plan": plan_id, "text": "再加一项"}, format="json")
    assert late.status_code == 400 and "已立项" in late.json()["error"]["message"]
    assert c.delete(f"/api/tasks/{second.json()['id']}/").status_code == 400


def test_only_the_office_makes_plans_and_bad_input_writes_nothing(units, office_user):
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    before = Plan.objects.count()
    assert api(clerk).post("/api/plans/", {"title": "x", "year": 2027}).status_code == 403
    bad = api(office_user).post("/api/plans/", {"title": "", "year": 1900}, format="json")
    assert bad.status_code == 400 and set(bad.json()["error"]["message"]) == {"title", "year"}
    plan = Plan.objects.create(title="草稿", year=2027)
    empty = api(office_user).post("/api/tasks/", {"plan": plan.pk, "text": ""}, format="json")
    assert empty.status_code == 400
    assert Plan.objects.count() == before + 1 and not Task.objects.exists()


def _upload(path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


def test_a_task_book_imports_whole_or_not_at_all(org, office_user, tmp_path):
    c = api(office_user)
    good = build_book(tmp_path / "任务分解表.xlsx")
    before = _counts()
    dry = c.post("/api/plans/import/", {"file": _upload(good), "year": 2026, "dry_run": True})
    assert dry.status_code == 200, dry.content
    assert dry.json()["tasks"] == 5 and dry.json()["committed"] is False
    assert _counts() == before  # a dry run writes nothing
    bad = build_book(tmp_path / "坏.xlsx", bad_unit="市大数据局")
    refused = c.post("/api/plans/import/", {"file": _upload(bad), "year": 2026})
    assert refused.status_code == 400
    assert "市大数据局" in str(refused.json()["error"]["rows"])
    assert _counts() == before
    junk = SimpleUploadedFile("book.xlsx", b"not a workbook at all")
    assert c.post("/api/plans/import/", {"file": junk}).status_code == 400
    done = c.post("/api/plans/import/", {"file": _upload(good), "year": 2026})
    assert done.status_code == 201 and done.json()["committed"] is True
    assert Plan.objects.get(pk=done.json()["plan"]).tasks.count() == 5


def test_the_exported_book_opens_in_each_format(org, office_user, tmp_path):
    c = api(office_user)
    done = c.post(
        "/api/plans/import/", {"file": _upload(build_book(tmp_path / "b.xlsx")), "year": 2026}
    )
    plan = Plan.objects.get(pk=done.json()["plan"])
    texts = set(plan.tasks.values_list("text", flat=True))
    xlsx = c.get(f"/api/plans/{plan.pk}/export/", {"as": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value}
    assert texts <= cells
    rows = list(
        csv.reader(
            io.StringIO(
                c.get(f"/api/plans/{plan.pk}/export/", {"as": "csv"}).content.decode("utf-8-sig")
            )
        )
    )
    assert texts <= {cell for row in rows for cell in row}
    book = json.loads(c.get(f"/api/plans/{plan.pk}/export/", {"as": "json"}).content)
    assert book["format"] and texts <= set(json.dumps(book, ensure_ascii=False).split('"'))
    assert c.get(f"/api/plans/{plan.pk}/export/", {"as": "doc"}).status_code == 400
    clerk = create_user("clerk", password="x", unit=org["sw"], role="clerk")
    assert api(clerk).get(f"/api/plans/{plan.pk}/export/").status_code == 403


def test_if_match_guards_an_edit_and_a_stale_one_changes_nothing(units, office_user):
    plan = Plan.objects.create(title="版本方案", year=2027)
    task = Task.objects.create(plan=plan, code="1", text="原文")
    c = api(office_user)
    url = f"/api/tasks/{task.pk}/"
    ok = c.patch(url, {"text": "第一次修改"}, format="json", HTTP_IF_MATCH=f'"{task.version}"')
    assert ok.status_code == 200 and ok.json()["text"] == "第一次修改"
    stale = c.patch(url, {"text": "过期的修改"}, format="json", HTTP_IF_MATCH=f'"{task.version}"')
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "precondition_failed"
    assert stale.json()["error"]["current_version"] == task.version + 1
    assert Task.objects.get(pk=task.pk).text == "第一次修改"
    weak = c.patch(url, {"text": "第二次"}, format="json", HTTP_IF_MATCH=f'W/"{task.version + 1}"')
    assert weak.status_code == 200
    assert c.patch(url, {"text": "x"}, format="json", HTTP_IF_MATCH="abc").status_code == 400
    assert c.patch(url, {"text": "x"}, format="json").status_code == 400  # no version at all
    body_stale = c.patch(url, {"text": "x", "version": 1}, format="json")
    assert body_stale.status_code == 409  # the body's version: the conflict it always was
    assert Task.objects.get(pk=task.pk).text == "第二次"
