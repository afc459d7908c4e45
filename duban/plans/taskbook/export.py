"""Export: xlsx, csv and json, with the same column definitions as the import."""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass, field
from typing import IO, Any

from duban.plans.models import FrameworkNode, Plan, Task
from duban.plans.taskbook.common import (
    COLUMNS,
    JSON_FORMAT,
    JSON_VERSION,
    Column,
    _text,
    column_letter,
)
from duban.plans.taskbook.dryrun import (
    heading_text,
)

# -- export ---------------------------------------------------------------------------


@dataclass
class _ExportRow:
    heading: str = ""
    depth: int = 0
    values: dict[str, Any] = field(default_factory=dict)


def _export_columns(plan_rows: list[_ExportRow]) -> list[Column]:
    used = {k for r in plan_rows for k, v in r.values.items() if v not in (None, "")}
    return [c for c in COLUMNS if not c.optional or c.key in used]


def task_items(task: Task) -> list[str]:
    """The texts of a task's clauses (from the engine or an imported book), in order."""
    items = (task.extracted or {}).get("items") or []
    return [str(i.get("text") or "").strip() for i in items if str(i.get("text") or "").strip()]


def _plan_rows(plan: Plan) -> list[_ExportRow]:
    """The plan in book order: each heading, then its tasks, depth first."""
    nodes = list(plan.framework_nodes.all().order_by("sort_order", "id"))
    tasks = list(
        plan.tasks.all()
        .order_by("sort_order", "id")
        .select_related("assignment__lead_unit", "assignment__leader_in_charge")
        .prefetch_related("assignment__co_units")
    )
    children: dict[int | None, list[FrameworkNode]] = {}
    for n in nodes:
        children.setdefault(n.parent_id, []).append(n)
    by_node: dict[int | None, list[Task]] = {}
    for t in tasks:
        by_node.setdefault(t.framework_node_id, []).append(t)
    rows: list[_ExportRow] = []

    def task_row(t: Task) -> _ExportRow:
        a = getattr(t, "assignment", None)
        book = (t.extracted or {}).get("taskbook") or {}
        co = sorted(a.co_units.all(), key=lambda u: (u.sort_order, u.pk)) if a else []
        leader = book.get("leader_text") or (
            str(a.leader_in_charge) if a and a.leader_in_charge else ""
        )
        return _ExportRow(
            values={
                "seq": t.code,
                "task": t.text,
                "lead": str(a.lead_unit) if a else "",
                "co": "、".join(str(u) for u in co),
                "leader": leader,
                "deadline": t.deadline_text or t.deadline,
                "measures": t.measures,
                "milestones": book.get("stage_goals", ""),
            }
        )

    def add(t: Task) -> None:
        rows.append(task_row(t))
        # The commitment's clauses as sub-rows 3.1, 3.2: only the number and the wording.
        for k, item in enumerate(task_items(t), start=1):
            rows.append(_ExportRow(values={"seq": f"{t.code}.{k}", "task": item}))

    for t in by_node.get(None, []):
        add(t)

    def walk(parent_id: int | None, depth: int) -> None:
        for n in children.get(parent_id, []):
            rows.append(_ExportRow(heading=heading_text(n.code, n.name, depth), depth=depth))
            for t in by_node.get(n.pk, []):
                add(t)
            walk(n.pk, depth + 1)

    walk(None, 0)
    return rows


def _csv_safe(value: str) -> str:
    # A leading = + - @ would run as a formula when Excel opens the CSV.
    # A leading quote is doubled so that the importer, removing one, gives the text back.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "'") else value


def _xlsx_text(value: str) -> str:
    # Control characters pasted from Word (\x0b, \x07) are not allowed in the file format;
    # openpyxl refuses the whole workbook, so they are dropped here.
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


