"""The pages: the ledger with filters and totals, a project and its months, entry by a clerk,
the office's forms, photos behind the permission check, and the battle map's panel."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from duban.core.models import AuditEntry
from duban.projects import services
from duban.projects.models import MonthlyProgress, Project, ProjectPhoto
from duban.projects.tests.conftest import YEAR, png

pytestmark = pytest.mark.django_db


def codes(html: str) -> list[str]:
    return re.findall(r'<tr data-code="([^"]+)"', html)


def test_the_ledger_lists_filters_sorts_and_totals(client, ledger):
    client.force_login(ledger["users"]["office"])
    html = client.get(f"/projects/?year={YEAR}").content.decode()
    assert codes(html) == ["P-01", "P-02", "P-03"]
    assert 'data-total="done">350.00<' in html
    html = client.get(f"/projects/?year={YEAR}&ordering=-plan").content.decode()
    assert codes(html) == ["P-01", "P-03", "P-02"]
    html = client.get(f"/projects/?year={YEAR}&ordering=rate").content.decode()
    assert codes(html) == ["P-03", "P-01", "P-02"]
    sector = ledger["sectors"]["产业项目"].pk
    html = client.get(f"/projects/?year={YEAR}&sector={sector}").content.decode()
    assert codes(html) == ["P-01", "P-03"] and 'data-total="done">250.00<' in html
    unit = ledger["units"]["sw"].pk
    assert codes(client.get(f"/projects/?year={YEAR}&unit={unit}").content.decode()) == ["P-03"]
    html = client.get(f"/projects/?year={YEAR}&status=completed").content.decode()
    assert codes(html) == []
    # This year's ledger is another ledger.
    assert codes(client.get("/projects/").content.decode()) == []


def test_a_clerk_sees_only_the_units_projects_and_another_is_not_found(client, ledger):
    client.force_login(ledger["users"]["clerk2"])
    html = client.get(f"/projects/?year={YEAR}").content.decode()
    assert codes(html) == ["P-03"] and "智能制造产业园" not in html
    p1 = ledger["p1"]
    assert client.get(f"/projects/{p1.pk}/").status_code == 404
    assert client.get(f"/projects/{p1.pk}/edit/").status_code == 404
    response = client.post(f"/projects/{p1.pk}/months/", {"month": 3, "completed": "5"})
    assert response.status_code == 404
    assert not MonthlyProgress.objects.filter(project=p1, month=3).exists()
    photo = ProjectPhoto.objects.create(
        progress=p1.months.first(), name="a.png", sha256="", size=1, file="projects/a.png"
    )
    assert client.get(f"/projects/photos/{photo.pk}/").status_code == 404
    # The export holds the unit's projects only.
    import io

    import openpyxl

    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/projects/export.xlsx?year={YEAR}").content)
    )
    assert [c.value for c in book.active["C"][2:]] == ["P-03", None]


def test_a_clerk_enters_a_month_with_a_photo_and_the_photo_is_served(client, ledger):
    client.force_login(ledger["users"]["clerk"])
    p2 = ledger["p2"]
    page = client.get(f"/projects/{p2.pk}/").content.decode()
    assert "填报月度进展" in page and 'class="chart trend"' not in page  # one month: no line
    response = client.post(
        f"/projects/{p2.pk}/months/",
        {
            "month": 2,
            "completed": "60",
            "image_progress": "桥梁下部结构完成",
            "photos": [SimpleUploadedFile("桥.jpg", png(fmt="JPEG"), "image/jpeg")],
        },
    )
    assert response.status_code == 302
    html = client.get(f"/projects/{p2.pk}/").content.decode()
    assert "2月进展已保存。" in html and "桥梁下部结构完成" in html
    assert '<td class="num cumulative">160.00</td>' in html
    assert "城东快速路：截至2月累计完成投资160万元，年度计划400万元" in html  # the chart
    photo = ProjectPhoto.objects.get()
    assert f'src="/projects/photos/{photo.pk}/"' in html
    served = client.get(f"/projects/photos/{photo.pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == png(fmt="JPEG")
    # Another unit's clerk: not found.
    client.force_login(ledger["users"]["clerk2"])
    assert client.get(f"/projects/photos/{photo.pk}/").status_code == 404


def test_a_broken_photo_on_the_page_gets_a_sentence_and_writes_nothing(client, ledger):
    client.force_login(ledger["users"]["clerk"])
    p2 = ledger["p2"]
    before = AuditEntry.objects.count()
    response = client.post(
        f"/projects/{p2.pk}/months/",
        {
            "month": 2,
            "completed": "60",
            "photos": [SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n broken", "image/png")],
        },
    )
    assert response.status_code == 400
    assert "照片“a.png”无法使用" in response.content.decode()
    assert not MonthlyProgress.objects.filter(project=p2, month=2).exists()
    assert AuditEntry.objects.count() == before


def test_a_viewer_sees_but_gets_no_entry_form_and_cannot_post(client, ledger):
    client.force_login(ledger["users"]["viewer"])
    p1 = ledger["p1"]
    assert "填报月度进展" not in client.get(f"/projects/{p1.pk}/").content.decode()
    assert (
        client.post(f"/projects/{p1.pk}/months/", {"month": 3, "completed": "1"}).status_code == 403
    )


def test_the_office_creates_and_edits_a_project(client, ledger):
    client.force_login(ledger["users"]["office"])
    data = {
        "year": YEAR,
        "code": "P-09",
        "name": "滨河公园",
        "sector": ledger["sectors"]["生态环保"].pk,
        "lead_unit": ledger["units"]["cz"].pk,
        "total_investment": "900",
        "annual_plan": "300",
        "status": "preparing",
    }
    assert client.post("/projects/new/", {**data, "annual_plan": "1000"}).status_code == 400
    assert not Project.objects.filter(code="P-09").exists()
    response = client.post("/projects/new/", data)
    project = Project.objects.get(code="P-09")
    assert response["Location"] == f"/projects/{project.pk}/"
    edited = {**data, "name": "滨河生态公园", "version": project.version}
    assert client.post(f"/projects/{project.pk}/edit/", edited).status_code == 302
    project.refresh_from_db()
    assert project.name == "滨河生态公园"
    # The form loaded before that edit is now stale: nothing changes.
    stale = {**data, "name": "又改了", "version": project.version - 1}
    response = client.post(f"/projects/{project.pk}/edit/", stale)
    assert response.status_code == 400 and "已被他人修改" in response.content.decode()
    # A clerk may not.
    client.force_login(ledger["users"]["clerk"])
    assert client.get("/projects/new/").status_code == 403
    assert client.post("/projects/sectors/", {"name": "X"}).status_code == 403


def test_the_office_adds_a_sector(client, ledger):
    client.force_login(ledger["users"]["office"])
    client.post("/projects/sectors/", {"name": "文旅项目"})
    assert "文旅项目" in client.get("/projects/").content.decode()


def test_the_navigation_links_the_ledger(client, ledger):
    client.force_login(ledger["users"]["clerk"])
    assert 'href="/projects/"' in client.get("/projects/").content.decode()


# -- the battle map's panel ------------------------------------------------------------------


def _rate(html: str, label: str) -> str:
    m = re.search(rf'data-rate="{re.escape(label)}">([^<]+)<', html)
    assert m, label
    return m.group(1)


def test_a_new_month_shows_on_the_kept_battle_map(client, ledger):
    """The board is kept (duban/core/pagecache.py) until the audit log moves: a month
    entered through the service is audited, so the next view shows it."""
    today = timezone.localdate()
    office, clerk = ledger["users"]["office"], ledger["users"]["clerk"]
    project = services.create_project(
        actor=office,
        year=today.year,
        code="N-1",
        name="今年项目",
        sector=ledger["sectors"]["城市更新"],
        lead_unit=ledger["units"]["fgw"],
        total_investment=Decimal(800),
        annual_plan=Decimal(200),
    )
    client.force_login(office)
    html = client.get("/battlemap/").content.decode()
    assert "重点项目投资完成" in html and _rate(html, "城市更新") == "0.0%"
    with CaptureQueriesContext(connection) as kept:
        assert client.get("/battlemap/").status_code == 200
    assert not any("projects_project" in q["sql"] for q in kept.captured_queries)
    services.record_month(project, actor=clerk, month=today.month, completed="50")
    html = client.get("/battlemap/").content.decode()
    assert _rate(html, "城市更新") == "25.0%" and _rate(html, "市发改委") == "25.0%"
    # A unit's clerk sees its own projects only on the map.
    client.force_login(ledger["users"]["clerk2"])
    html = client.get("/battlemap/").content.decode()
    assert "城市更新" not in html


def test_the_panel_adds_a_fixed_number_of_queries(client, ledger):
    today = timezone.localdate()
    office = ledger["users"]["office"]
    client.force_login(office)

    def count() -> int:
        from django.core.cache import caches

        caches["pages"].clear()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/battlemap/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(30):
        p = services.create_project(
            actor=office,
            year=today.year,
            code=f"Q-{i}",
            name=f"项目{i}",
            sector=ledger["sectors"]["产业项目"],
            lead_unit=ledger["units"]["fgw" if i % 2 else "cz"],
            total_investment=Decimal(100),
            annual_plan=Decimal(10),
            planned_start=dt.date(today.year, 1, 1),
        )
        services.record_month(p, actor=office, month=1, completed="1")
    assert count() == few


def test_a_project_links_to_a_task_by_its_id(client, ledger, task):
    client.force_login(ledger["users"]["office"])
    p3 = Project.objects.get(pk=ledger["p3"].pk)
    data = {
        "year": YEAR,
        "code": p3.code,
        "name": p3.name,
        "sector": p3.sector_id,
        "lead_unit": p3.lead_unit_id,
        "total_investment": "800",
        "annual_plan": "500",
        "status": "building",
        "version": p3.version,
    }
    response = client.post(f"/projects/{p3.pk}/edit/", {**data, "task": 999999})
    assert response.status_code == 400 and "没有这个任务ID。" in response.content.decode()
    assert client.post(f"/projects/{p3.pk}/edit/", {**data, "task": task.pk}).status_code == 302
    p3.refresh_from_db()
    assert p3.task == task
    assert f'href="/tasks/{task.pk}/"' in client.get(f"/projects/{p3.pk}/").content.decode()


def test_ids_beyond_the_database_range_are_not_found(client, ledger):
    client.force_login(ledger["users"]["office"])
    for url in ("/projects/99999999999999999999/", "/projects/photos/99999999999999999999/"):
        assert client.get(url).status_code == 404


def test_the_pages_read_in_english(client, ledger):
    """Everything but the data (names, units, 板块, 形象进度) is translated."""
    client.force_login(ledger["users"]["office"])
    data = ["智能制造产业园", "城东快速路", "跨境电商中心", "主体施工", "张工", "简体中文"]
    data += [u.name for u in ledger["units"].values()] + ["市发改委", *ledger["sectors"]]
    for url in (f"/projects/?year={YEAR}", f"/projects/{ledger['p1'].pk}/", "/projects/new/"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Key project" in html or "Project" in html
        for text in data:
            html = html.replace(text, "")
        assert re.findall(r"[\u3400-\u9fff]+", html) == [], url


@pytest.mark.parametrize("url", ["/projects/?year={year}", "/api/projects/?year={year}"])
def test_the_ledger_and_its_api_list_cost_the_same_queries_for_3_projects_or_40(
    client, ledger, url
):
    from django.core.cache import caches

    office = ledger["users"]["office"]
    client.force_login(office)
    url = url.format(year=YEAR)

    def count() -> int:
        caches["pages"].clear()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(37):
        p = services.create_project(
            actor=office,
            year=YEAR,
            code=f"M-{i}",
            name=f"项目{i}",
            sector=ledger["sectors"]["社会民生"],
            lead_unit=ledger["units"]["cz"],
            total_investment=Decimal(100),
            annual_plan=Decimal(10),
        )
        services.record_month(p, actor=office, month=1 + i % 12, completed="1")
    assert count() == few
    assert few <= 15, few
