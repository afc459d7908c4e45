"""Report collection by Excel (报送表): progress reports from units that will not log in.

The office (or the unit's clerk) downloads one pre-filled workbook per unit and period
(:func:`export_report_sheet`): one row per task and period the unit owes, the task columns
locked, five columns to fill in. The filled workbooks come back by e-mail and are read in
two steps, like task books:

1. :func:`import_report_sheets` — a dry run over one or more files: every row is checked and
   every problem listed with its file, row and column (「第5行 完成进度：应为0到100之间的数字」);
2. :func:`commit_report_import` — one transaction that calls
   :func:`~duban.supervision.services.submit_report` for every row, so permissions, the audit
   trail, late flags, coordination requests and lights follow the usual rules. Nothing is
   written unless every row of every file is valid.

Sheet protection stops honest mistakes only (any password is removable in seconds). What
makes tampering *detectable* is a very hidden sheet ``_duban`` holding the unit, the period
and a copy of every locked cell, signed with an HMAC keyed by ``SECRET_KEY``: a changed task
text, id or period shows up as a difference between the visible cell and the signed copy,
naming the row and the column; a changed copy breaks the signature.

The file-level guards (size limit, zip bombs, password-protected workbooks, renamed files)
are :mod:`duban.plans.taskbook`'s own, imported rather than copied so that both importers
refuse the same files with the same words.
"""

from __future__ import annotations

import datetime as dt
import hmac
import io
import json
import secrets
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from duban.org.models import Unit
from duban.plans import access
from duban.plans.choices import WORKING_STATUSES
from duban.plans.models import Plan, Task

# The shared file guards are private helpers of the task book importer; importing them keeps
# one definition of "a file we refuse" (see the module docstring).
from duban.plans.taskbook import (
    RowIssue,
    TaskbookError,
    _check_zip,
    _read_input,
    _sniff,
    _text,
    _xlsx_text,
    check_sheet_rows,
    sheet_extent,
)
from duban.supervision import services
from duban.supervision.choices import ReportStatus
from duban.supervision.models import ProgressReport, ReportingSchedule
from duban.supervision.periods import Period, schedule_periods
from duban.supervision.workdays import load_calendar

__all__ = [
    "ReportImportPreview",
    "ReportRow",
    "ReportbookError",
    "commit_report_import",
    "export_report_sheet",
    "import_report_sheets",
    "report_sheet_filename",
]

FORMAT = "duban.reportsheet"
VERSION = 1
META_SHEET = "_duban"
DATA_SHEET = "进展报送表"
HEADER_ROW = 3
FIRST_ROW = HEADER_ROW + 1
COPY_ROW = 10  # first row of the signed copy in the meta sheet
ACTIVE = WORKING_STATUSES
SENT = (ReportStatus.SUBMITTED, ReportStatus.UNIT_APPROVED, ReportStatus.ACCEPTED)
OWED_ROWS = (ReportStatus.MISSING, ReportStatus.RETURNED, ReportStatus.DRAFT)


class ReportbookError(TaskbookError):
    """A file-level problem, or a commit refused; the message is for the clerk, in Chinese."""


@dataclass(frozen=True)
class _Col:
    key: str
    label: str
    width: float
    locked: bool


COLUMNS: tuple[_Col, ...] = (
    _Col("task_id", "任务ID", 8, True),
    _Col("code", "编号", 8, True),
    _Col("text", "工作任务", 40, True),
    _Col("lead", "牵头单位", 16, True),
    _Col("role", "本单位职责", 10, True),
    _Col("period", "报送周期", 24, True),
    _Col("due", "应报日期", 12, True),
    _Col("percent", "完成进度（%）", 10, False),
    _Col("progress", "工作进展", 40, False),
    _Col("problems", "存在问题", 24, False),
    _Col("next_steps", "下步打算", 24, False),
    _Col("coordination_request", "需协调事项", 20, False),
)
LOCKED = tuple(c for c in COLUMNS if c.locked)
EDITABLE = tuple(c for c in COLUMNS if not c.locked)
INDEX = {c.key: i for i, c in enumerate(COLUMNS)}


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def _period_text(period: Period) -> str:
    return f"{period.period_start.isoformat()} 至 {period.period_end.isoformat()}"


def _sign(payload: Any) -> str:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return salted_hmac(
        "duban.supervision.reportbook", text, secret=settings.SECRET_KEY, algorithm="sha256"
    ).hexdigest()


