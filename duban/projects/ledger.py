"""The customary Excel ledger (重点项目台账): export, and import all rows or none.

Layout (one sheet, a title row, one header row, one row per project, a 合计 row)::

    序号 项目名称 项目编号 板块 责任单位 责任人 建设地点 总投资（万元） 年度计划投资（万元）
    开工时间 竣工时间 状态 1月完成投资（万元） … N月完成投资（万元）
    1-N月完成投资（万元） 完成率 形象进度

Export and import share :data:`COLUMNS`, so what is written is what is read back; an
export imported again gives the same ledger. The derived columns (1-N月, 完成率) are
written for the reader and ignored on import when the month columns are there; a ledger
that has only the 1-N月 column (the way many offices keep it) records the difference from
the months already entered as month N.

The file-level guards (size, zip bombs, password-protected or renamed files, sheets of a
million rows) are the task-book importer's own (:func:`duban.plans.taskbook.read_sheets`),
and unit names are matched by its :class:`~duban.plans.taskbook.UnitResolver`, so both
importers refuse the same files and read 「市发改委」 the same way.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.plans import access
from duban.plans.taskbook import (
    RowIssue,
    Sheet,
    TaskbookError,
    UnitResolver,
    _text,
    _xlsx_text,
    column_letter,
    read_sheets,
)
from duban.projects import services
from duban.projects.choices import ProjectStatus
from duban.projects.models import MonthlyProgress, Project

SHEET = "重点项目台账"
HEADER_SCAN_ROWS = 20


class LedgerError(TaskbookError):
    """A file-level problem: nothing can be imported; the message is for the clerk."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    synonyms: tuple[str, ...]
    width: float
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", ("序号",), 6),
    Column("name", "项目名称", ("项目名称",), 30, True),
    Column("code", "项目编号", ("项目编号", "编号"), 12, True),
    Column("sector", "板块", ("板块", "项目板块", "项目类别", "类别"), 10, True),
    Column("lead_unit", "责任单位", ("责任单位", "牵头单位", "主责单位"), 16, True),
    Column("responsible", "责任人", ("责任人", "项目负责人", "负责人"), 10),
    Column("location", "建设地点", ("建设地点", "所在区域", "所在地", "地点"), 12),
    Column("total_investment", "总投资（万元）", ("总投资",), 12, True),
    Column(
        "annual_plan", "年度计划投资（万元）", ("年度计划投资", "年度计划", "计划投资"), 12, True
    ),
    Column("planned_start", "开工时间", ("开工时间", "计划开工时间", "开工日期"), 12),
    Column("planned_finish", "竣工时间", ("竣工时间", "计划竣工时间", "竣工日期"), 12),
    Column("status", "状态", ("状态", "项目状态", "建设状态"), 8),
    Column("image_progress", "形象进度", ("形象进度", "工程形象进度"), 40),
)
BY_KEY = {c.key: c for c in COLUMNS}
RATE_LABEL = "完成率"
_MONTH = re.compile(r"^(\d{1,2})月份?(?:完成)?(?:投资)?")
_CUMULATIVE = re.compile(r"^1[-－—~～至到](\d{1,2})月")
_DATE_YM = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(?:(\d{1,2})\s*日?)?)?$")


def month_label(month: int) -> str:
    return f"{month}月完成投资（万元）"


def cumulative_label(month: int) -> str:
    return f"1-{month}月完成投资（万元）"


def _norm(value: Any) -> str:
    text = _text(value)
    text = re.sub(r"\s+", "", text)
    text = text.replace("(", "（").replace(")", "）")
    return re.sub(r"（[^）]*）$", "", text)


def _header_key(value: Any) -> tuple[str, int | None] | None:
    """What a header cell names: (column key, month) or None."""
    text = _norm(value)
    if not text:
        return None
    if m := _CUMULATIVE.match(text):
        return "cumulative", int(m[1])
    if m := _MONTH.match(text):
        return ("month", int(m[1])) if 1 <= int(m[1]) <= 12 else None
    if text.startswith(RATE_LABEL):
        return "rate", None
    for col in COLUMNS:
        if text in col.synonyms:
            return col.key, None
    for col in COLUMNS:  # 「2026年计划投资」「总投资额」
        if any(s in text for s in col.synonyms if len(s) > 2):
            return col.key, None
    return None


@dataclass
class Layout:
    header_row: int  # 0-based
    columns: dict[str, int]  # key → 0-based column
    months: dict[int, int]  # month → column
    cumulative: tuple[int, int] | None  # (month N, column)


