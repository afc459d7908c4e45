"""Write a :class:`ParsedDocument` out as JSON, Markdown or an Excel task book.

The task book (任务分解表) uses the columns every supervision office already uses:
序号, 工作任务, 牵头单位, 责任单位, 完成时限, 来源. The columns are defined once in
:data:`COLUMNS` so that the Markdown table and the spreadsheet cannot drift apart, and a
later import can map the same headers back.

Tasks are grouped under their headings: a bold, merged row for each top-level part
(「三、2021年政府工作任务」) and each area (「（一）……」) a task sits in, in document order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from duban.extract.model import ParsedDocument, Section, Task


@dataclass(frozen=True)
class Column:
    header: str
    width: float  # Excel character units
    value: Callable[[ParsedDocument, Task, int], str | int]


def _lead(doc: ParsedDocument, task: Task, n: int) -> str:
    return task.lead_suggestions[0].unit if task.lead_suggestions else ""


def _co(doc: ParsedDocument, task: Task, n: int) -> str:
    # 责任单位: the co-units the catalog suggests (units whose functions the sentence also
    # touches), else the units the sentence itself names (「各地区各部门」), which is what
    # a clerk would copy.
    units = [s.unit for s in task.co_units]
    if not units:
        units = [a for a in task.actors if a not in {_lead(doc, task, n)}]
    return "、".join(units)


def _leader(doc: ParsedDocument, task: Task, n: int) -> str:
    return task.leader["name"] if task.leader else ""


def _deadline(doc: ParsedDocument, task: Task, n: int) -> str:
    return task.deadline.text if task.deadline else ""


def _source(doc: ParsedDocument, task: Task, n: int) -> str:
    title = ""
    if 0 <= task.article < len(doc.articles):
        title = doc.articles[task.article].title
    span = f"字符 {task.start}–{task.end}"
    return f"{title}（{span}）" if title else span


COLUMNS: tuple[Column, ...] = (
    Column("序号", 6, lambda doc, task, n: n),  # a number, so Excel sorts and sums it
    Column("工作任务", 64, lambda doc, task, n: task.text),
    Column("牵头单位", 18, _lead),
    Column("责任单位", 26, _co),
    Column("责任领导", 16, _leader),
    Column("完成时限", 14, _deadline),
    Column("来源", 30, _source),
)


# --------------------------------------------------------------------------- grouping


def _heading(s: Section) -> str:
    return f"{s.number}{s.title}" if s.number else s.title


def _scopes(article_sections: list[Section], article_end: int) -> list[tuple[Section, int, int]]:
    """Each heading with the stretch of text it governs.

    A heading's span may be just the heading line; what it governs runs until the next
    heading of the same or a higher level (「三、」 ends at 「四、」, 「（一）」 at 「（二）」 or
    「四、」), or the end of the article.
    """
    ordered = sorted(article_sections, key=lambda s: (s.start, s.level))
    scopes = []
    for i, s in enumerate(ordered):
        end = next((o.start for o in ordered[i + 1 :] if o.level <= s.level), article_end)
        scopes.append((s, s.start, max(end, s.end)))
    return scopes


def _group_path(doc: ParsedDocument, task: Task) -> tuple[str, ...]:
    """The headings a task sits under, outermost first, as printed (number + title)."""
    path: list[str] = []
    article = doc.articles[task.article] if 0 <= task.article < len(doc.articles) else None
    if len(doc.articles) > 1 and article is not None:
        path.append(article.title or f"第{task.article + 1}篇")
    scopes = _scopes(article.sections, article.end) if article is not None else []
    enclosing = {
        s.level: s for s, start, end in scopes if start <= task.start < end and s.level <= 2
    }
    if 1 in enclosing:
        path.append(_heading(enclosing[1]))
    if task.section:
        # the pipeline's own filing wins; find its printed number when the heading is known
        area = next(
            (s for s, _, _ in scopes if s.level >= 2 and s.title.rstrip("。") == task.section),
            None,
        )
        path.append(_heading(area) if area else task.section)
    elif 2 in enclosing:
        path.append(_heading(enclosing[2]))
    if not path and task.framework and task.pillar:
        path.append(f"{task.framework}：{task.pillar}")
    return tuple(path)


def task_rows(doc: ParsedDocument) -> list[tuple[int, str | list[str | int]]]:
    """The task book as rows: ``(level, heading)`` for group rows, ``(0, cells)`` for tasks.

    Group levels start at 1 (outermost). A heading row is emitted whenever a task's group
    path differs from the previous task's at that level.
    """
    rows: list[tuple[int, str | list[str | int]]] = []
    previous: tuple[str, ...] = ()
    for n, task in enumerate(sorted(doc.tasks, key=lambda t: (t.article, t.start)), start=1):
        path = _group_path(doc, task)
        common = 0
        while common < min(len(path), len(previous)) and path[common] == previous[common]:
            common += 1
        for level in range(common, len(path)):
            rows.append((level + 1, path[level]))
        previous = path
        rows.append((0, [col.value(doc, task, n) for col in COLUMNS]))
        # The commitment's clauses as sub-rows 1.1, 1.2 …: what the lead unit breaks the
        # task into. Only the number and the wording; the task row holds the rest.
        for k, item in enumerate(task.items, start=1):
            rows.append((0, [f"{n}.{k}", item.text, *([""] * (len(COLUMNS) - 2))]))
    return rows


def book_title(doc: ParsedDocument) -> str:
    title = doc.articles[0].title if doc.articles and doc.articles[0].title else ""
    if not title and doc.path:
        title = Path(doc.path).stem
    return f"{title}任务分解表" if title else "任务分解表"


# --------------------------------------------------------------------------- JSON


def to_json(doc: ParsedDocument, *, indent: int | None = 2) -> str:
    """The documented JSON shape (``ParsedDocument.to_dict()``), Chinese left readable."""
    return json.dumps(doc.to_dict(), ensure_ascii=False, indent=indent)


# --------------------------------------------------------------------------- Markdown


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def to_markdown(doc: ParsedDocument) -> str:
    """A readable task book: headings as Markdown headings, tasks as one table per group."""
    out: list[str] = [f"# {book_title(doc)}", ""]
    meta = []
    if doc.path:
        meta.append(f"来源文件：{doc.path}")
    if doc.date:
        meta.append(f"基准日期：{doc.date.isoformat()}")
    meta.append(f"任务数：{len(doc.tasks)}")
    out += ["；".join(meta), ""]

    if doc.frameworks:
        out += ["## 提法", ""]
        for f in doc.frameworks:
            count = f"（{f.count}）" if f.count is not None else ""
            items = "、".join(f.items)
            out.append(f"- {_md_cell(f.name)}{count}" + (f"：{_md_cell(items)}" if items else ""))
        out.append("")

    header = "| " + " | ".join(c.header for c in COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    in_table = False
    for level, content in task_rows(doc):
        if level:
            if in_table:
                out.append("")
            out += [f"{'#' * min(6, level + 1)} {_md_cell(str(content))}", ""]
            in_table = False
            continue
        if not in_table:
            out += [header, rule]
            in_table = True
        out.append("| " + " | ".join(_md_cell(str(c)) for c in content) + " |")
    if in_table:
        out.append("")
    if not doc.tasks:
        out += ["（未找到任务）", ""]
    if doc.warnings:
        out += ["## 提示", ""] + [f"- {_md_cell(w)}" for w in doc.warnings] + [""]
    return "\n".join(out)


# --------------------------------------------------------------------------- Excel


def write_xlsx(doc: ParsedDocument, path: str | Path) -> None:
    """Write the task book as an .xlsx: title, frozen header, grouped rows, A4 landscape."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "任务分解表"
    ncol = len(COLUMNS)
    last = get_column_letter(ncol)
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)

    ws.append([book_title(doc)])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(name="宋体", size=16, bold=True)
    ws["A1"].alignment = centre
    ws.row_dimensions[1].height = 30

    ws.append([c.header for c in COLUMNS])
    for i in range(1, ncol + 1):
        cell = ws.cell(row=2, column=i)
        cell.font = Font(name="黑体", bold=True)
        cell.alignment = centre
        cell.border = border
        cell.fill = PatternFill("solid", fgColor="D9D9D9")

    group_fill = PatternFill("solid", fgColor="F2F2F2")
    for level, content in task_rows(doc):
        if level:
            ws.append([str(content)])
            r = ws.max_row
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncol)
            cell = ws.cell(row=r, column=1)
            cell.font = Font(bold=True, size=12 if level == 1 else 11)
            cell.alignment = Alignment(vertical="center", wrap_text=True, indent=level - 1)
            cell.fill = group_fill
            for i in range(1, ncol + 1):
                ws.cell(row=r, column=i).border = border
            continue
        ws.append(list(content))
        r = ws.max_row
        sub_row = isinstance(content[0], str)  # 「1.2」: a clause under its task
        for i in range(1, ncol + 1):
            cell = ws.cell(row=r, column=i)
            cell.border = border
            cell.alignment = centre if COLUMNS[i - 1].header in ("序号", "完成时限") else wrap
            if sub_row and i == 2:
                cell.alignment = Alignment(wrap_text=True, vertical="center", indent=2)

    for i, col in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "A3"  # title and header stay visible while scrolling
    ws.print_title_rows = "1:2"  # and are repeated on every printed page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5

    if doc.frameworks:
        fw = wb.create_sheet("提法")
        fw.append(["提法", "数量", "条目", "来源"])
        for cell in fw[1]:
            cell.font = Font(bold=True)
        for f in doc.frameworks:
            fw.append(
                [f.name, f.count, "、".join(f.items), f"字符 {f.start}–{f.end}（{f.items_from}）"]
            )
        for letter, width in zip("ABCD", (16, 8, 60, 24), strict=True):
            fw.column_dimensions[letter].width = width
        fw.freeze_panes = "A2"

    info = wb.create_sheet("说明")
    info.append(["项目", "内容"])
    info.append(["来源文件", doc.path])
    info.append(["编码", doc.encoding])
    info.append(["基准日期", doc.date.isoformat() if doc.date else ""])
    info.append(["日期来源", doc.date_source])
    info.append(["任务数", len(doc.tasks)])
    for w in doc.warnings:
        info.append(["提示", w])
    info.column_dimensions["A"].width = 12
    info.column_dimensions["B"].width = 80

    wb.save(str(path))


# --------------------------------------------------------------------------- schema

SCHEMA_PATH = Path(__file__).with_name("schema.json")


def load_schema() -> dict:
    """The JSON Schema (draft 2020-12) that every :func:`to_json` output satisfies."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