def _password() -> str:
    # A fixed password (settings) lets the office unlock its own sheets; without one each
    # sheet gets a random password nobody knows, which is fine: nobody needs to unlock it.
    return getattr(settings, "DUBAN_REPORT_SHEET_PASSWORD", "") or secrets.token_urlsafe(12)


# -- what a unit owes -------------------------------------------------------------------


@dataclass
class _Owed:
    task: Task
    role: str  # "lead" | "co"
    period: Period


def _schedule_of(task: Task) -> ReportingSchedule | None:
    try:
        return task.reporting_schedule
    except ReportingSchedule.DoesNotExist:
        return None


def owed_rows(unit: Unit, period_end: dt.date, *, plan: Plan | None = None) -> list[_Owed]:
    """The unit's task periods ending on ``period_end``, and earlier ones not yet sent.

    Co-operating units get a task only when its schedule asks them to report too. A period
    the chasing ladder recorded as missing (or a returned or draft report) stays owed even
    when the schedule has changed since.
    """
    tasks = (
        Task.objects.filter(Q(assignment__lead_unit=unit) | Q(assignment__co_units=unit))
        .filter(status__in=ACTIVE)
        .distinct()
        .select_related("assignment__lead_unit", "reporting_schedule")
        .prefetch_related("assignment__co_units")
        .order_by("plan_id", "sort_order", "id")
    )
    if plan is not None:
        tasks = tasks.filter(plan=plan)
    tasks = list(tasks)
    by_pk = {t.pk: t for t in tasks}
    rows = ProgressReport.objects.filter(
        unit=unit, task_id__in=list(by_pk), period_end__lte=period_end
    ).values_list("task_id", "period_start", "period_end", "due_date", "status")
    status: dict[tuple[int, dt.date], str] = {}
    leftovers: list[tuple[int, Period]] = []
    for task_id, start, end, due, st in rows:
        status[(task_id, end)] = st
        if st in OWED_ROWS:
            leftovers.append((task_id, Period(start, end, due)))
    calendar = load_calendar()
    out: list[_Owed] = []
    seen: set[tuple[int, dt.date]] = set()
    for task in tasks:
        role = "lead" if task.assignment.lead_unit_id == unit.pk else "co"
        schedule = _schedule_of(task)
        if schedule is None or (role == "co" and not schedule.co_units_report):
            continue
        try:
            periods = schedule_periods(
                schedule, calendar=calendar, until=period_end, end=task.deadline
            )
        except ValueError:
            continue
        for p in periods:
            if p.period_end > period_end:
                break
            # An earlier period is owed only when it was due by then and is not yet sent.
            if p.period_end < period_end and p.due_date > period_end:
                continue
            if status.get((task.pk, p.period_end)) in SENT:
                continue
            out.append(_Owed(task, role, p))
            seen.add((task.pk, p.period_end))
    for task_id, p in leftovers:
        if (task_id, p.period_end) not in seen:
            task = by_pk[task_id]
            role = "lead" if task.assignment.lead_unit_id == unit.pk else "co"
            out.append(_Owed(task, role, p))
    out.sort(key=lambda o: (o.task.plan_id, o.task.sort_order, o.task.pk, o.period.period_end))
    return out


def _locked_values(o: _Owed) -> list[str]:
    return [
        str(o.task.pk),
        o.task.code,
        _xlsx_text(o.task.text),
        o.task.assignment.lead_unit.name,
        "牵头" if o.role == "lead" else "配合",
        _period_text(o.period),
        o.period.due_date.isoformat(),
    ]


# -- export -----------------------------------------------------------------------------


def report_sheet_filename(unit: Unit, period_end: dt.date) -> str:
    return f"{unit.name}_进展报送表_{period_end.isoformat()}.xlsx"


