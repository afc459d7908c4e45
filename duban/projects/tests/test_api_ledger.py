"""The ledger over the API (``POST /api/projects/import/``) and deleting a month's photo
(``DELETE /api/project-photos/{id}/`` and the page's button): the same guards and
sentences as the import page, all rows or none, permission-checked, audited, the file
gone from storage."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from duban.core.models import AuditEntry
from duban.projects import services
from duban.projects.models import MonthlyProgress, Project, ProjectPhoto
from duban.projects.tests.conftest import YEAR, png
from duban.projects.tests.test_ledger import HEAD, _bomb, _book, exported

pytestmark = pytest.mark.django_db


def _import(client, data, *, name="台账.xlsx", key=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        "/api/projects/import/",
        {"file": SimpleUploadedFile(name, data), "year": YEAR, **extra},
        **headers,
    )


def _written():
    return (Project.objects.count(), MonthlyProgress.objects.count(), AuditEntry.objects.count())


def test_the_api_imports_the_exported_ledger_once_per_key(client, ledger):
    office = ledger["users"]["office"]
    client.force_login(office)
    data = exported(office)
    Project.objects.filter(code="P-03").delete()
    checked = _import(client, data, dry_run="true")
    assert checked.status_code == 200, checked.content
    assert checked.json()["summary"] == "共 3 个项目：新增 1 个，更新 2 个。"
    assert checked.json()["committed"] is False and not Project.objects.filter(code="P-03")
    done = _import(client, data, key="ledger-1")
    assert done.status_code == 201, done.content
    assert done.json() | {"summary": ""} == {
        "summary": "", "year": YEAR, "projects": 3, "created": 1, "updated": 0,
        "months": 0, "committed": True,
    }  # fmt: skip
    p3 = Project.objects.get(code="P-03")
    assert (p3.name, p3.annual_plan) == ("跨境电商中心", Decimal("500.00"))
    assert AuditEntry.for_object(p3).filter(action="create").get().actor == office
    # The same key: the first answer, nothing imported again.
    before = _written()
    again = _import(client, data, key="ledger-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == done.json() and _written() == before


def test_a_bad_row_writes_nothing_and_every_error_names_its_row(client, ledger):
    client.force_login(ledger["users"]["office"])
    rows = [
        HEAD,
        [1, "好项目", "P-20", "产业项目", "市发改委", "", 100, 50, None, None, 1, None, "", ""],
        [2, "", "P-21", "产业项目", "不存在局", "", 100, 50, None, None, None, None, "", ""],
    ]  # fmt: skip
    before = _written()
    response = _import(client, _book(rows).getvalue(), key="bad-1")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "有 2 处错误，未导入任何内容。"
    assert {(r["row"], r["column"]) for r in error["rows"]} == {(4, "项目名称"), (4, "责任单位")}
    assert "找不到单位“不存在局”" in str(error["rows"])
    assert _written() == before and not Project.objects.filter(code="P-20").exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.xlsx", b"", "空文件"),
        ("a.xlsx", b"PK\x03\x04broken", "Excel 文件已损坏或不完整"),
        ("a.xlsx", "bomb", "疑似恶意文件"),
        ("a.json", b'{"format": "duban.taskbook"}', "请上传 Excel 台账"),
        ("a.xlsx", "noheader", "找不到台账的表头"),
    ],
)
def test_broken_files_get_the_pages_sentences_and_write_nothing(
    client, ledger, name, data, message
):
    client.force_login(ledger["users"]["office"])
    if data == "bomb":
        data = _bomb()
    elif data == "noheader":
        data = _book([["这里", "没有", "表头"]]).getvalue()
    before = _written()
    response = _import(client, data, name=name)
    assert response.status_code == 400
    assert message in str(response.json()["error"]["message"])
    assert _written() == before


def test_only_the_office_imports(client, ledger):
    client.force_login(ledger["users"]["clerk"])
    before = _written()
    rows = AuditEntry.objects.filter(object_type__startswith="projects.")
    entries = rows.count()
    response = _import(client, exported(ledger["users"]["office"]))
    assert response.status_code == 403 and _written()[:2] == before[:2]
    # The refusal itself is on record (the security log); no project row is.
    assert rows.count() == entries


# -- a month's photo ----------------------------------------------------------------------


@pytest.fixture
def photo(ledger):
    services.record_month(
        ledger["p1"], actor=ledger["users"]["clerk"], month=2, completed="150",
        photos=[SimpleUploadedFile("工地.png", png())],
    )  # fmt: skip
    return ProjectPhoto.objects.get(name="工地.png")


def test_the_projects_unit_deletes_a_photo_audited_and_the_file_goes(
    client, ledger, photo, django_capture_on_commit_callbacks
):
    path = Path(photo.file.path)
    assert path.exists()
    client.force_login(ledger["users"]["clerk"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/project-photos/{photo.pk}/")
    assert response.status_code == 204
    assert not ProjectPhoto.objects.filter(pk=photo.pk).exists() and not path.exists()
    event = AuditEntry.for_object(ledger["p1"]).get(event="project_photo_deleted")
    assert event.after["photo"] == "工地.png" and event.after["month"] == 2
    assert event.actor == ledger["users"]["clerk"]
    gone = AuditEntry.objects.get(
        action="delete", object_id=str(photo.pk), object_type="projects.projectphoto"
    )
    assert gone.before["sha256"] == photo.sha256
    # The month stays, with its figure.
    assert ledger["p1"].months.get(month=2).completed == Decimal(150)
    again = client.delete(f"/api/project-photos/{photo.pk}/")
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [("clerk2", 404), ("viewer", 403)],
)
def test_others_cannot_delete_a_photo_and_it_stays(
    client, ledger, photo, who, status, django_capture_on_commit_callbacks
):
    client.force_login(ledger["users"][who])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/project-photos/{photo.pk}/")
    assert response.status_code == status
    assert ProjectPhoto.objects.filter(pk=photo.pk).exists()
    assert Path(photo.file.path).exists()
    assert not AuditEntry.objects.filter(event="project_photo_deleted").exists()


def test_the_project_page_offers_the_delete_button_to_those_who_may(
    client, ledger, photo, django_capture_on_commit_callbacks
):
    url = f"/projects/{ledger['p1'].pk}/"
    client.force_login(ledger["users"]["viewer"])
    assert "photo-delete" not in client.get(url).content.decode()
    assert client.post(f"/projects/photos/{photo.pk}/delete/").status_code == 403
    client.force_login(ledger["users"]["clerk"])
    page = client.get(url).content.decode()
    assert f'action="/projects/photos/{photo.pk}/delete/"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/projects/photos/{photo.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == url
    assert "已删除照片“工地.png”" in response.content.decode()
    assert not ProjectPhoto.objects.filter(pk=photo.pk).exists()
    assert not Path(photo.file.path).exists()


def test_a_deletion_that_fails_keeps_the_row_and_the_file(
    ledger, photo, monkeypatch, django_capture_on_commit_callbacks
):
    from duban.core import audit

    def broken(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    pk = photo.pk
    monkeypatch.setattr(audit, "record_event", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        services.delete_photo(photo, actor=ledger["users"]["clerk"])
    assert Path(ProjectPhoto.objects.get(pk=pk).file.path).exists()