def _layout(sheet: Sheet) -> Layout | None:
    for r in range(min(HEADER_SCAN_ROWS, len(sheet.rows))):
        columns: dict[str, int] = {}
        months: dict[int, int] = {}
        cumulative = None
        for c in range(sheet.width):
            found = _header_key(sheet.value(r, c))
            if found is None:
                continue
            key, month = found
            if key == "month" and month is not None:
                months.setdefault(month, c)
            elif key == "cumulative" and month is not None:
                cumulative = (month, c)
            else:
                columns.setdefault(key, c)
        if "name" in columns and "code" in columns:
            return Layout(r, columns, months, cumulative)
    return None


# -- reading cells ------------------------------------------------------------------------


def _date(value: Any) -> dt.date | None:
    """开工/竣工时间: a date cell, 2026-03-15, 2026年3月 (its first day) or an Excel serial."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20_000 <= value <= 80_000:
            from openpyxl.utils.datetime import from_excel

            return from_excel(value).date()
        raise services.ValidationError(_("“{v}”不是日期。").format(v=_text(value)))
    text = _text(value)
    m = _DATE_YM.match(text)
    if not m:
        raise services.ValidationError(
            _("“{v}”无法识别为日期，请写成 2026-03-15 或 2026年3月。").format(v=text[:30])
        )
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3] or 1))
    except ValueError as exc:
        raise services.ValidationError(_("日期“{v}”不存在。").format(v=text[:30])) from exc


def _status(value: Any) -> str:
    text = _text(value)
    if not text:
        return ProjectStatus.BUILDING
    for choice in ProjectStatus:
        if text in (choice.value, str(choice.label)) or text == _zh_label(choice):
            return choice.value
    raise services.ValidationError(
        _("状态应为：{names}。").format(names="、".join(_zh_label(c) for c in ProjectStatus))
    )


def _zh_label(choice: ProjectStatus) -> str:
    """The status as the ledger writes it: in Chinese, whatever the page's language."""
    return {"preparing": "前期", "building": "在建", "completed": "竣工", "suspended": "停缓建"}[
        choice.value
    ]


# -- the dry run and the commit ------------------------------------------------------------


@dataclass
class LedgerRow:
    row: int  # the sheet's row number (1-based), for messages
    values: dict[str, Any]
    months: dict[int, Decimal]
    cumulative: tuple[int, Decimal] | None
    project: Project | None  # the existing project with this year and code


@dataclass
class LedgerImport:
    year: int
    rows: list[LedgerRow] = field(default_factory=list)
    errors: list[RowIssue] = field(default_factory=list)
    committed: bool = False
    created: int = 0
    updated: int = 0
    months: int = 0

    def summary(self) -> str:
        if self.errors:
            return _("有 {n} 处错误，未导入任何内容。").format(n=len(self.errors))
        new = sum(1 for r in self.rows if r.project is None)
        return _("共 {n} 个项目：新增 {new} 个，更新 {old} 个。").format(
            n=len(self.rows), new=new, old=len(self.rows) - new
        )


def _is_blank(sheet: Sheet, r: int) -> bool:
    return not any(_text(v) for v in (sheet.rows[r] if r < len(sheet.rows) else ()))


