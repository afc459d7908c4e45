"""Step 3, the dry run: rows into headings and tasks, with every problem listed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duban.extract.structure import chinese_number, cn_number
from duban.org.models import Unit, User
from duban.plans.models import FrameworkNode, Plan
from duban.plans.taskbook.common import (
    COLUMN_BY_KEY,
    JSON_VERSION,
    ProgressCallback,
    RowIssue,
    TaskbookError,
    _norm_header,
    _text,
    column_letter,
)
from duban.plans.taskbook.mapping import (
    _LEAD_MARK,
    LeaderResolver,
    Mapping,
    UnitResolver,
    apply_overrides,
    propose_mapping,
    resolve_deadline,
    split_units,
)
from duban.plans.taskbook.reading import (
    Sheet,
    _load,
)

# -- the dry run ----------------------------------------------------------------------


@dataclass
class NodeDraft:
    """A framework heading that the import will create (or find, when it exists)."""

    code: str
    name: str
    parent_code: str | None
    level: int
    row: int | None
    existing_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "parent": self.parent_code,
            "row": self.row,
            "exists": self.existing_id is not None,
        }


@dataclass
class TaskDraft:
    """A task the import will create, with its assignment when it has a lead unit."""

    row: int | None
    code: str
    text: str
    node_code: str | None
    lead_unit: Unit | None = None
    co_units: list[Unit] = field(default_factory=list)
    leader: User | None = None
    leader_text: str = ""
    deadline_text: str = ""
    deadline: dt.date | None = None
    measures: str = ""
    stage_goals: str = ""
    # The commitment's clauses (sub-rows 「3.1」「3.2」 under task 3): kept with the task.
    items: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "code": self.code,
            "text": self.text,
            "framework": self.node_code,
            "lead_unit": self.lead_unit.name if self.lead_unit else None,
            "co_units": [u.name for u in self.co_units],
            "leader": str(self.leader) if self.leader else self.leader_text,
            "deadline_text": self.deadline_text,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "measures": self.measures,
            "stage_goals": self.stage_goals,
            "items": list(self.items),
        }


@dataclass
class ImportPreview:
    """Exactly what :func:`commit_import` will write, and why it may refuse."""

    source: str
    title: str
    year: int
    plan: Plan | None
    mapping: Mapping | None
    nodes: list[NodeDraft] = field(default_factory=list)
    tasks: list[TaskDraft] = field(default_factory=list)
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def new_nodes(self) -> list[NodeDraft]:
        return [n for n in self.nodes if n.existing_id is None]

    @property
    def assignments(self) -> list[TaskDraft]:
        """The tasks that will be assigned (交办): those with a lead unit."""
        return [t for t in self.tasks if t.lead_unit is not None]

    def summary(self) -> str:
        target = (
            f"导入到方案“{self.plan.title}”（#{self.plan.pk}）"
            if self.plan is not None
            else f"新建方案“{self.title}”（{self.year}年度）"
        )
        return f"{target}：框架节点 {len(self.new_nodes)} 个，任务 {len(self.tasks)} 项，交办 {len(self.assignments)} 项；错误 {len(self.errors)} 处，提示 {len(self.warnings)} 处。"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "year": self.year,
            "plan": self.plan.pk if self.plan is not None else None,
            "mapping": self.mapping.to_dict() if self.mapping else None,
            "nodes": [n.to_dict() for n in self.nodes],
            "tasks": [t.to_dict() for t in self.tasks],
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
        }


_CN_NUM = "一二三四五六七八九十百零〇两"
_HEADING = re.compile(
    rf"^\s*(?:第(?P<part>[{_CN_NUM}\d]+)(?:部分|篇|章|方面|板块)[、.．:：\s]*"
    rf"|(?P<cn>[{_CN_NUM}]+)\s*[、.．:：]\s*"
    rf"|[（(]\s*(?P<paren>[{_CN_NUM}]+)\s*[)）]\s*[、.．]?\s*"
    rf"|(?P<arabic>\d{{1,3}})\s*[、.．]\s*(?!\d))"
)
_NOTE = re.compile(r"^(?:注\s*[:：\d]|备注|说明[:：]|填表说明|填报说明|合计|小计)")
_CN_SEQ = re.compile(rf"^\s*(?:[（(]\s*[{_CN_NUM}]+\s*[)）]|[{_CN_NUM}]+[、.．]?)\s*$")


def _parse_heading(text: str) -> tuple[int | None, int | None, str]:
    """(level, number, name) of a heading: 「一、」 1, 「（一）」 2, 「1.」 3; unnumbered None."""
    m = _HEADING.match(text)
    if not m:
        return None, None, text.strip()
    name = text[m.end() :].strip()
    if m["part"] or m["cn"]:
        return 1, cn_number(m["part"] or m["cn"]), name
    if m["paren"]:
        return 2, cn_number(m["paren"]), name
    return 3, int(m["arabic"]), name


def _cn(n: int) -> str:
    return chinese_number(n) if 0 < n < 100 else str(n)


def heading_text(code: str, name: str, depth: int) -> str:
    """The customary heading: 「一、name」, 「（一）name」, 「1. name」 from the node code."""
    if _HEADING.match(name):
        return name
    last = code.rsplit(".", 1)[-1] if code else ""
    if not last.isdigit():
        return f"{code} {name}".strip()
    n = int(last)
    if depth == 0:
        return f"{_cn(n)}、{name}"
    if depth == 1:
        return f"（{_cn(n)}）{name}"
    return f"{n}. {name}"


@dataclass
class _Record:
    """One row of the book, in column terms: a heading or a task's raw values."""

    row: int
    values: dict[str, Any]
    letters: dict[str, str] = field(default_factory=dict)
    gaps: set[str] = field(default_factory=set)
    heading: tuple[int | None, int | None, str] | None = None
    continues: bool = False  # the task cell is merged down from the task above


