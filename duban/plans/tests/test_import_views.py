"""The task book page (/taskbook/) and the desk's report sheets and calendar links.

Task books are made here with openpyxl the way offices make them: a title row, a two-row
header (「责任单位」 over 「牵头单位 | 配合单位」), a heading row, then the tasks.
"""

# ruff: noqa: F811 - the shared fixtures are imported by name and used as arguments
from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from duban.core.models import AuditEntry, Job
from duban.plans.models import FrameworkNode, Plan, Task
from duban.plans.tests.test_views import client_for, frozen, world  # noqa: F401 - fixtures
from duban.supervision.choices import ReportStatus
from duban.supervision.models import CalendarFeed, ProgressReport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def book(rows: list[list]) -> bytes:
    """A two-row-header task book with ``rows`` (序号, 工作任务, 牵头, 配合, 时限) below."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "任务分解表"
    ws.append(["2026年重点工作任务分解表"])
    ws.merge_cells("A1:E1")
    ws.append(["序号", "主要任务", "责任单位", None, "完成时限"])
    ws.append([None, None, "牵头单位", "配合单位", None])
    for col in "ABE":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("C2:D2")
    ws.append(["一、扩大有效投资"])
    ws.merge_cells("A4:E4")
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD = [
    [1, "建设城市数据中心二期", "市商务局", "市财政局", "2026年6月底前"],
    [2, "推进教育集团化办学", "市教育局", "", "2026年底前"],
]


def upload(c: Client, data: bytes, name: str = "任务分解表.xlsx", **fields):
    return c.post(
        "/taskbook/",
        {"file": SimpleUploadedFile(name, data, content_type=XLSX), **fields},
    )


@pytest.fixture
def office(world, settings):
    settings.DUBAN_INLINE_JOBS = True
    return client_for(world, "office")


# --- the task book page ----------------------------------------------------------------------


def test_upload_mapping_preview_commit(world, office):
    page = office.get("/taskbook/")
    assert page.status_code == 200
    assert 'for="tb-file"' in page.content.decode()

    r = upload(office, book(GOOD), title="数据中心专项")
    assert r.status_code == 302 and "/mapping/" in r["Location"]
    mapping_url = r["Location"]
    token = mapping_url.split("/")[2]
    html = office.get(mapping_url).content.decode()
    # The proposed mapping, as selects with the detected column preselected.
    assert '<label for="col_task">工作任务</label>' in html
    assert '<option value="B" selected>B列 主要任务</option>' in html
    assert '<option value="C" selected>C列 责任单位 牵头单位</option>' in html
    assert 'value="2"' in html  # the header row found (row 2 of 2–3)

    r = office.post(
        mapping_url,
        {
            "apply": "1",
            "header_row": "2",
            "auto_header": "2",
            "col_seq": "A",
            "col_task": "B",
            "col_lead": "C",
            "col_co": "D",
            "col_deadline": "E",
        },
    )
    assert r.status_code == 302 and r["Location"] == f"/taskbook/{token}/preview/"
    preview = office.get(r["Location"])
    assert preview.status_code == 200
    html = preview.content.decode()
    assert (
        "新建方案“数据中心专项”（2026年度）：框架节点 1 个，任务 2 项，交办 2 项；错误 0 处" in html
    )
    assert "扩大有效投资" in html and "推进教育集团化办学" in html
    assert not Task.objects.filter(text="推进教育集团化办学").exists()  # a dry run

    r = office.post(f"/taskbook/{token}/commit/")
    assert r.status_code == 302 and "?job=" in r["Location"]
    job = Job.objects.get(name="import_taskbook")
    assert job.status == Job.Status.DONE and job.result["tasks"] == 2
    plan = Plan.objects.get(title="数据中心专项")
    assert sorted(plan.tasks.values_list("text", flat=True)) == [
        "建设城市数据中心二期",
        "推进教育集团化办学",
    ]
    assert FrameworkNode.objects.filter(plan=plan, name="扩大有效投资").exists()
    assert AuditEntry.objects.filter(event="taskbook_imported", actor=world["people"]["office"])
    done = office.get(r["Location"]).content.decode()
    assert "导入完成：2 项任务已写入方案" in done
    fragment = office.get(f"/taskbook/job/{job.pk}/").content.decode()
    assert "hx-get" not in fragment  # finished: no more polling
    # The upload is gone and the token cannot be committed twice.
    assert office.post(f"/taskbook/{token}/commit/").status_code == 404


def test_a_changed_column_is_applied(world, office):
    r = upload(office, book(GOOD))
    mapping_url = r["Location"]
    token = mapping_url.split("/")[2]
    # The office says the co-units are not in D but the 完成时限 column is — nonsense on
    # purpose, to see the override reach the preview.
    r = office.post(
        mapping_url,
        {
            "apply": "1",
            "header_row": "2",
            "auto_header": "2",
            "col_seq": "A",
            "col_task": "B",
            "col_lead": "C",
            "col_co": "E",
            "col_deadline": "D",
        },
    )
    assert r.status_code == 302
    html = office.get(f"/taskbook/{token}/preview/").content.decode()
    assert "责任单位 ← E列" in html


def test_a_book_with_row_errors_shows_them_and_commits_nothing(world, office):
    bad = [*GOOD, [3, "建设政务云", "市大数据局", "", "2026年底前"]]
    r = upload(office, book(bad))
    token = r["Location"].split("/")[2]
    preview = office.get(f"/taskbook/{token}/preview/")
    assert preview.status_code == 400
    html = preview.content.decode()
    assert "第7行 牵头单位：找不到单位“市大数据局”" in html
    assert "确认导入" not in html
    before = Task.objects.count()
    # Posting the commit anyway: the job refuses the book and writes nothing.
    r = office.post(f"/taskbook/{token}/commit/")
    job = Job.objects.get(name="import_taskbook")
    assert job.result["error"] == "rows"
    assert (
        Task.objects.count() == before
        and not Plan.objects.filter(year=2026).exclude(pk=world["plan"].pk).exists()
    )
    assert "找不到单位“市大数据局”" in office.get(r["Location"]).content.decode()


def test_a_refused_file_says_why(world, office):
    r = upload(office, b"not a workbook at all", name="表.xlsx")
    html = office.get(r["Location"]).content.decode()
    assert "内容不是 Excel 工作簿" in html
    r = upload(office, b"x", name="表.docx")
    assert r.status_code == 400 and "只能导入 .xlsx、.csv 或 .json" in r.content.decode()


@pytest.mark.parametrize("who", ["clerk", "unitlead", "leader", "viewer"])
def test_only_the_office_may_import_or_export(world, office, who):
    c = client_for(world, who)
    assert c.get("/taskbook/").status_code == 403
    assert upload(c, book(GOOD)).status_code == 403
    assert c.get(f"/taskbook/export/{world['plan'].pk}.xlsx").status_code == 403
    # Another user's upload token is not found, even for the office.
    token = office.post("/taskbook/", {"file": SimpleUploadedFile("a.xlsx", book(GOOD))})[
        "Location"
    ].split("/")[2]
    other = Client()
    other.force_login(world["people"]["office"])
    assert other.get(f"/taskbook/{token}/preview/").status_code == 404


def test_anonymous_is_sent_to_login(world):
    r = Client().get("/taskbook/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_exports_in_three_formats(world, office):
    pk = world["plan"].pk
    x = office.get(f"/taskbook/export/{pk}.xlsx")
    assert x.status_code == 200 and x["Content-Type"] == XLSX
    assert "filename*=UTF-8''" in x["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    assert ws["B3"].value == "加快建设城市数据中心"
    c = office.get(f"/taskbook/export/{pk}.csv")
    assert c.content.startswith(b"\xef\xbb\xbf") and "加快建设城市数据中心" in c.content.decode()
    j = json.loads(office.get(f"/taskbook/export/{pk}.json").content)
    assert j["format"] == "duban.taskbook" and j["tasks"][0]["lead_unit"] == "市商务局"
    assert office.get(f"/taskbook/export/{pk}.pdf").status_code == 404
    assert office.get("/taskbook/export/999999.xlsx").status_code == 404


def test_query_budgets(world, office, django_assert_max_num_queries):
    for i in range(20):
        Plan.objects.create(title=f"方案{i}", year=2026)
    with django_assert_max_num_queries(8):
        assert office.get("/taskbook/").status_code == 200
    token = upload(office, book(GOOD))["Location"].split("/")[2]
    with django_assert_max_num_queries(10):
        assert office.get(f"/taskbook/{token}/preview/").status_code == 200


# --- the desk: report sheets -------------------------------------------------------------


def test_desk_offers_the_report_sheet_and_takes_it_back(world):
    clerk = client_for(world, "clerk")
    sw = world["units"]["sw"]
    html = clerk.get("/desk/").content.decode()
    link = f"/desk/sheet/{sw.pk}/?period_end=2026-03-13"
    assert link in html and "下载报送表" in html
    r = clerk.get(link)
    assert r.status_code == 200 and r["Content-Type"] == XLSX
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    ws = wb["进展报送表"]
    ws["H4"], ws["I4"] = 30, "完成选址"
    ws["H5"], ws["I5"] = 150, "完成立项"
    buf = io.BytesIO()
    wb.save(buf)

    r = clerk.post(
        f"/desk/sheet/{sw.pk}/", {"file": SimpleUploadedFile("报送.xlsx", buf.getvalue())}
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "第5行 完成进度：应为0到100之间的数字" in html and "确认报送" not in html
    assert not ProgressReport.objects.exists()

    ws["H5"] = 45
    buf = io.BytesIO()
    wb.save(buf)
    r = clerk.post(
        f"/desk/sheet/{sw.pk}/", {"file": SimpleUploadedFile("报送.xlsx", buf.getvalue())}
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "确认报送" in html and "2 条进展待报送" in html
    assert not ProgressReport.objects.exists()
    token = html.split('name="token" value="')[1].split('"')[0]
    r = clerk.post(f"/desk/sheet/{sw.pk}/confirm/", {"token": token})
    assert r.status_code == 302 and r["Location"] == "/desk/"
    assert list(ProgressReport.objects.order_by("period_end").values_list("percent", "status")) == [
        (30, ReportStatus.SUBMITTED),
        (45, ReportStatus.SUBMITTED),
    ]
    # The token is spent.
    assert clerk.post(f"/desk/sheet/{sw.pk}/confirm/", {"token": token}).status_code == 404


def test_report_sheets_of_another_unit_are_404(world):
    sw = world["units"]["sw"]
    c = client_for(world, "clerk2")
    assert c.get(f"/desk/sheet/{sw.pk}/?period_end=2026-03-13").status_code == 404
    assert c.post(f"/desk/sheet/{sw.pk}/", {}).status_code == 404
    assert client_for(world, "clerk").get(f"/desk/sheet/{sw.pk}/?period_end=x").status_code == 404


# --- the desk: calendar feeds --------------------------------------------------------------


def test_feed_link_is_created_shown_and_reset(world):
    lead = client_for(world, "unitlead")
    html = lead.get("/desk/").content.decode()
    assert "日历订阅" in html and "生成订阅链接" in html
    r = lead.post("/desk/feed/", {"scope": "user"})
    assert r.status_code == 302
    feed = CalendarFeed.objects.get(user=world["people"]["unitlead"])
    html = lead.get("/desk/").content.decode()
    assert f"http://testserver/calendar/{feed.token}.ics" in html
    ics = Client().get(f"/calendar/{feed.token}.ics")
    assert ics.status_code == 200 and b"BEGIN:VCALENDAR" in ics.content

    lead.post("/desk/feed/", {"scope": "user", "reset": "1"})
    assert Client().get(f"/calendar/{feed.token}.ics").status_code == 404
    new = CalendarFeed.objects.get(user=world["people"]["unitlead"], revoked_at__isnull=True)
    assert new.token != feed.token

    # A unit leader also manages the unit's feed; a clerk does not see that part.
    sw = world["units"]["sw"]
    lead.post("/desk/feed/", {"scope": "unit", "unit": sw.pk})
    assert CalendarFeed.objects.filter(unit=sw, revoked_at__isnull=True).count() == 1
    clerk = client_for(world, "clerk")
    assert f'name="unit" value="{sw.pk}"' not in clerk.get("/desk/").content.decode()
    assert clerk.post("/desk/feed/", {"scope": "unit", "unit": sw.pk}).status_code == 404
    assert CalendarFeed.objects.filter(unit=sw).count() == 1


def test_desk_query_budget_with_feeds(world, django_assert_max_num_queries):
    lead = client_for(world, "unitlead")
    lead.post("/desk/feed/", {"scope": "user"})
    lead.post("/desk/feed/", {"scope": "unit", "unit": world["units"]["sw"].pk})
    with django_assert_max_num_queries(25):
        assert lead.get("/desk/").status_code == 200


def test_period_choices_follow_the_schedule(world):
    html = client_for(world, "clerk").get("/desk/").content.decode()
    # Current (03-13, overdue) and next (03-20) periods of the weekly schedule.
    assert "?period_end=2026-03-13" in html and "?period_end=2026-03-20" in html
