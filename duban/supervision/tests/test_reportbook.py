"""Report collection by Excel: export a unit's sheet, fill it in, read it back.

The ``world`` of the desk tests: today is Monday 2026-03-16; task 1.1 (市商务局 leads, 市财政局
co-operates) reports weekly on Fridays from 2026-03-01, so for the period ending 03-13 the
sheet holds two rows: the overdue period ending 03-06 and the one ending 03-13.
"""

# ruff: noqa: F811 - the shared fixtures are imported by name and used as arguments
from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from duban.core.models import AuditEntry
from duban.plans.models import Task
from duban.plans.services import assign_task
from duban.plans.taskbook import _CFB_MAGIC
from duban.plans.tests.test_views import frozen, world  # noqa: F401 - fixtures
from duban.supervision import services
from duban.supervision.choices import ReportStatus
from duban.supervision.models import Notice, ProgressReport
from duban.supervision.reportbook import (
    FIRST_ROW,
    META_SHEET,
    ReportbookError,
    commit_report_import,
    export_report_sheet,
    import_report_sheets,
    owed_rows,
)

MAR13 = dt.date(2026, 3, 13)
# Spreadsheet columns of the sheet (A is the hidden task id).
ID, CODE, TEXT, PERIOD, PCT, PROG, PROB, NEXT, COORD = "A", "B", "C", "F", "H", "I", "J", "K", "L"


def sheet_for(world, unit: str = "sw", period_end: dt.date = MAR13) -> openpyxl.Workbook:
    data = export_report_sheet(world["units"][unit], period_end)
    return openpyxl.load_workbook(io.BytesIO(data))


def fill(wb, row: int, percent, progress: str = "完成主体施工", **more) -> None:
    ws = wb["进展报送表"]
    ws[f"{PCT}{row}"] = percent
    ws[f"{PROG}{row}"] = progress
    for col, value in more.items():
        ws[f"{globals()[col]}{row}"] = value


def saved(wb, name: str = "市商务局.xlsx") -> tuple[str, bytes]:
    buf = io.BytesIO()
    wb.save(buf)
    return name, buf.getvalue()


def texts(preview) -> list[str]:
    return [str(e) for e in preview.errors]


# --- export ------------------------------------------------------------------------------


def test_the_sheet_lists_what_the_unit_owes_locked_and_signed(world):
    wb = sheet_for(world)
    ws = wb["进展报送表"]
    header = [c.value for c in ws[3]]
    assert header == [
        "任务ID",
        "编号",
        "工作任务",
        "牵头单位",
        "本单位职责",
        "报送周期",
        "应报日期",
        "完成进度（%）",
        "工作进展",
        "存在问题",
        "下步打算",
        "需协调事项",
    ]
    rows = [[c.value for c in r][:7] for r in ws.iter_rows(min_row=FIRST_ROW)]
    tid = str(world["task"].pk)
    assert rows == [
        [
            tid,
            "1.1",
            "加快建设城市数据中心",
            "市商务局",
            "牵头",
            "2026-02-28 至 2026-03-06",
            "2026-03-06",
        ],
        [
            tid,
            "1.1",
            "加快建设城市数据中心",
            "市商务局",
            "牵头",
            "2026-03-07 至 2026-03-13",
            "2026-03-13",
        ],
    ]
    assert ws.protection.sheet and ws.column_dimensions["A"].hidden
    assert ws[f"{TEXT}4"].protection.locked and not ws[f"{PROG}4"].protection.locked
    assert [str(r) for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges] == [
        "H4:H5"
    ]
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert wb.security.lockStructure


def test_a_sent_period_and_a_co_unit_without_duty_are_left_out(world):
    services.submit_report(
        Task.objects.get(pk=world["task"].pk),
        actor=world["people"]["clerk"],
        period_start=dt.date(2026, 2, 28),
        period_end=dt.date(2026, 3, 6),
        due_date=dt.date(2026, 3, 6),
        percent=10,
        progress="开工",
    )
    owed = owed_rows(world["units"]["sw"], MAR13)
    assert [o.period.period_end for o in owed] == [MAR13]
    co = owed_rows(world["units"]["cz"], MAR13)
    assert [(o.role, o.period.period_end) for o in co] == [
        ("co", dt.date(2026, 3, 6)),
        ("co", MAR13),
    ]
    assert owed_rows(world["units"]["jy"], MAR13) == []


# --- the round trip ----------------------------------------------------------------------