def _sheet_records(sheet: Sheet, mapping: Mapping) -> Iterator[_Record]:
    cols = mapping.columns
    header_texts = {c: _norm_header(t) for c, t in mapping.headers.items()}
    task_col = cols["task"]
    seq_col = cols.get("seq")
    first_col = min(cols.values())
    for r in range(mapping.header_end + 1, len(sheet.rows)):
        raw = sheet.rows[r]
        values = {k: (raw[c] if c < len(raw) else None) for k, c in cols.items()}
        texts = {k: _text(v) for k, v in values.items()}
        nonempty = {k for k, t in texts.items() if t}
        gaps = {k for k, c in cols.items() if (r, c) in sheet.formula_gaps}
        if not nonempty and not gaps:
            continue
        repeats = sum(
            1 for k, c in cols.items() if texts[k] and _norm_header(texts[k]) == header_texts.get(c)
        )
        if repeats >= 2:
            continue  # the header repeated after a page break
        rec = _Record(r + 1, values, {k: column_letter(c) for k, c in cols.items()}, gaps)
        origins = {
            sheet.origin(r, c) for c in range(first_col, len(raw)) if _text(raw[c])
        }  # CSV rows may be shorter than the header
        if len(origins) == 1 and not gaps:
            orow, ocol = next(iter(origins))
            text = _text(sheet.value(orow, ocol))
            if _NOTE.match(text):
                continue  # 「注：……」 under the table
            box = sheet.merges.get((r, ocol))
            wide = box is not None and box[0] == box[2] == r and box[3] > box[1]
            level, number, name = _parse_heading(text)
            # A heading stands alone on its row: merged across (the customary layout), in
            # the 序号 column (our CSV, unmerged books), or numbered 一、/（一）. 「1. 加快……」
            # alone in the task column is a task whose units are missing, not a heading.
            if not re.fullmatch(r"[\d.]+", text) and (
                wide or level in (1, 2) or (ocol == seq_col and ocol != task_col)
            ):
                rec.heading = (level, number, name or text)
                yield rec
                continue
        # A merge spreads its value down a column (one lead unit for several tasks), but a
        # task text merged across into the unit columns means those cells are empty.
        for k, c in cols.items():
            box = sheet.merges.get((r, c))
            if box is not None and box[1] != c and values[k] is not None:
                values[k] = None
                texts[k] = ""
                nonempty.discard(k)
        # 「一」 in 序号 and the heading in 工作任务, nothing else: a heading too.
        if (
            seq_col is not None
            and _CN_SEQ.match(texts["seq"])
            and texts["task"]
            and not (nonempty - {"seq", "task"})
        ):
            seq = texts["seq"]
            lvl, num, _ = _parse_heading(seq if seq[-1] in "、.．）)" else seq + "、")
            rec.heading = (lvl or 1, num, texts["task"])
            yield rec
            continue
        box = sheet.merges.get((r, task_col))
        rec.continues = box is not None and box[0] < r
        yield rec