def read_ledger(file: Any, *, year: int, filename: str | None = None) -> LedgerImport:
    """Check a ledger file row by row and say what an import would do; writes nothing.

    File-level problems raise :class:`TaskbookError` (:class:`LedgerError`); every cell
    that cannot be used is listed in ``errors`` with its row and column.
    """
    loaded = read_sheets(file, filename=filename)
    if not isinstance(loaded, list):
        raise LedgerError(_("这是 JSON 文件，请上传 Excel 台账（.xlsx）。"))
    found = next(((s, lay) for s in loaded if (lay := _layout(s)) is not None), None)
    if found is None:
        raise LedgerError(
            _("找不到台账的表头：前 {n} 行中应有“项目名称”和“项目编号”两列。").format(
                n=HEADER_SCAN_ROWS
            )
        )
    sheet, layout = found
    needed = ("sector", "lead_unit", "total_investment", "annual_plan")
    missing = [BY_KEY[k].label for k in needed if k not in layout.columns]
    if missing:
        raise LedgerError(_("台账缺少以下列：{names}。").format(names="、".join(missing)))
    result = LedgerImport(year=year)
    units = UnitResolver()
    by_name = {s.name: s for s in services.sectors()}
    existing = {p.code: p for p in Project.objects.filter(year=year)}
    stored = _stored_months(existing.values())
    seen: dict[str, int] = {}
    today = timezone.localdate()
    for r in range(layout.header_row + 1, len(sheet.rows)):
        if _is_blank(sheet, r):
            continue
        number = r + 1

        def cell(key: str, r: int = r) -> Any:
            c = layout.columns.get(key)
            return sheet.value(r, c) if c is not None else None

        def issue(key: str, message: str, number: int = number) -> None:
            c = layout.columns.get(key)
            label = BY_KEY[key].label if key in BY_KEY else key
            result.errors.append(
                RowIssue(number, label, message, column_letter(c) if c is not None else "")
            )

        name, code = _text(cell("name")), _text(cell("code"))
        if name in ("合计", "总计") or _text(cell("seq")) in ("合计", "总计"):
            continue
        before = len(result.errors)
        values: dict[str, Any] = {"year": year}
        if not name:
            issue("name", _("请填写项目名称。"))
        if not code:
            issue("code", _("请填写项目编号。"))
        elif code in seen:
            issue("code", _("与第{n}行的项目编号重复。").format(n=seen[code]))
        else:
            seen[code] = number
        values.update(name=name, code=code)
        sector_text = _text(cell("sector"))
        sector = by_name.get(sector_text)
        if sector is None:
            issue(
                "sector",
                _("没有“{v}”这个板块，可用：{names}（督查室可在台账页添加板块）。").format(
                    v=sector_text, names="、".join(by_name)
                )
                if sector_text
                else _("请填写板块。"),
            )
        values["sector"] = sector
        unit_text = _text(cell("lead_unit"))
        unit = units.resolve(unit_text) if unit_text else None
        if unit is None:
            issue(
                "lead_unit",
                _("找不到单位“{v}”，请使用单位全称或简称。").format(v=unit_text)
                if unit_text
                else _("请填写责任单位。"),
            )
        values["lead_unit"] = unit
        for key in ("responsible", "location", "image_progress"):
            values[key] = _text(cell(key))
        for key in ("total_investment", "annual_plan"):
            try:
                values[key] = services.amount(cell(key), BY_KEY[key].label)
            except services.ValidationError as exc:
                issue(key, str(exc))
        for key in ("planned_start", "planned_finish"):
            try:
                values[key] = _date(cell(key))
            except services.ValidationError as exc:
                issue(key, str(exc))
        if "status" in layout.columns:
            try:
                values["status"] = _status(cell("status"))
            except services.ValidationError as exc:
                issue("status", str(exc))
        months: dict[int, Decimal] = {}
        for month, c in sorted(layout.months.items()):
            raw = sheet.value(r, c)
            if _text(raw) == "":
                continue
            label = month_label(month)
            try:
                months[month] = services.amount(raw, label)
            except services.ValidationError as exc:
                result.errors.append(RowIssue(number, label, str(exc), column_letter(c)))
                continue
            if (year, month) > (today.year, today.month):
                result.errors.append(
                    RowIssue(number, label, _("该月还没有到，不能填报。"), column_letter(c))
                )
        cumulative = None
        if not layout.months and layout.cumulative is not None:
            month, c = layout.cumulative
            raw = sheet.value(r, c)
            if _text(raw) != "":
                label = cumulative_label(month)
                try:
                    cumulative = (month, services.amount(raw, label))
                except services.ValidationError as exc:
                    result.errors.append(RowIssue(number, label, str(exc), column_letter(c)))
                if cumulative is not None:
                    earlier = sum(
                        (v for m, v in stored.get(code, {}).items() if m < month), Decimal(0)
                    )
                    if cumulative[1] < earlier:
                        result.errors.append(
                            RowIssue(
                                number,
                                label,
                                _("小于已填报的 1-{m} 月合计 {v} 万元。").format(
                                    m=month - 1, v=earlier
                                ),
                                column_letter(c),
                            )
                        )
        project = existing.get(code)
        if len(result.errors) == before:
            if "status" not in values and project is not None:
                values["status"] = project.status
            try:
                services.check_values(values, instance=project)
            except services.ValidationError as exc:
                result.errors.append(RowIssue(number, "", str(exc)))
        result.rows.append(LedgerRow(number, values, months, cumulative, project))
    if not result.rows and not result.errors:
        raise LedgerError(_("台账中没有项目行。"))
    return result


def _stored_months(projects: Any) -> dict[str, dict[int, Decimal]]:
    ids = {p.pk: p.code for p in projects}
    out: dict[str, dict[int, Decimal]] = {}
    for pid, month, done in MonthlyProgress.objects.filter(project_id__in=ids).values_list(
        "project_id", "month", "completed"
    ):
        out.setdefault(ids[pid], {})[month] = done
    return out