def test_filled_sheet_becomes_reports_through_submit_report(world):
    wb = sheet_for(world)
    fill(wb, 4, 20, "完成选址", PROB="用地紧张")
    fill(wb, 5, "35%", "完成立项", COORD="请协调用地指标")
    clerk = world["people"]["clerk"]
    preview = import_report_sheets([saved(wb)], actor=clerk)
    assert texts(preview) == []
    assert preview.ok and len(preview.rows) == 2
    assert "2 条进展待报送（其中逾期 2 条）" in preview.summary()
    assert not ProgressReport.objects.exists()  # the dry run wrote nothing

    reports = commit_report_import(preview, actor=clerk)
    assert len(reports) == 2
    got = ProgressReport.objects.order_by("period_end").values_list(
        "unit__name", "period_end", "percent", "progress", "problems", "status", "is_late"
    )
    assert list(got) == [
        ("市商务局", dt.date(2026, 3, 6), 20, "完成选址", "用地紧张", ReportStatus.SUBMITTED, True),
        ("市商务局", MAR13, 35, "完成立项", "", ReportStatus.SUBMITTED, True),
    ]
    events = AuditEntry.objects.filter(event="report_submitted", actor=clerk)
    assert events.count() == 2
    # The coordination request follows the usual rule too.
    assert Notice.objects.filter(level="coordination").count() == 1
    with pytest.raises(ReportbookError, match="已经导入过了"):
        commit_report_import(preview, actor=clerk)


def test_a_blank_row_is_skipped_with_a_remark(world):
    wb = sheet_for(world)
    fill(wb, 5, 50, "过半")
    preview = import_report_sheets([saved(wb)], actor=world["people"]["unitlead"])
    assert preview.ok and [r.row for r in preview.rows] == [5]
    assert [str(w) for w in preview.warnings] == ["第4行：未填写，本次不报送该任务"]
    commit_report_import(preview, actor=world["people"]["unitlead"])
    # A unit leader's own report skips the unit's approval step, as on the desk.
    assert ProgressReport.objects.get().status == ReportStatus.UNIT_APPROVED


def test_the_office_may_import_any_units_sheet(world):
    wb = sheet_for(world)
    fill(wb, 4, 10, "开工")
    preview = import_report_sheets([saved(wb)], actor=world["people"]["office"])
    assert preview.ok
    commit_report_import(preview, actor=world["people"]["office"])
    assert ProgressReport.objects.get().unit == world["units"]["sw"]


def test_the_office_cannot_file_a_co_units_report_under_the_lead(world):
    wb = sheet_for(world, "cz")
    fill(wb, 4, 10, "配合完成")
    preview = import_report_sheets([saved(wb)], actor=world["people"]["office"])
    assert texts(preview) == [
        "第4行：以您的身份报送会记在其他单位名下，请由“市财政局”的报送人员导入"
    ]
    # The co-unit's own clerk can.
    preview = import_report_sheets([saved(wb)], actor=world["people"]["coclerk"])
    assert preview.ok
    commit_report_import(preview, actor=world["people"]["coclerk"])
    assert ProgressReport.objects.get().unit == world["units"]["cz"]


# --- refusals ------------------------------------------------------------------------------


def test_another_units_sheet_is_refused(world):
    wb = sheet_for(world, "sw")
    fill(wb, 4, 10, "开工")
    preview = import_report_sheets([saved(wb)], actor=world["people"]["clerk2"])
    assert texts(preview) == ["这是“市商务局”的报送表，您不是该单位的报送人员，不能代为报送。"]
    preview = import_report_sheets(
        [saved(wb)], actor=world["people"]["office"], unit=world["units"]["cz"]
    )
    assert texts(preview) == ["这是“市商务局”的报送表，不是“市财政局”的；请上传本单位的报送表。"]
    with pytest.raises(ReportbookError):
        commit_report_import(preview, actor=world["people"]["office"])
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize("unprotect", [False, True])
def test_a_changed_task_text_is_caught_with_its_row(world, unprotect):
    wb = sheet_for(world)
    ws = wb["进展报送表"]
    if unprotect:
        ws.protection.sheet = False
    ws[f"{TEXT}5"] = "加快建设城市数据中心（已完成）"
    fill(wb, 4, 10, "开工")
    fill(wb, 5, 100, "完成")
    preview = import_report_sheets([saved(wb)], actor=world["people"]["clerk"])
    assert texts(preview) == ["第5行 工作任务：与导出时不符（系统生成的列不能改动）"]
    assert preview.errors[0].letter == "C"


