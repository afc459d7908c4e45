"""The Excel ledger (重点项目台账): what the export writes, reopened; the import, all rows or
none, with row errors a clerk understands; a round trip gives the same ledger; the files
the task-book importer refuses are refused here too."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from duban.core.models import AuditEntry
from duban.plans.taskbook import TaskbookError
from duban.projects import ledger as ledger_file
from duban.projects import services
from duban.projects.models import MonthlyProgress, Project
from duban.projects.tests.conftest import YEAR

pytestmark = pytest.mark.django_db


def exported(user) -> bytes:
    projects = list(services.ledger(user, year=YEAR).order_by("code").prefetch_related("months"))
    return ledger_file.export_ledger(projects, year=YEAR)


def state() -> list[tuple]:
    """The ledger as a reader sees it: every project's fields and months."""
    out = []
    for p in Project.objects.filter(year=YEAR).order_by("code"):
        out.append(
            (
                p.code, p.name, p.sector.name, p.lead_unit.name, p.responsible, p.location,
                p.total_investment, p.annual_plan, p.planned_start, p.planned_finish, p.status,
                p.image_progress,
                tuple(p.months.order_by("month").values_list("month", "completed")),
            )
        )  # fmt: skip
    return out


def sheet_rows(data: bytes) -> list[list]:
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_the_export_writes_the_customary_layout(ledger):
    rows = sheet_rows(exported(ledger["users"]["office"]))
    assert rows[0][0] == f"{YEAR}年重点项目台账"
    head = rows[1]
    assert head[:12] == [
        "序号", "项目名称", "项目编号", "板块", "责任单位", "责任人", "建设地点",
        "总投资（万元）", "年度计划投资（万元）", "开工时间", "竣工时间", "状态",
    ]  # fmt: skip
    # Last year's ledger runs to December.
    assert head[12:24] == [f"{m}月完成投资（万元）" for m in range(1, 13)]
    assert head[24:] == ["1-12月完成投资（万元）", "完成率", "形象进度"]
    p1 = rows[2]
    assert p1[:12] == [
        1, "智能制造产业园", "P-01", "产业项目", "市发展和改革委员会", "张工", None,
        5000, 1000, dt.datetime(YEAR, 3, 1), dt.datetime(YEAR + 1, 6, 30), "在建",
    ]  # fmt: skip
    assert p1[12:15] == [100, 150, None]
    assert p1[24:] == [250, "25.0%", "主体施工"]
    assert rows[4][2] == "P-03" and rows[4][24:26] == [0, "0.0%"]
    total = rows[5]
    assert total[0] == "合计" and total[7:9] == [7800, 1900] and total[24:26] == [350, "18.4%"]


def test_text_never_becomes_a_formula(ledger):
    p1 = ledger["p1"]
    services.update_project(p1, actor=ledger["users"]["office"], name="=HYPERLINK(1)")
    ws = openpyxl.load_workbook(io.BytesIO(exported(ledger["users"]["office"]))).active
    assert ws["B3"].value == "=HYPERLINK(1)" and ws["B3"].data_type == "s"


def test_a_round_trip_gives_the_same_ledger(ledger):
    office = ledger["users"]["office"]
    before = state()
    data = exported(office)
    # Into an empty ledger: everything is created again, the same.
    MonthlyProgress.objects.all().delete()
    Project.objects.all().delete()
    result = ledger_file.read_ledger(io.BytesIO(data), year=YEAR, filename="台账.xlsx")
    assert result.errors == []
    ledger_file.commit_ledger(result, actor=office)
    assert (result.created, result.updated) == (3, 0)
    assert state() == before
    # Into the same ledger: nothing to change, nothing written.
    audit = AuditEntry.objects.count()
    again = ledger_file.read_ledger(io.BytesIO(exported(office)), year=YEAR, filename="a.xlsx")
    ledger_file.commit_ledger(again, actor=office)
    assert (again.created, again.updated, again.months) == (0, 0, 0)
    assert AuditEntry.objects.count() == audit


def _book(rows: list[list], title: str | None = "2025年重点项目台账") -> io.BytesIO:
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


HEAD = ["序号", "项目名称", "项目编号", "板块", "责任单位", "责任人", "总投资(万元)",
        "年度计划投资(万元)", "开工时间", "竣工时间", "1月完成投资(万元)", "2月完成投资(万元)",
        "完成率", "形象进度"]  # fmt: skip