class _Builder:
    """Turns records into node and task drafts; every problem becomes a RowIssue."""

    def __init__(self, preview: ImportPreview, *, combined_units: bool) -> None:
        self.p = preview
        self.combined = combined_units
        self.units = UnitResolver()
        self.leaders = LeaderResolver()
        self.stack: list[NodeDraft] = []
        self.node_codes: set[str] = set()
        self.task_codes: dict[str, int | None] = {}
        self.per_node: dict[str | None, int] = {}
        self.existing_nodes: dict[str, FrameworkNode] = {}
        self.node_alias: dict[str, str] = {}
        plan = preview.plan
        if plan is not None:
            for n in plan.framework_nodes.all():
                self.existing_nodes.setdefault(n.name, n)
                self.node_codes.add(n.code)
            for code in plan.tasks.values_list("code", flat=True):
                self.task_codes[code] = None
        self._deadline_cache: dict[Any, tuple[str, dt.date | None, str | None]] = {}

    row_word = "行"

    def error(self, row: int | None, key: str, msg: str, letter: str = "") -> None:
        label = COLUMN_BY_KEY[key].label if key in COLUMN_BY_KEY else key
        self.p.errors.append(RowIssue(row, label, msg, letter, self.row_word))

    def warn(self, row: int | None, key: str, msg: str, letter: str = "") -> None:
        label = COLUMN_BY_KEY[key].label if key in COLUMN_BY_KEY else key
        self.p.warnings.append(RowIssue(row, label, msg, letter, self.row_word))

    # headings
    def heading(self, row: int, level: int | None, number: int | None, name: str) -> None:
        if level is None:
            level = self.stack[-1].level if self.stack else 1
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        existing = self.existing_nodes.get(name)
        if existing is not None:
            node = NodeDraft(
                existing.code, name, parent.code if parent else None, level, row, existing.pk
            )
        else:
            prefix = parent.code + "." if parent else ""
            n = number or 1
            if number is None or prefix + str(n) in self.node_codes:
                n = 1
                while prefix + str(n) in self.node_codes:
                    n += 1
                if number is not None:
                    self.warn(row, "框架", f"标题编号重复，改为 {prefix + str(n)}")
            node = NodeDraft(
                prefix + str(n), name[:200], parent.code if parent else None, level, row
            )
            self.node_codes.add(node.code)
        self.p.nodes.append(node)
        self.stack.append(node)

    def explicit_node(self, code: str, name: str, parent_code: str | None, row: int | None) -> None:
        existing = self.existing_nodes.get(name)
        level = code.count(".") + 1
        if parent_code is not None:
            parent_code = self.node_alias.get(parent_code, parent_code)
        if existing is not None:
            # The plan has this heading already, perhaps under another code: tasks that
            # name the file's code go to the existing node.
            self.node_alias[code] = existing.code
            self.p.nodes.append(
                NodeDraft(existing.code, name, parent_code, level, row, existing.pk)
            )
            return
        if code in self.node_codes:
            self.error(row, "框架", f"框架编号“{code}”重复（{name}）")
            return
        self.node_codes.add(code)
        self.p.nodes.append(NodeDraft(code, name[:200], parent_code, level, row))

    # tasks
    def _units(self, rec: _Record, key: str) -> list[tuple[Unit, bool]]:
        text = _text(rec.values.get(key))
        out: list[tuple[Unit, bool]] = []
        for name in split_units(text):
            lead_mark = bool(_LEAD_MARK.search(name))
            clean = _LEAD_MARK.sub("", name).strip()
            if not clean:
                continue
            unit = self.units.resolve(clean)
            if unit is None:
                self.error(rec.row, key, f"找不到单位“{clean}”", rec.letters.get(key, ""))
                continue
            if all(u.pk != unit.pk for u, _ in out):
                out.append((unit, lead_mark))
        return out

    def _deadline(self, value: Any) -> tuple[str, dt.date | None, str | None]:
        try:
            hash(value)
        except TypeError:
            return resolve_deadline(value, self.p.year)
        cached = self._deadline_cache.get(value)
        if cached is None:
            cached = self._deadline_cache[value] = resolve_deadline(value, self.p.year)
        return cached

    def _item_of_previous(self, rec: _Record, text: str) -> bool:
        """A row holding only 「<previous task's code>.k」 and a text is that task's clause.

        Our exports (and the engine's) write a commitment's clauses as sub-rows 3.1, 3.2
        under task 3, with nothing else filled in; reading them as tasks would double the
        plan on every round trip. A sub-row with its own unit or deadline stays a task.
        """
        if not self.p.tasks or not text:
            return False
        seq = _text(rec.values.get("seq"))
        prev = self.p.tasks[-1]
        if not re.fullmatch(re.escape(prev.code) + r"\.\d{1,3}", seq):
            return False
        others = ("lead", "co", "leader", "deadline", "measures", "milestones")
        if any(_text(rec.values.get(k)) for k in others) or rec.gaps:
            return False
        prev.items.append(text)
        return True

    def task(
        self,
        rec: _Record,
        *,
        node_code: str | None = None,
        code: str | None = None,
        deadline: dt.date | None = None,
    ) -> None:
        row = rec.row
        for key in sorted(rec.gaps):
            self.error(
                row,
                key,
                "单元格是公式，但文件中没有计算结果；请在 Excel 中打开并保存后再导入，或改为文字",
                rec.letters.get(key, ""),
            )
        if rec.continues and self.p.tasks:
            # The task cell is merged over several rows: each row adds measures/goals.
            prev = self.p.tasks[-1]
            for key, attr in (("measures", "measures"), ("milestones", "stage_goals")):
                t = _text(rec.values.get(key))
                if t and t not in getattr(prev, attr).split("\n"):
                    setattr(prev, attr, (getattr(prev, attr) + "\n" + t).strip())
            return
        text = _text(rec.values.get("task"))
        if not text and "task" not in rec.gaps:
            self.error(row, "task", "未填写工作任务", rec.letters.get("task", ""))
            return
        if self._item_of_previous(rec, text):
            return
        if node_code is None and self.stack:
            node_code = self.stack[-1].code
        # 编号: 「1.2」 as written; a plain 「3」 under heading 2 becomes 「2.3」.
        seq = _text(rec.values.get("seq"))
        if code is None:
            count = self.per_node.get(node_code, 0) + 1
            if re.fullmatch(r"\d+(?:\.\d+)+", seq):
                code = seq
            elif re.fullmatch(r"\d+", seq) or not seq:
                n = seq or str(count)
                code = f"{node_code}.{n}" if node_code else n
            else:
                code = seq[:30]
        self.per_node[node_code] = self.per_node.get(node_code, 0) + 1
        if code in self.task_codes:
            first = self.task_codes[code]
            self.error(
                row,
                "seq",
                "编号“{c}”与{where}重复".format(
                    c=code, where=f"第{first}{self.row_word}" if first else "方案中已有任务"
                ),
                rec.letters.get("seq", ""),
            )
        else:
            self.task_codes[code] = row
        draft = TaskDraft(row, code, text, node_code)
        # Units: lead first; extra units in the lead cell co-operate.
        lead = self._units(rec, "lead")
        co = self._units(rec, "co")
        if self.combined:
            marked = [u for u, mark in co if mark]
            ordered = [u for u, _ in co]
            if marked:
                draft.lead_unit = marked[0]
            elif ordered:
                draft.lead_unit = ordered[0]
            lead_pk = draft.lead_unit.pk if draft.lead_unit else None
            draft.co_units = [u for u in ordered if u.pk != lead_pk]
        else:
            if lead:
                draft.lead_unit = lead[0][0]
            draft.co_units = [u for u, _ in lead[1:]] + [
                u for u, _ in co if all(u.pk != x.pk for x, _ in lead)
            ]
        lead_raw = _text(rec.values.get("lead"))
        co_raw = _text(rec.values.get("co"))
        if draft.lead_unit is None and not lead_raw and not co_raw:
            self.warn(row, "lead", "未填写牵头单位，导入后需另行交办", rec.letters.get("lead", ""))
        elif draft.lead_unit is None and not lead_raw and co_raw and not self.combined:
            self.error(row, "lead", "填写了责任单位但未填写牵头单位", rec.letters.get("lead", ""))
        # Leader in charge: a user when the name is known; the text is kept either way.
        leader_raw = _text(rec.values.get("leader"))
        if leader_raw:
            names = split_units(leader_raw)
            users = [u for u in (self.leaders.resolve(n) for n in names) if u is not None]
            draft.leader = users[0] if users else None
            if len(names) != 1 or not users:
                draft.leader_text = leader_raw[:200]
            if not users:
                self.warn(
                    row,
                    "leader",
                    f"“{leader_raw}”不是系统用户，按文字保存",
                    rec.letters.get("leader", ""),
                )
        # Deadline.
        if "deadline" not in rec.gaps:
            dtext, ddate, problem = self._deadline(rec.values.get("deadline"))
            if problem and ddate is None and not dtext:
                self.error(row, "deadline", problem, rec.letters.get("deadline", ""))
            elif problem:
                self.warn(row, "deadline", problem, rec.letters.get("deadline", ""))
            draft.deadline_text = dtext
            draft.deadline = deadline or ddate
        draft.measures = _text(rec.values.get("measures"))
        draft.stage_goals = _text(rec.values.get("milestones"))
        self.p.tasks.append(draft)