def test_a_changed_task_id_or_period_is_caught(world):
    other = Task.objects.create(plan=world["plan"], code="2.1", text="推进教育集团化办学")
    assign_task(other, lead_unit=world["units"]["jy"], actor=world["people"]["office"])
    wb = sheet_for(world)
    ws = wb["进展报送表"]
    ws.protection.sheet = False
    ws[f"{ID}4"] = str(other.pk)  # another unit's task
    ws[f"{PERIOD}5"] = "2026-03-07 至 2026-03-20"
    fill(wb, 4, 10, "开工")
    fill(wb, 5, 10, "开工")
    preview = import_report_sheets([saved(wb)], actor=world["people"]["clerk"])
    assert texts(preview) == [
        f"第4行 任务ID：任务ID“{other.pk}”不是这份报送表导出的任务（可能被改动或从别的表复制而来）",
        "第5行 报送周期：与导出时不符（系统生成的列不能改动）",
    ]


def test_an_unknown_task_id_in_an_added_row(world):
    wb = sheet_for(world)
    ws = wb["进展报送表"]
    ws.protection.sheet = False
    ws[f"{ID}6"] = "999999"
    fill(wb, 6, 10, "多填一行")
    preview = import_report_sheets([saved(wb)], actor=world["people"]["clerk"])
    assert texts(preview) == [
        "第6行 任务ID：任务ID“999999”不是这份报送表导出的任务（可能被改动或从别的表复制而来）"
    ]


def test_a_rewritten_signed_copy_breaks_the_signature(world):
    wb = sheet_for(world)
    wb[META_SHEET]["C10"] = "改过的任务"
    wb["进展报送表"][f"{TEXT}4"] = "改过的任务"
    fill(wb, 4, 10, "开工")
    preview = import_report_sheets([saved(wb)], actor=world["people"]["clerk"])
    assert texts(preview) == [
        "报送表的校验信息与导出时不符（隐藏的校验页被改动），已拒绝导入；请重新下载报送表填写。"
    ]


def test_a_sheet_without_the_signature_is_refused(world):
    wb = sheet_for(world)
    del wb[META_SHEET]
    preview = import_report_sheets([saved(wb)], actor=world["people"]["clerk"])
    assert "缺少校验信息" in texts(preview)[0]


@pytest.mark.parametrize(
    ("value", "ok"),
    [(120, False), (-1, False), ("过半", False), ("=50+10", False), (True, False), (99.6, True)],
)
def test_percent_must_be_a_number_from_0_to_100(world, value, ok):
    wb = sheet_for(world)
    fill(wb, 4, value, "开工")
    preview = import_report_sheets([saved(wb)], actor=world["people"]["clerk"])
    if ok:
        assert preview.ok and preview.rows[0].percent == 100
    elif isinstance(value, str) and value.startswith("="):
        assert texts(preview) == ["第4行 完成进度（%）：不能使用公式，请直接填写内容"]
    else:
        assert texts(preview) == ["第4行 完成进度：应为0到100之间的数字"]


def test_empty_progress_is_refused(world):
    wb = sheet_for(world)
    fill(wb, 4, 30, "")
    preview = import_report_sheets([saved(wb)], actor=world["people"]["clerk"])
    assert texts(preview) == ["第4行 工作进展：不能为空"]


def test_nothing_filled_is_an_error(world):
    preview = import_report_sheets([saved(sheet_for(world))], actor=world["people"]["clerk"])
    assert texts(preview) == ["报送表中没有填写任何一行，未导入。"]


def test_one_bad_row_in_the_second_file_writes_nothing_from_the_first(world):
    first = sheet_for(world)
    fill(first, 4, 10, "开工")
    fill(first, 5, 20, "推进")
    second = sheet_for(world, "cz")
    fill(second, 4, 10, "配合")
    fill(second, 5, 200, "配合")
    preview = import_report_sheets(
        [saved(first, "商务.xlsx"), saved(second, "财政.xlsx")], actor=world["people"]["office"]
    )
    assert [(e.source, str(e)) for e in preview.errors][-1] == (
        "财政.xlsx",
        "第5行 完成进度：应为0到100之间的数字",
    )
    with pytest.raises(ReportbookError, match="未导入任何内容"):
        commit_report_import(preview, actor=world["people"]["office"])
    assert not ProgressReport.objects.exists()