def export_report_sheet(unit: Unit, period_end: dt.date, *, plan: Plan | None = None) -> bytes:
    """A pre-filled, protected, signed .xlsx for ``unit`` and the period ending ``period_end``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.workbook.protection import WorkbookProtection
    from openpyxl.worksheet.datavalidation import DataValidation

    owed = owed_rows(unit, period_end, plan=plan)
    password = _password()
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ncol = len(COLUMNS)
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    grey = PatternFill("solid", fgColor="EEEEEE")
    ws.cell(
        row=1,
        column=1,
        value=f"{unit.name} 工作进展报送表（报送周期截至 {period_end.isoformat()}）",
    ).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(
        row=2,
        column=1,
        value="填表说明：灰色列由系统生成，请勿改动；请在白色列填写完成进度（0—100 的数字）"
        "和工作进展，其余各列按需填写；不报送的任务整行留空。填好后保存为 .xlsx 交回督查室。",
    ).alignment = wrap
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
    ws.row_dimensions[2].height = 32
    for j, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=j, value=col.label)
        cell.font = Font(bold=True)
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if col.locked:
            cell.fill = grey
        ws.column_dimensions[_letter(j - 1)].width = col.width
    copy: list[list[str]] = []
    for i, o in enumerate(owed):
        r = FIRST_ROW + i
        values = _locked_values(o)
        copy.append(
            [
                *values,
                o.period.period_start.isoformat(),
                o.period.period_end.isoformat(),
            ]
        )
        for j, col in enumerate(COLUMNS):
            cell = ws.cell(row=r, column=j + 1)
            if col.locked:
                cell.value = values[j]
                cell.data_type = "s"  # never a formula, whatever the task text starts with
                cell.fill = grey
                cell.protection = Protection(locked=True)
            else:
                cell.protection = Protection(locked=False)
                if col.key == "percent":
                    cell.number_format = "0"
            cell.border = border
            cell.alignment = wrap
    last = FIRST_ROW + max(len(owed), 1) - 1
    dv = DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2="100",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="完成进度",
        error="请填写 0 到 100 之间的数字。",
    )
    pc = _letter(INDEX["percent"])
    dv.add(f"{pc}{FIRST_ROW}:{pc}{last}")
    ws.add_data_validation(dv)
    ws.column_dimensions["A"].hidden = True
    ws.freeze_panes = f"B{FIRST_ROW}"
    ws.protection.sheet = True
    ws.protection.password = password
    ws.protection.formatRows = False  # row heights may be changed for long texts
    ws.protection.formatColumns = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4

    meta = wb.create_sheet(META_SHEET)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "unit": unit.pk,
        "period_end": period_end.isoformat(),
        "rows": copy,
    }
    head = [
        ("format", FORMAT),
        ("version", VERSION),
        ("unit", unit.pk),
        ("unit_name", unit.name),
        ("period_end", period_end.isoformat()),
        ("rows", len(copy)),
        ("hmac", _sign(payload)),
    ]
    for r, (k, v) in enumerate(head, start=1):
        meta.cell(row=r, column=1, value=k)
        meta.cell(row=r, column=2, value=v)
    for i, values in enumerate(copy):
        for j, v in enumerate(values, start=1):
            c = meta.cell(row=COPY_ROW + i, column=j, value=v)
            c.data_type = "s"
    meta.sheet_state = "veryHidden"  # not even listed under Excel's 取消隐藏
    meta.protection.sheet = True
    meta.protection.password = password
    wb.security = WorkbookProtection(workbookPassword=password, lockStructure=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- import -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportIssue(RowIssue):
    """A row problem with the file it is in (several files are read at once)."""

    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "source": self.source}


@dataclass
class ReportRow:
    """One report the commit will submit."""

    source: str
    row: int
    task: Task
    unit: Unit
    period: Period
    percent: int
    progress: str
    problems: str = ""
    next_steps: str = ""
    coordination_request: str = ""
    late: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "row": self.row,
            "task": self.task.pk,
            "code": self.task.code,
            "unit": self.unit.name,
            "period_end": self.period.period_end.isoformat(),
            "due_date": self.period.due_date.isoformat(),
            "percent": self.percent,
            "late": self.late,
        }


@dataclass
class SheetInfo:
    source: str
    unit: Unit | None
    period_end: dt.date | None
    rows: int = 0
    filled: int = 0


@dataclass
class ReportImportPreview:
    """What :func:`commit_report_import` will submit, and every reason it may refuse."""

    sheets: list[SheetInfo] = field(default_factory=list)
    rows: list[ReportRow] = field(default_factory=list)
    errors: list[ReportIssue] = field(default_factory=list)
    warnings: list[ReportIssue] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def summary(self) -> str:
        late = sum(1 for r in self.rows if r.late)
        return f"{len(self.sheets)} 个文件，{len(self.rows)} 条进展待报送（其中逾期 {late} 条）；错误 {len(self.errors)} 处，提示 {len(self.warnings)} 处。"

    def to_dict(self) -> dict[str, Any]:
        return {
            "sheets": [
                {
                    "source": s.source,
                    "unit": s.unit.name if s.unit else None,
                    "period_end": s.period_end.isoformat() if s.period_end else None,
                    "rows": s.rows,
                    "filled": s.filled,
                }
                for s in self.sheets
            ],
            "rows": [r.to_dict() for r in self.rows],
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
        }


def _open_workbook(file: Any, filename: str | None) -> tuple[Any, str]:
    """The workbook (formulas kept as formulas) behind the shared file guards."""
    import openpyxl

    data, name = _read_input(file, filename)
    kind = _sniff(data, Path(name).suffix.lower())
    if kind != "xlsx":
        raise ReportbookError("报送表应为 Excel 工作簿（.xlsx）；请使用下载的报送表填写后交回。")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ReportbookError("Excel 文件已损坏或不完整，请重新保存后再导入。") from exc
    with zf:
        _check_zip(zf)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on broken parts
        raise ReportbookError(
            f"Excel 文件无法读取（{exc.__class__.__name__}），请在 Excel 中打开并另存为 .xlsx 后再导入。"
        ) from exc
    # The task book's guard, before a single row is read: one cell at row 1,048,576 made
    # the old row loop take 80 s and 3 GB (issue 14).
    for ws in wb.worksheets:
        if hasattr(ws, "_cells"):
            check_sheet_rows(ws.title, sheet_extent(ws)[0])
    return wb, name


def _is_formula(cell: Any) -> bool:
    return cell.data_type == "f" or type(cell.value).__name__ in (
        "ArrayFormula",
        "DataTableFormula",
    )


def _read_meta(wb: Any) -> tuple[dict[str, Any], list[list[str]]]:
    if META_SHEET not in wb.sheetnames:
        raise ReportbookError(
            "这不是本系统导出的报送表（缺少校验信息，可能是把内容复制到了新工作簿）；"
            "请下载报送表，在其中填写后交回。"
        )
    meta = wb[META_SHEET]
    head = {}
    for r in range(1, COPY_ROW):
        k = meta.cell(row=r, column=1).value
        if k:
            head[str(k)] = meta.cell(row=r, column=2).value
    if head.get("format") != FORMAT:
        raise ReportbookError("这不是本系统导出的报送表。")
    if str(head.get("version")) != str(VERSION):
        raise ReportbookError(
            "报送表版本 {v} 不受支持，请重新下载报送表。".format(v=head.get("version"))
        )
    try:
        n = int(head.get("rows") or 0)
    except (TypeError, ValueError):
        n = -1
    width = len(LOCKED) + 2
    copy = [
        [_text(meta.cell(row=COPY_ROW + i, column=j + 1).value) for j in range(width)]
        for i in range(max(n, 0))
    ]
    try:
        unit_id = int(head.get("unit"))
        period_end = dt.date.fromisoformat(str(head.get("period_end")))
    except (TypeError, ValueError):
        unit_id, period_end = -1, None
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "unit": unit_id,
        "period_end": period_end.isoformat() if period_end else "",
        "rows": copy,
    }
    if (
        n < 0
        or period_end is None
        or not hmac.compare_digest(str(head.get("hmac") or ""), _sign(payload))
    ):
        raise ReportbookError(
            "报送表的校验信息与导出时不符（隐藏的校验页被改动），已拒绝导入；请重新下载报送表填写。"
        )
    return {"unit": unit_id, "period_end": period_end}, copy


def _may_report_for(actor: Any, unit_id: int) -> bool:
    return access.may_report_for(actor, unit_id)


def _percent(cell: Any) -> int | None:
    """The percent typed, or None when it is not a number from 0 to 100."""
    v = cell.value
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        # 「35%」 typed into Excel is stored as 0.35 with a percent format.
        number = v * 100 if "%" in (cell.number_format or "") and v <= 1 else v
    elif isinstance(v, str):
        s = v.strip().rstrip("%％").strip()
        try:
            number = float(s)
        except ValueError:
            return None
    else:
        return None
    if not 0 <= number <= 100:
        return None
    return int(number + 0.5)


def _read_one(
    preview: ReportImportPreview, file: Any, filename: str | None, *, actor: Any, unit: Unit | None
) -> None:
    try:
        wb, name = _open_workbook(file, filename)
        info, copy = _read_meta(wb)
    except TaskbookError as exc:
        src = filename or str(getattr(file, "name", "") or file)
        preview.sheets.append(SheetInfo(Path(src).name, None, None))
        preview.errors.append(ReportIssue(None, "", str(exc), source=Path(src).name))
        return
    name = Path(name).name
    sheet_unit = Unit.objects.filter(pk=info["unit"]).first()
    sheet = SheetInfo(name, sheet_unit, info["period_end"], rows=len(copy))
    preview.sheets.append(sheet)

    def error(row: int | None, column: str, message: str, letter: str = "") -> None:
        preview.errors.append(ReportIssue(row, column, message, letter, source=name))

    if sheet_unit is None:
        error(None, "", "报送表对应的单位已不存在。")
        return
    if unit is not None and sheet_unit.pk != unit.pk:
        error(
            None,
            "",
            f"这是“{sheet_unit.name}”的报送表，不是“{unit.name}”的；请上传本单位的报送表。",
        )
        return
    if not _may_report_for(actor, sheet_unit.pk):
        error(
            None,
            "",
            f"这是“{sheet_unit.name}”的报送表，您不是该单位的报送人员，不能代为报送。",
        )
        return
    if DATA_SHEET not in wb.sheetnames:
        error(None, "", f"报送表中找不到工作表“{DATA_SHEET}”。")
        return
    ws = wb[DATA_SHEET]
    by_id: dict[str, list[list[str]]] = {}
    for entry in copy:
        by_id.setdefault(entry[0], []).append(entry)
    tasks = (
        Task.objects.filter(pk__in=[int(e[0]) for e in copy if e[0].isdigit()])
        .select_related("assignment__lead_unit", "reporting_schedule")
        .prefetch_related("assignment__co_units")
        .in_bulk()
    )
    existing = {
        (t, end): (st, ver)
        for t, end, st, ver in ProgressReport.objects.filter(
            unit=sheet_unit, task_id__in=list(tasks)
        ).values_list("task_id", "period_end", "status", "version")
    }
    today = timezone.localdate()
    seen: dict[tuple[str, str], int] = {}
    # Only rows that hold something: the rest are empty rows below the table.
    filled = sorted({r for (r, _c), cell in ws._cells.items() if cell.value not in (None, "")})
    for r in (r for r in filled if r >= FIRST_ROW):
        cells = [ws.cell(row=r, column=j + 1) for j in range(len(COLUMNS))]
        locked = [_text(cells[INDEX[c.key]].value) for c in LOCKED]
        edit = {c.key: cells[INDEX[c.key]] for c in EDITABLE}
        if not any(locked) and all(c.value is None or _text(c.value) == "" for c in edit.values()):
            continue  # an empty row below the table
        # Tampering first: a row whose task columns are not what we exported is not read.
        tid = locked[0]
        candidates = by_id.get(tid)
        if not candidates:
            error(
                r,
                COLUMNS[0].label,
                f"任务ID“{tid}”不是这份报送表导出的任务（可能被改动或从别的表复制而来）",
                _letter(0),
            )
            continue
        entry = next((e for e in candidates if e[INDEX["period"]] == locked[INDEX["period"]]), None)
        if entry is None:
            error(
                r,
                "报送周期",
                "与导出时不符（系统生成的列不能改动）",
                _letter(INDEX["period"]),
            )
            continue
        bad = [i for i, col in enumerate(LOCKED) if locked[i] != entry[i]]
        if bad:
            for i in bad:
                error(r, LOCKED[i].label, "与导出时不符（系统生成的列不能改动）", _letter(i))
            continue
        key = (entry[0], entry[INDEX["period"]])
        if key in seen:
            error(r, "", f"与第{seen[key]}行是同一任务同一周期，重复了")
            continue
        seen[key] = r
        formulas = [c for c in EDITABLE if _is_formula(edit[c.key])]
        if formulas:
            for c in formulas:
                error(r, c.label, "不能使用公式，请直接填写内容", _letter(INDEX[c.key]))
            continue
        texts = {
            k: _text(edit[k].value)
            for k in ("progress", "problems", "next_steps", "coordination_request")
        }
        if edit["percent"].value in (None, "") and not any(texts.values()):
            preview.warnings.append(ReportIssue(r, "", "未填写，本次不报送该任务", source=name))
            continue
        sheet.filled += 1
        ok = True
        percent = _percent(edit["percent"])
        if percent is None:
            error(r, "完成进度", "应为0到100之间的数字", _letter(INDEX["percent"]))
            ok = False
        if not texts["progress"]:
            error(r, "工作进展", "不能为空", _letter(INDEX["progress"]))
            ok = False
        task = tasks.get(int(entry[0]))
        if task is None:
            error(r, "工作任务", "该任务已被删除")
            continue
        if not ok:
            continue
        lead, co = access.task_units(task)
        if sheet_unit.pk != lead and sheet_unit.pk not in co:
            error(r, "牵头单位", "本单位已不再承担该任务，无需报送", _letter(INDEX["lead"]))
            continue
        try:
            acting = access.acting_unit(actor, task, "report")
        except access.NotAllowed:
            acting = None
        if acting != sheet_unit.pk:
            # submit_report files the report for the unit the actor acts for; a report the
            # office keys in for a co-operating unit would land on the lead unit's record.
            error(
                r,
                "",
                f"以您的身份报送会记在其他单位名下，请由“{sheet_unit.name}”的报送人员导入",
            )
            continue
        period = Period(
            dt.date.fromisoformat(entry[len(LOCKED)]),
            dt.date.fromisoformat(entry[len(LOCKED) + 1]),
            dt.date.fromisoformat(entry[INDEX["due"]]),
        )
        st = existing.get((task.pk, period.period_end), ("", 0))[0]
        if st in (ReportStatus.UNIT_APPROVED, ReportStatus.ACCEPTED):
            error(r, "", "该期报告已审核，不能再修改")
            continue
        if st == ReportStatus.SUBMITTED:
            preview.warnings.append(
                ReportIssue(r, "", "该期已报送过，导入后以本表内容为准", source=name)
            )
        preview.rows.append(
            ReportRow(
                source=name,
                row=r,
                task=task,
                unit=sheet_unit,
                period=period,
                percent=percent or 0,
                progress=texts["progress"],
                problems=texts["problems"],
                next_steps=texts["next_steps"],
                coordination_request=texts["coordination_request"],
                late=today > period.due_date,
            )
        )


def import_report_sheets(
    files: Iterable[Any], *, actor: Any, unit: Unit | None = None
) -> ReportImportPreview:
    """Dry run over filled report sheets (paths, bytes, uploads or ``(name, data)`` pairs).

    Writes nothing. ``unit``, when given, is the only unit whose sheets are accepted (the
    unit desk passes the unit it is showing). File problems and row problems are listed in
    ``preview.errors``, each with its file name.
    """
    preview = ReportImportPreview()
    for f in files:
        if isinstance(f, tuple):
            name, data = f
            _read_one(preview, data, name, actor=actor, unit=unit)
        else:
            _read_one(preview, f, None, actor=actor, unit=unit)
    if not preview.errors and not preview.rows:
        preview.errors.append(
            ReportIssue(None, "", "报送表中没有填写任何一行，未导入。", source="")
        )
    return preview


def commit_report_import(preview: ReportImportPreview, *, actor: Any) -> list[ProgressReport]:
    """Submit every previewed row in one transaction: all reports or none.

    Each row goes through :func:`~duban.supervision.services.submit_report`; a row it refuses
    (a report approved since the preview, a permission withdrawn) rolls back every other.
    """
    if preview.committed:
        raise ReportbookError("这份预览已经导入过了，请勿重复导入。")
    if preview.errors:
        raise ReportbookError(
            f"有 {len(preview.errors)} 处错误，未导入任何内容；请修改后重新导入。"
        )
    if not preview.rows:
        raise ReportbookError("没有可导入的进展。")
    reports = []
    with transaction.atomic():
        for row in preview.rows:
            try:
                reports.append(
                    services.submit_report(
                        Task.objects.get(pk=row.task.pk),
                        actor=actor,
                        period_start=row.period.period_start,
                        period_end=row.period.period_end,
                        due_date=row.period.due_date,
                        percent=row.percent,
                        progress=row.progress,
                        problems=row.problems,
                        next_steps=row.next_steps,
                        coordination_request=row.coordination_request,
                    )
                )
            except (services.ValidationError, access.NotAllowed, access.NotFound) as exc:
                detail = str(exc) or _("没有权限")
                raise ReportbookError(
                    f"《{row.source}》第{row.row}行：{detail}；未导入任何内容。"
                ) from exc
    preview.committed = True
    return reports