def test_an_import_updates_by_code_creates_new_and_matches_units_loosely(ledger):
    rows = [
        HEAD,
        [1, "智能制造产业园", "P-01", "产业项目", "市发改委", "李工", 5000, 1200, "2025-03", "2026年6月", 100, 170, "", "设备安装"],
        [2, "新建学校", "P-10", "社会民生", "市财政局", "", "3,000", 600, None, None, 20, None, "", "基础施工"],
    ]  # fmt: skip
    result = ledger_file.read_ledger(_book(rows), year=YEAR, filename="x.xlsx")
    assert result.errors == []
    assert result.summary() == "共 2 个项目：新增 1 个，更新 1 个。"
    ledger_file.commit_ledger(result, actor=ledger["users"]["office"])
    p1 = Project.objects.get(code="P-01")
    assert (p1.responsible, p1.annual_plan, p1.planned_finish) == (
        "李工",
        Decimal("1200.00"),
        dt.date(2026, 6, 1),
    )
    assert dict(p1.months.values_list("month", "completed")) == {1: Decimal(100), 2: Decimal(170)}
    assert p1.image_progress == "设备安装"
    new = Project.objects.get(code="P-10")
    assert new.lead_unit.name == "市财政局" and new.total_investment == Decimal(3000)
    assert AuditEntry.for_object(p1).filter(action="update").exists()
    month2 = p1.months.get(month=2)
    assert (
        AuditEntry.for_object(month2).filter(action="update").get().before["completed"] == "150.00"
    )


def test_row_errors_name_the_row_and_column_and_nothing_is_written(ledger):
    rows = [
        HEAD,
        [1, "好项目", "P-20", "产业项目", "市发改委", "", 100, 50, None, None, 1, None, "", ""],
        [2, "", "P-21", "文旅项目", "不存在局", "", "一百", 50, "明年", None, -1, None, "", ""],
        [3, "重复", "P-20", "产业项目", "市发改委", "", 100, 500, None, None, None, None, "", ""],
    ]  # fmt: skip
    before = (Project.objects.count(), MonthlyProgress.objects.count(), AuditEntry.objects.count())
    result = ledger_file.read_ledger(_book(rows), year=YEAR, filename="x.xlsx")
    texts = [str(e) for e in result.errors]
    assert "第4行 项目名称：请填写项目名称。" in texts
    assert any(t.startswith("第4行 板块：没有“文旅项目”这个板块") for t in texts)
    assert "第4行 责任单位：找不到单位“不存在局”，请使用单位全称或简称。" in texts
    assert any(t.startswith("第4行 总投资（万元）：总投资（万元）应为数字") for t in texts)
    assert any(t.startswith("第4行 开工时间：“明年”无法识别为日期") for t in texts)
    assert "第4行 1月完成投资（万元）：1月完成投资（万元）不能为负数。" in texts
    assert "第5行 项目编号：与第3行的项目编号重复。" in texts
    letters = {e.column: e.letter for e in result.errors if e.row == 4}
    assert letters["责任单位"] == "E"
    assert result.summary() == f"有 {len(texts)} 处错误，未导入任何内容。"
    with pytest.raises(TaskbookError):
        ledger_file.commit_ledger(result, actor=ledger["users"]["office"])
    after = (Project.objects.count(), MonthlyProgress.objects.count(), AuditEntry.objects.count())
    assert after == before


def test_a_rule_broken_across_cells_is_a_row_error(ledger):
    rows = [HEAD, [1, "大项目", "P-30", "产业项目", "市发改委", "", 100, 500, None, None, None, None, "", ""]]  # fmt: skip
    result = ledger_file.read_ledger(_book(rows), year=YEAR, filename="x.xlsx")
    assert [str(e) for e in result.errors] == ["第3行：年度计划投资不能大于总投资。"]


def test_a_ledger_with_only_the_cumulative_column_records_month_n(ledger):
    head = ["序号", "项目名称", "项目编号", "板块", "责任单位", "总投资（万元）", "年度计划投资（万元）", "1-3月完成投资（万元）"]  # fmt: skip
    rows = [head, [1, "智能制造产业园", "P-01", "产业项目", "市发改委", 5000, 1000, 400]]
    result = ledger_file.read_ledger(_book(rows, title=None), year=YEAR, filename="x.xlsx")
    assert result.errors == []
    ledger_file.commit_ledger(result, actor=ledger["users"]["office"])
    months = dict(ledger["p1"].months.values_list("month", "completed"))
    assert months == {1: Decimal(100), 2: Decimal(150), 3: Decimal(150)}
    # Less than the months already entered: refused.
    rows[1][-1] = 200
    result = ledger_file.read_ledger(_book(rows, title=None), year=YEAR, filename="x.xlsx")
    assert [str(e) for e in result.errors] == [
        "第2行 1-3月完成投资（万元）：小于已填报的 1-2 月合计 250.00 万元。"
    ]