def export_xlsx(plan: Plan, path: str | os.PathLike[str] | IO[bytes]) -> None:
    """The plan as the customary Excel task book (title, frozen header, A4 landscape)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.worksheet.properties import PageSetupProperties

    rows = _plan_rows(plan)
    columns = _export_columns(rows)
    ncol = len(columns)
    wb = Workbook()
    ws = wb.active
    ws.title = "任务分解表"
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    center = Alignment(wrap_text=True, vertical="center", horizontal="center")

    ws.cell(row=1, column=1, value=_xlsx_text(plan.title)).font = Font(bold=True, size=16)
    ws.cell(row=1, column=1).alignment = center
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.row_dimensions[1].height = 36
    for j, col in enumerate(columns, start=1):
        cell = ws.cell(row=2, column=j, value=col.label)
        cell.font = Font(bold=True)
        cell.alignment = center
        cell.border = border
        ws.column_dimensions[column_letter(j - 1)].width = col.width
    r = 2
    for row in rows:
        r += 1
        if row.heading:
            cell = ws.cell(row=r, column=1, value=_xlsx_text(row.heading))
            cell.data_type = "s"
            cell.font = Font(bold=True)
            cell.alignment = Alignment(vertical="center")
            for j in range(1, ncol + 1):
                ws.cell(row=r, column=j).border = border
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncol)
            continue
        for j, col in enumerate(columns, start=1):
            value = row.values.get(col.key)
            if isinstance(value, str):
                value = _xlsx_text(value)
            cell = ws.cell(row=r, column=j, value=value if value != "" else None)
            if isinstance(value, str) and value:
                cell.data_type = "s"  # never let a text starting with = become a formula
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            cell.border = border
            cell.alignment = center if col.key in ("seq", "deadline", "leader") else wrap
    ws.freeze_panes = "A3"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    wb.save(path)


def export_csv(plan: Plan, stream: IO[str]) -> None:
    """The plan as CSV (write with ``encoding="utf-8-sig"`` so Excel reads Chinese)."""
    rows = _plan_rows(plan)
    columns = _export_columns(rows)
    w = csv.writer(stream)
    w.writerow([plan.title] + [""] * (len(columns) - 1))
    w.writerow([c.label for c in columns])
    for row in rows:
        if row.heading:
            w.writerow([_csv_safe(row.heading)] + [""] * (len(columns) - 1))
            continue
        w.writerow([_csv_safe(_text(row.values.get(c.key))) for c in columns])


def export_json(plan: Plan) -> dict[str, Any]:
    """The plan as our JSON format; :func:`plan_import` reads it back exactly."""
    nodes = list(plan.framework_nodes.all().order_by("sort_order", "id"))
    code_of = {n.pk: n.code for n in nodes}
    tasks = (
        plan.tasks.all()
        .order_by("sort_order", "id")
        .select_related("assignment__lead_unit", "assignment__leader_in_charge")
        .prefetch_related("assignment__co_units")
    )
    out_tasks = []
    for t in tasks:
        a = getattr(t, "assignment", None)
        book = (t.extracted or {}).get("taskbook") or {}
        out_tasks.append(
            {
                "code": t.code,
                "text": t.text,
                "framework": code_of.get(t.framework_node_id),
                "lead_unit": a.lead_unit.name if a else None,
                "co_units": [
                    u.name for u in sorted(a.co_units.all(), key=lambda u: (u.sort_order, u.pk))
                ]
                if a
                else [],
                "leader": book.get("leader_text")
                or (str(a.leader_in_charge) if a and a.leader_in_charge else ""),
                "deadline_text": t.deadline_text,
                "deadline": t.deadline.isoformat() if t.deadline else None,
                "measures": t.measures,
                "stage_goals": book.get("stage_goals", ""),
                "items": task_items(t),
            }
        )
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "title": plan.title,
        "year": plan.year,
        "columns": [{"key": c.key, "label": c.label} for c in COLUMNS],
        "framework": [
            {"code": n.code, "name": n.name, "parent": code_of.get(n.parent_id)} for n in nodes
        ],
        "tasks": out_tasks,
    }