@transaction.atomic
def commit_ledger(result: LedgerImport, *, actor: Any) -> LedgerImport:
    """Write a checked ledger in one transaction (office): every row or none.

    Projects are matched by year and 项目编号: a new code creates a project, a known one
    updates what changed. Months go through :func:`services.record_month`, so each change
    is audited like an entry on the page; a month left blank in the file is left as it is.
    """
    access.require_actor(actor, "import_projects")
    if result.errors:
        raise LedgerError(result.summary())
    for row in result.rows:
        values = dict(row.values)
        if row.project is None:
            project = services.create_project(actor=actor, **values)
            result.created += 1
        else:
            project = Project.objects.get(pk=row.project.pk)
            changed = {k: v for k, v in values.items() if getattr(project, k) != v}
            if changed:
                project = services.update_project(project, actor=actor, **changed)
                result.updated += 1
        stored = dict(project.months.values_list("month", "completed"))
        months = dict(row.months)
        if row.cumulative is not None:
            n, total = row.cumulative
            earlier = sum((v for m, v in stored.items() if m < n), Decimal(0))
            months[n] = total - earlier
        for month, value in sorted(months.items()):
            if stored.get(month) != value:
                services.record_month(project, actor=actor, month=month, completed=value)
                result.months += 1
    result.committed = True
    return result


# -- export ---------------------------------------------------------------------------------


def last_month(year: int, projects: list[Project]) -> int:
    """N of 「1-N月」: December for a past year, this month (or a later one entered) for
    the current year, the latest month entered otherwise."""
    today = timezone.localdate()
    if year < today.year:
        return 12
    entered = max((m.month for p in projects for m in p.months.all()), default=0)
    if year == today.year:
        return max(entered, today.month)
    return max(entered, 1)


def export_ledger(projects: list[Project], *, year: int) -> bytes:
    """The ledger as the customary workbook: title, frozen header, a 合计 row.

    ``projects`` come with ``sector``, ``lead_unit`` and ``months`` loaded (the page's
    queryset); amounts are numbers, dates are date cells, text never becomes a formula.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    n = last_month(year, projects)
    head = [c.label for c in COLUMNS if c.key != "image_progress"]
    head += [month_label(m) for m in range(1, n + 1)]
    head += [cumulative_label(n), RATE_LABEL, BY_KEY["image_progress"].label]
    book = Workbook()
    ws = book.active
    ws.title = SHEET
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(wrap_text=True, vertical="center", horizontal="center")
    wrap = Alignment(wrap_text=True, vertical="center")
    title = ws.cell(row=1, column=1, value=f"{year}年重点项目台账")
    title.font = Font(bold=True, size=16)
    title.alignment = center
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(head))
    for j, label in enumerate(head, start=1):
        cell = ws.cell(row=2, column=j, value=label)
        cell.font = Font(bold=True)
        cell.alignment = center
        cell.border = border
        known = next((c.width for c in COLUMNS if c.label == label), 12)
        ws.column_dimensions[column_letter(j - 1)].width = known
    totals = {"total_investment": Decimal(0), "annual_plan": Decimal(0), "done": Decimal(0)}
    month_totals = [Decimal(0)] * n
    r = 2
    for seq, p in enumerate(projects, start=1):
        r += 1
        months = {m.month: m.completed for m in p.months.all()}
        done = sum(months.values(), Decimal(0))
        values: list[Any] = [
            seq,
            p.name,
            p.code,
            p.sector.name,
            p.lead_unit.name,
            p.responsible,
            p.location,
            float(p.total_investment),
            float(p.annual_plan),
            p.planned_start,
            p.planned_finish,
            _zh_label(ProjectStatus(p.status)),
        ]
        values += [float(months[m]) if m in months else None for m in range(1, n + 1)]
        rate = services.rate(done, p.annual_plan)
        values += [float(done), f"{rate}%" if rate is not None else "", p.image_progress]
        for m in range(1, n + 1):
            month_totals[m - 1] += months.get(m, Decimal(0))
        totals["total_investment"] += p.total_investment
        totals["annual_plan"] += p.annual_plan
        totals["done"] += done
        for j, value in enumerate(values, start=1):
            if isinstance(value, str):
                value = _xlsx_text(value) or None
            cell = ws.cell(row=r, column=j, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # a name starting with = stays text
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            cell.border = border
            cell.alignment = wrap if isinstance(value, str) and len(value) > 8 else center
    r += 1
    rate = services.rate(totals["done"], totals["annual_plan"])
    width = len([c for c in COLUMNS if c.key != "image_progress"])
    row: list[Any] = ["合计"] + [None] * (width - 1)
    row[7], row[8] = float(totals["total_investment"]), float(totals["annual_plan"])
    row += [float(v) for v in month_totals]
    row += [float(totals["done"]), f"{rate}%" if rate is not None else "", None]
    for j, value in enumerate(row, start=1):
        cell = ws.cell(row=r, column=j, value=value)
        cell.font = Font(bold=True)
        cell.border = border
        cell.alignment = center
    ws.freeze_panes = "C3"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