def test_a_future_month_in_the_file_is_a_row_error(ledger):
    rows = [HEAD, [1, "智能制造产业园", "P-01", "产业项目", "市发改委", "", 5000, 1000, None, None, 1, 2, "", ""]]  # fmt: skip
    result = ledger_file.read_ledger(_book(rows), year=YEAR + 2, filename="x.xlsx")
    assert [str(e) for e in result.errors] == [
        "第3行 1月完成投资（万元）：该月还没有到，不能填报。",
        "第3行 2月完成投资（万元）：该月还没有到，不能填报。",
    ]


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (30 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("a.xlsx", b"", "文件是空的"),
        ("a.xlsx", b"hello, this is text", "内容不是 Excel 工作簿"),
        ("a.xlsx", b"PK\x03\x04broken", "Excel 文件已损坏或不完整"),
        ("a.xlsx", "bomb", "疑似恶意文件"),
        ("a.json", b'{"format": "duban.taskbook"}', "请上传 Excel 台账"),
        ("a.xlsx", "noheader", "找不到台账的表头"),
        ("a.xlsx", "nocolumns", "台账缺少以下列：板块、责任单位"),
        ("a.xlsx", "empty", "台账中没有项目行"),
    ],
)
def test_broken_and_wrong_files_are_refused_with_a_sentence(ledger, name, data, message):
    if data == "bomb":
        data = _bomb()
    elif data == "noheader":
        data = _book([["这里", "没有", "表头"]]).getvalue()
    elif data == "nocolumns":
        data = _book(
            [["项目名称", "项目编号", "总投资", "年度计划投资"], ["a", "b", 1, 1]]
        ).getvalue()
    elif data == "empty":
        data = _book([HEAD]).getvalue()
    with pytest.raises(TaskbookError, match=message):
        ledger_file.read_ledger(io.BytesIO(data), year=YEAR, filename=name)


def test_a_sheet_with_too_many_rows_is_refused_before_reading_them(ledger, monkeypatch):
    from duban.plans.taskbook import reading

    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    rows = [HEAD] + [[i, f"项目{i}", f"X-{i}", "产业项目", "市发改委"] for i in range(5)]
    with pytest.raises(TaskbookError, match="超过单次导入上限 3 行"):
        ledger_file.read_ledger(_book(rows), year=YEAR, filename="a.xlsx")


def test_a_file_over_the_limit_is_refused_unread(ledger, settings):
    settings.DUBAN_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(TaskbookError, match="文件过大"):
        ledger_file.read_ledger(io.BytesIO(b"x" * 2000), year=YEAR, filename="a.xlsx")


def test_the_import_page_checks_then_imports(client, ledger):
    office = ledger["users"]["office"]
    client.force_login(office)
    data = exported(office)
    upload = lambda: SimpleUploadedFile("台账.xlsx", data)  # noqa: E731
    Project.objects.filter(code="P-03").delete()
    response = client.post(
        "/projects/import/", {"file": upload(), "year": YEAR, "check_only": "on"}
    )
    assert response.status_code == 200 and "新增 1 个，更新 2 个" in response.content.decode()
    assert not Project.objects.filter(code="P-03").exists()
    response = client.post("/projects/import/", {"file": upload(), "year": YEAR})
    assert response.status_code == 302 and Project.objects.filter(code="P-03").exists()
    bad = SimpleUploadedFile("台账.xlsx", b"PK\x03\x04broken")
    response = client.post("/projects/import/", {"file": bad, "year": YEAR})
    assert response.status_code == 400 and "Excel 文件已损坏" in response.content.decode()
    client.force_login(ledger["users"]["clerk"])
    assert client.get("/projects/import/").status_code == 403


def test_a_csv_ledger_is_read_the_same_way(ledger):
    text = (
        "项目名称,项目编号,板块,责任单位,总投资（万元）,年度计划投资（万元）,1月完成投资（万元）\n"
    )
    text += "新建学校,P-40,社会民生,市财政局,3000,600,20\n"
    result = ledger_file.read_ledger(
        io.BytesIO(text.encode("gb18030")), year=YEAR, filename="a.csv"
    )
    assert result.errors == []
    ledger_file.commit_ledger(result, actor=ledger["users"]["office"])
    project = Project.objects.get(code="P-40")
    assert project.lead_unit.name == "市财政局"
    assert dict(project.months.values_list("month", "completed")) == {1: Decimal(20)}
