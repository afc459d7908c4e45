"""/api/projects/: the ledger's list and detail, the office's create and edit, a month's
entry; the same rules, error shape, Idempotency-Key, If-Match and ETag as the task API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from duban.core.models import AuditEntry
from duban.projects.models import MonthlyProgress, Project, ProjectPhoto
from duban.projects.tests.conftest import YEAR, png

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def codes(answer) -> list[str]:
    assert answer.status_code == 200, answer.content
    return [p["code"] for p in answer.json()["results"]]


def test_the_list_filters_orders_and_pages(ledger):
    c = api(ledger["users"]["office"])
    assert codes(c.get(f"/api/projects/?year={YEAR}")) == ["P-01", "P-02", "P-03"]
    assert codes(c.get(f"/api/projects/?year={YEAR}&ordering=-plan")) == ["P-01", "P-03", "P-02"]
    assert codes(c.get("/api/projects/?ordering=rate,code")) == ["P-03", "P-01", "P-02"]
    sector = ledger["sectors"]["产业项目"].pk
    assert codes(c.get(f"/api/projects/?sector={sector}")) == ["P-01", "P-03"]
    assert codes(c.get(f"/api/projects/?unit={ledger['units']['sw'].pk}")) == ["P-03"]
    assert codes(c.get("/api/projects/?status=completed")) == []
    page = c.get("/api/projects/?page_size=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2
    first = c.get("/api/projects/?ordering=code").json()["results"][0]
    assert (first["cumulative"], first["rate"], first["sector_name"]) == (
        "250.00",
        "25.0",
        "产业项目",
    )


@pytest.mark.parametrize(
    "query, field",
    [
        ("ordering=colour", "ordering"),
        ("status=done", "status"),
        ("unit=abc", "unit"),
        ("year=1900", "year"),
        ("page_size=0", "page_size"),
    ],
)
def test_bad_list_parameters_are_a_400_in_the_one_error_shape(ledger, query, field):
    answer = api(ledger["users"]["office"]).get(f"/api/projects/?{query}")
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid" and field in error["message"]


def test_an_unchanged_list_is_a_304(ledger):
    c = api(ledger["users"]["office"])
    first = c.get("/api/projects/")
    etag = first["ETag"]
    assert c.get("/api/projects/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    from duban.projects import services

    services.record_month(ledger["p3"], actor=ledger["users"]["office"], month=1, completed="5")
    assert c.get("/api/projects/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_unit_sees_only_its_projects_and_another_is_not_found(ledger):
    c = api(ledger["users"]["clerk2"])
    assert codes(c.get("/api/projects/")) == ["P-03"]
    p1 = ledger["p1"]
    for answer in (
        c.get(f"/api/projects/{p1.pk}/"),
        c.patch(f"/api/projects/{p1.pk}/", {"name": "x"}, format="json", HTTP_IF_MATCH='"1"'),
        c.post(f"/api/projects/{p1.pk}/months/", {"month": 3, "completed": "1"}, format="json"),
    ):
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    assert c.get("/api/projects/99999999999999999999/").status_code == 404
    assert not MonthlyProgress.objects.filter(project=p1, month=3).exists()


def test_the_detail_has_the_months(ledger):
    answer = api(ledger["users"]["clerk"]).get(f"/api/projects/{ledger['p1'].pk}/").json()
    assert [(m["month"], m["completed"], m["cumulative"], m["rate"]) for m in answer["months"]] == [
        (1, "100.00", "100.00", "10.0"),
        (2, "150.00", "250.00", "25.0"),
    ]
    assert answer["cumulative"] == "250.00" and answer["image_progress"] == "主体施工"


def _new(ledger, **extra):
    return {
        "year": YEAR,
        "code": "A-1",
        "name": "接口项目",
        "sector": ledger["sectors"]["社会民生"].pk,
        "lead_unit": ledger["units"]["cz"].pk,
        "total_investment": "800",
        "annual_plan": "200",
        **extra,
    }


def test_the_office_creates_once_per_idempotency_key(ledger):
    c = api(ledger["users"]["office"])
    first = c.post("/api/projects/", _new(ledger), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201 and first.json()["code"] == "A-1"
    again = c.post("/api/projects/", _new(ledger), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Project.objects.filter(code="A-1").count() == 1
    clash = c.post("/api/projects/", _new(ledger), format="json")
    assert clash.status_code == 400 and "已有项目编号" in clash.json()["error"]["message"]


@pytest.mark.parametrize(
    "extra, words",
    [
        ({"annual_plan": "900"}, "不能大于总投资"),
        ({"total_investment": "-1"}, "total_investment"),
        ({"sector": 999999}, "sector"),
        ({"status": "done"}, "status"),
    ],
)
def test_bad_projects_are_a_400_and_write_nothing(ledger, extra, words):
    before = (Project.objects.count(), AuditEntry.objects.count())
    answer = api(ledger["users"]["office"]).post(
        "/api/projects/", _new(ledger, **extra), format="json"
    )
    assert answer.status_code == 400 and words in str(answer.json()["error"]["message"])
    assert (Project.objects.count(), AuditEntry.objects.count()) == before


def test_a_clerk_may_not_create_or_edit(ledger):
    c = api(ledger["users"]["clerk"])
    assert c.post("/api/projects/", _new(ledger), format="json").status_code == 403
    p1 = ledger["p1"]
    answer = c.patch(f"/api/projects/{p1.pk}/", {"name": "x"}, format="json", HTTP_IF_MATCH='"1"')
    assert answer.status_code == 403


def test_patch_needs_the_version_and_a_stale_one_changes_nothing(ledger):
    c = api(ledger["users"]["office"])
    p1 = Project.objects.get(pk=ledger["p1"].pk)
    url = f"/api/projects/{p1.pk}/"
    assert c.patch(url, {"name": "新名"}, format="json").status_code == 400
    stale = c.patch(url, {"name": "新名"}, format="json", HTTP_IF_MATCH=f'"{p1.version - 1}"')
    assert stale.status_code == 412 and stale.json()["error"]["current_version"] == p1.version
    ok = c.patch(
        url, {"name": "新名", "status": "completed"}, format="json", HTTP_IF_MATCH=f'"{p1.version}"'
    )
    assert (
        ok.status_code == 200 and ok.json()["name"] == "新名" and ok.json()["status"] == "completed"
    )
    change = AuditEntry.for_object(p1).filter(action="update").latest("id")
    assert change.before["name"] == "智能制造产业园" and change.after["name"] == "新名"


def test_a_month_is_entered_once_per_key_and_updated_by_a_second_entry(ledger):
    c = api(ledger["users"]["clerk"])
    url = f"/api/projects/{ledger['p2'].pk}/months/"
    body = {"month": 2, "completed": "30.5", "image_progress": "路基施工"}
    first = c.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="m2")
    assert first.status_code == 201 and first.json()["cumulative"] == "130.50"
    replay = c.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="m2")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    update = c.post(url, {**body, "completed": "40"}, format="json")
    assert update.status_code == 200 and update.json()["cumulative"] == "140.00"
    assert MonthlyProgress.objects.filter(project=ledger["p2"], month=2).count() == 1


def test_a_month_with_photos_over_multipart(ledger):
    c = api(ledger["users"]["clerk"])
    url = f"/api/projects/{ledger['p2'].pk}/months/"
    answer = c.post(
        url,
        {
            "month": 3,
            "completed": "10",
            "photos": [SimpleUploadedFile("a.png", png(), "image/png")],
        },
        format="multipart",
    )
    assert answer.status_code == 201
    photos = answer.json()["months"][-1]["photos"]
    assert [(p["name"], p["width"], p["height"]) for p in photos] == [("a.png", 8, 6)]
    before = (ProjectPhoto.objects.count(), AuditEntry.objects.count())
    bad = c.post(
        url,
        {
            "month": 4,
            "completed": "10",
            "photos": [SimpleUploadedFile("b.png", b"GIF89a..", "image/png")],
        },
        format="multipart",
    )
    assert bad.status_code == 400 and "照片“b.png”无法使用" in bad.json()["error"]["message"]
    assert (ProjectPhoto.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize(
    "body, words",
    [
        ({"month": 13, "completed": "1"}, "month"),
        ({"month": 3, "completed": "abc"}, "completed"),
        ({"month": 3}, "completed"),
        ({"month": 3, "completed": "1.001"}, "completed"),
    ],
)
def test_bad_months_are_a_400(ledger, body, words):
    answer = api(ledger["users"]["clerk"]).post(
        f"/api/projects/{ledger['p2'].pk}/months/", body, format="json"
    )
    assert answer.status_code == 400 and words in str(answer.json()["error"]["message"])


def test_the_viewer_may_read_but_not_enter(ledger):
    c = api(ledger["users"]["viewer"])
    assert c.get(f"/api/projects/{ledger['p1'].pk}/").status_code == 200
    answer = c.post(
        f"/api/projects/{ledger['p1'].pk}/months/", {"month": 3, "completed": "1"}, format="json"
    )
    assert answer.status_code == 403


def test_the_sector_list(ledger):
    names = [s["name"] for s in api(ledger["users"]["clerk"]).get("/api/projects/sectors/").json()]
    assert names[:5] == ["产业项目", "基础设施", "社会民生", "生态环保", "城市更新"]


def test_the_schema_documents_the_resource():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert {"/api/projects/", "/api/projects/{id}/", "/api/projects/{id}/months/"} <= set(paths)
    post = paths["/api/projects/{id}/months/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    patch = paths["/api/projects/{id}/"]["patch"]
    assert any(p["name"] == "If-Match" for p in patch["parameters"]) and "412" in patch["responses"]


def test_a_polled_list_is_kept_until_a_month_is_entered(ledger):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from duban.projects import services

    c = api(ledger["users"]["office"])
    first = c.get("/api/projects/?ordering=code").json()["results"][2]
    assert first["cumulative"] == "0.00"
    with CaptureQueriesContext(connection) as kept:
        c.get("/api/projects/?ordering=code")
    assert not any("projects_project" in q["sql"] for q in kept.captured_queries)
    services.record_month(ledger["p3"], actor=ledger["users"]["clerk2"], month=1, completed="7")
    again = c.get("/api/projects/?ordering=code").json()["results"][2]
    assert again["cumulative"] == "7.00"
    # Another audience is drawn for itself: a clerk never gets the office's kept answer.
    assert codes(api(ledger["users"]["clerk2"]).get("/api/projects/?ordering=code")) == ["P-03"]