def test_a_row_refused_at_commit_rolls_back_the_others(world):
    wb = sheet_for(world)
    fill(wb, 4, 10, "开工")
    fill(wb, 5, 20, "推进")
    clerk = world["people"]["clerk"]
    preview = import_report_sheets([saved(wb)], actor=clerk)
    assert preview.ok
    # Between the preview and the commit the office accepts the second period's report.
    report = services.submit_report(
        Task.objects.get(pk=world["task"].pk),
        actor=world["people"]["unitlead"],
        period_start=dt.date(2026, 3, 7),
        period_end=MAR13,
        due_date=MAR13,
        percent=5,
        progress="先报",
    )
    services.review_report(report, actor=world["people"]["office"], accept=True)
    with pytest.raises(ReportbookError, match="第5行：该期报告已审核，不能再修改"):
        commit_report_import(preview, actor=clerk)
    assert list(ProgressReport.objects.values_list("period_end", flat=True)) == [MAR13]


# --- the shared file guards --------------------------------------------------------------


def test_password_protected_renamed_and_huge_files_are_refused(world, settings):
    clerk = world["people"]["clerk"]
    encrypted = _CFB_MAGIC + b"\0" * 512 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 512
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    settings.DUBAN_MAX_UPLOAD_BYTES = 1024 * 1024
    preview = import_report_sheets(
        [
            ("加密.xlsx", encrypted),
            ("改名.xlsx", buf.getvalue()),
            ("很大.xlsx", b"PK\x03\x04" + b"\0" * (1024 * 1024 + 1)),
            ("表.csv", "编号,工作任务\n1,建设\n".encode()),
        ],
        actor=clerk,
    )
    got = [(e.source, str(e)) for e in preview.errors]
    assert [s for s, _t in got] == ["加密.xlsx", "改名.xlsx", "很大.xlsx", "表.csv"]
    assert "工作簿设置了打开密码" in got[0][1]
    assert "这是 Word 文档（.docx）改了扩展名" in got[1][1]
    assert "文件过大" in got[2][1]
    assert "报送表应为 Excel 工作簿" in got[3][1]


# --- the command line --------------------------------------------------------------------


def test_export_reports_and_import_reports_commands(world, tmp_path):
    from click.testing import CliRunner

    import duban.cli  # noqa: F401 - first: duban.plans.cli is loaded from it
    from duban.supervision.cli import export_reports_command, import_reports_command

    out = tmp_path / "sw.xlsx"
    runner = CliRunner()
    r = runner.invoke(
        export_reports_command,
        ["--unit", "市商务局", "--period-end", "2026-03-13", "-o", str(out)],
    )
    assert r.exit_code == 0, r.output
    assert "2 行" in r.output
    wb = openpyxl.load_workbook(out)
    fill(wb, 4, 10, "开工")
    fill(wb, 5, 300, "推进")
    wb.save(out)
    r = runner.invoke(import_reports_command, [str(out), "--as", "clerk"])
    assert r.exit_code == 2
    assert "错误 《sw.xlsx》第5行 完成进度：应为0到100之间的数字" in r.output
    fill(wb, 5, 30, "推进")
    wb.save(out)
    r = runner.invoke(import_reports_command, [str(out), "--as", "clerk", "--dry-run"])
    assert r.exit_code == 0 and "未写入" in r.output
    assert not ProgressReport.objects.exists()
    r = runner.invoke(import_reports_command, [str(out), "--as", "clerk"])
    assert r.exit_code == 0 and "已报送 2 条进展" in r.output
    assert ProgressReport.objects.count() == 2
    r = runner.invoke(
        export_reports_command, ["--unit", "没有的局", "--period-end", "2026-03-13", "-o", str(out)]
    )
    assert r.exit_code == 2 and "找不到单位" in r.output


# --- query budget ------------------------------------------------------------------------


def test_export_and_import_read_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    office = world["people"]["office"]
    for i in range(12):
        t = Task.objects.create(
            plan=world["plan"],
            code=f"3.{i}",
            text=f"任务{i}",
            status="confirmed",
            deadline=dt.date(2026, 12, 31),
        )
        assign_task(
            t, lead_unit=world["units"]["sw"], co_units=[world["units"]["cz"]], actor=office
        )
        services.set_reporting_schedule(
            t, actor=office, frequency="weekly", day=5, starts_on=dt.date(2026, 3, 1)
        )
    with django_assert_max_num_queries(5):
        data = export_report_sheet(world["units"]["sw"], MAR13)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for r in range(FIRST_ROW, FIRST_ROW + 26):
        fill(wb, r, 50, "推进")
    with django_assert_max_num_queries(6):
        preview = import_report_sheets([saved(wb)], actor=world["people"]["clerk"])
    assert preview.ok and len(preview.rows) == 26