def _title_above(sheet: Sheet, mapping: Mapping) -> str:
    for r in range(mapping.header_start):
        for v in sheet.rows[r]:
            t = _text(v)
            if t:
                return t.replace("\n", "")[:200]
    return ""


def _choose_sheet(sheets: list[Sheet]) -> tuple[Sheet, Mapping]:
    first_error: TaskbookError | None = None
    for sheet in sheets:
        try:
            return sheet, propose_mapping(sheet)
        except TaskbookError as exc:
            first_error = first_error or exc
    if not sheets:
        raise TaskbookError("工作簿中没有工作表。")
    assert first_error is not None
    raise first_error


def plan_import(
    file: Any,
    *,
    plan: Plan | None = None,
    year: int | None = None,
    mapping: Mapping | dict[str, str] | None = None,
    filename: str | None = None,
    title: str = "",
    on_progress: ProgressCallback | None = None,
) -> ImportPreview:
    """Dry run: read ``file`` and return exactly what would be created. Writes nothing.

    ``file`` is a path, bytes or a binary file object (an upload; pass ``filename`` for its
    type). ``year`` resolves 「6月底前」; it defaults to the plan's year, then to a year in
    the book's title. ``mapping`` is a :class:`Mapping` or overrides such as
    ``{"工作任务": "C"}``. File-level problems raise :class:`TaskbookError`; row problems
    are listed in ``preview.errors``.
    """
    book, source = _load(file, filename)
    if isinstance(book, dict):
        return _plan_json(
            book, plan=plan, year=year, source=source, title=title, on_progress=on_progress
        )
    if isinstance(mapping, Mapping):
        sheet = next((s for s in book if s.name == mapping.sheet), book[0])
        chosen = mapping
    elif mapping:
        sheet = book[0]
        chosen = apply_overrides(sheet, mapping)
    else:
        sheet, chosen = _choose_sheet(book)
    book_title = _title_above(sheet, chosen)
    if year is None:
        year = plan.year if plan is not None and plan.year else None
    if year is None:
        m = re.search(r"(20\d{2})\s*年", book_title)
        year = int(m[1]) if m else dt.date.today().year
    preview = ImportPreview(
        source=source,
        title=title or (plan.title if plan is not None else "") or book_title or Path(source).stem,
        year=year,
        plan=plan,
        mapping=chosen,
    )
    builder = _Builder(preview, combined_units=chosen.combined_units)
    for c in range(sheet.width):
        # Columns we do not know (备注, 联系人 …) are left out; say so once, not per row.
        header = " ".join(
            dict.fromkeys(
                _text(sheet.value(r, c)) for r in range(chosen.header_start, chosen.header_end + 1)
            )
        ).strip()
        if header and c not in chosen.columns.values():
            preview.warnings.append(
                RowIssue(
                    chosen.header_end + 1,
                    header,
                    f"{column_letter(c)}列不是任务分解表的标准列，导入时忽略",
                    column_letter(c),
                )
            )
    total = max(0, len(sheet.rows) - chosen.header_end - 1)
    step = max(1, total // 100)
    for rec in _sheet_records(sheet, chosen):
        if rec.heading is not None:
            builder.heading(rec.row, *rec.heading)
        else:
            builder.task(rec)
        if on_progress is not None and rec.row % step == 0:
            on_progress(rec.row - chosen.header_end - 1, total)
    if on_progress is not None:
        on_progress(total, total)
    if not preview.tasks and not preview.errors:
        raise TaskbookError(f"表头（第{chosen.header_end + 1}行）下面没有任务行。")
    return preview


def _plan_json(
    data: dict[str, Any],
    *,
    plan: Plan | None,
    year: int | None,
    source: str,
    title: str,
    on_progress: ProgressCallback | None,
) -> ImportPreview:
    """Our own JSON export: explicit codes, the same unit/leader/deadline rules."""
    if data.get("version") != JSON_VERSION:
        raise TaskbookError("JSON 文件版本 {v} 不受支持。".format(v=data.get("version")))
    if year is None:
        year = (plan.year if plan is not None else None) or data.get("year") or dt.date.today().year
    preview = ImportPreview(
        source=source,
        title=title or (plan.title if plan is not None else "") or str(data.get("title") or ""),
        year=int(year),
        plan=plan,
        mapping=None,
    )
    builder = _Builder(preview, combined_units=False)
    builder.row_word = "项"
    nodes = data.get("framework") or []
    tasks = data.get("tasks") or []
    if not isinstance(nodes, list) or not isinstance(tasks, list):
        raise TaskbookError("JSON 文件格式错误：framework 和 tasks 应为列表。")
    for i, n in enumerate(nodes, start=1):
        if not isinstance(n, dict) or not str(n.get("name") or "").strip():
            builder.error(None, "框架", f"第{i}个框架节点缺少名称")
            continue
        builder.explicit_node(
            str(n.get("code") or i), str(n["name"]).strip(), n.get("parent"), None
        )
    for i, t in enumerate(tasks, start=1):
        if not isinstance(t, dict):
            builder.error(i, "task", "格式错误")
            continue
        values = {
            "seq": t.get("code"),
            "task": t.get("text"),
            "lead": t.get("lead_unit"),
            "co": "、".join(t.get("co_units") or []),
            "leader": t.get("leader"),
            "deadline": t.get("deadline_text") or t.get("deadline"),
            "measures": t.get("measures"),
            "milestones": t.get("stage_goals"),
        }
        explicit = None
        if t.get("deadline"):
            try:
                explicit = dt.date.fromisoformat(str(t["deadline"]))
            except ValueError:
                builder.error(i, "deadline", f"日期“{t['deadline']}”格式错误")
        node_code = t.get("framework") or None
        if node_code is not None:
            node_code = builder.node_alias.get(str(node_code), str(node_code))
            if node_code not in builder.node_codes:
                builder.error(i, "框架", f"所属框架“{node_code}”不存在")
        builder.task(
            _Record(i, values),
            node_code=node_code,
            code=str(t.get("code") or "") or None,
            deadline=explicit,
        )
        items = t.get("items") or []
        if not isinstance(items, list):
            builder.error(i, "task", "items 应为列表")
        elif builder.p.tasks and builder.p.tasks[-1].row == i:
            builder.p.tasks[-1].items = [str(x).strip() for x in items if str(x).strip()]
        if on_progress is not None:
            on_progress(i, len(tasks))
    if not preview.tasks and not preview.errors:
        raise TaskbookError("JSON 文件中没有任务。")
    return preview
