"""Step 2, map the columns; and the rules for units, leaders and deadlines."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any

from duban.extract import times
from duban.org.models import Unit, User
from duban.org.unitnames import LOOSE, UnitNames
from duban.plans.taskbook.common import (
    COLUMN_BY_KEY,
    COLUMNS,
    HEADER_SCAN_ROWS,
    TaskbookError,
    _column_index,
    _norm_header,
    _text,
    column_letter,
    match_header,
)
from duban.plans.taskbook.reading import (
    Sheet,
)

# -- mapping --------------------------------------------------------------------------


@dataclass
class Mapping:
    """Where the header is and which column holds what; ``columns`` are 0-based indexes.

    ``combined_units`` means there is one unit column (责任单位) and no 牵头单位 column:
    the first unit named, or the one marked （牵头）, leads and the others co-operate.
    """

    sheet: str
    header_start: int
    header_end: int
    columns: dict[str, int]
    confidence: dict[str, float]
    headers: dict[int, str] = field(default_factory=dict)
    combined_units: bool = False

    @property
    def overall_confidence(self) -> float:
        if not self.confidence:
            return 0.0
        return round(sum(self.confidence.values()) / len(self.confidence), 2)

    def letter(self, key: str) -> str:
        i = self.columns.get(key)
        return column_letter(i) if i is not None else ""

    def describe(self) -> list[str]:
        """One line per mapped column: 「工作任务 ← B列“主要任务”（把握 1.0）」."""
        out = []
        for col in COLUMNS:
            i = self.columns.get(col.key)
            if i is None:
                continue
            label = col.label
            if col.key == "co" and self.combined_units:
                label = "牵头单位+责任单位"
            out.append(
                "{label} ← {letter}列“{header}”（把握 {conf:.1f}）".format(
                    label=label,
                    letter=column_letter(i),
                    header=self.headers.get(i, ""),
                    conf=self.confidence.get(col.key, 1.0),
                )
            )
        return out

    def as_overrides(self) -> dict[str, str]:
        """This mapping in the form ``plan_import(mapping=…)`` and ``--map`` accept.

        It is plain JSON, so a web page or a background job can keep the mapping the clerk
        confirmed and apply it again when the import is committed.
        """
        out = {"表头行": str(self.header_start + 1)}
        for key, i in self.columns.items():
            out[COLUMN_BY_KEY[key].label] = column_letter(i)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "header_rows": [self.header_start + 1, self.header_end + 1],
            "columns": {k: column_letter(i) for k, i in self.columns.items()},
            "confidence": dict(self.confidence),
            "combined_units": self.combined_units,
        }


def _row_header_matches(sheet: Sheet, r: int) -> dict[int, tuple[str, float]]:
    out: dict[int, tuple[str, float]] = {}
    seen_origins: set[tuple[int, int]] = set()
    for c in range(sheet.width):
        origin = sheet.origin(r, c)
        if origin in seen_origins:
            continue  # a merged title counts once, not once per column it covers
        seen_origins.add(origin)
        m = match_header(sheet.value(r, c))
        if m:
            out[c] = m
    return out


def _assign_keys(
    candidates: list[tuple[int, str, float]],
) -> tuple[dict[str, int], dict[str, float]]:
    columns: dict[str, int] = {}
    conf: dict[str, float] = {}
    used: set[int] = set()
    for c, key, score in sorted(candidates, key=lambda t: (-t[2], t[0])):
        if key in columns or c in used:
            continue
        columns[key] = c
        conf[key] = score
        used.add(c)
    return columns, conf


def _sub_header(sheet: Sheet, r_top: int, r2: int) -> dict[int, tuple[str, float]] | None:
    """Row ``r2``'s column names when it is a second header row under ``r_top``, else None.

    It is one when every cell holds a column name or is merged down from ``r_top``
    (序号 spanning both rows), and at least one names a column.
    """
    if r2 >= len(sheet.rows):
        return None
    sub: dict[int, tuple[str, float]] = {}
    for c in range(sheet.width):
        v = _text(sheet.value(r2, c))
        if not v or sheet.origin(r2, c)[0] <= r_top:
            continue
        m = match_header(v)
        if m is None:
            return None
        sub[c] = m
    return sub or None


def propose_mapping(sheet: Sheet, *, header_row: int | None = None) -> Mapping:
    """Detect the header row(s) and the meaning of each column.

    The header is the row, among the first 30, that names the most known columns and
    names 工作任务. A second header row directly below counts when it holds only column
    names or repeats the cells merged down from the first (「责任单位」 over 「牵头单位 |
    配合单位」). ``header_row`` (1-based) forces the row. Raises :class:`TaskbookError` when
    the sheet is empty or no header is found.
    """
    if not any(_text(v) for row in sheet.rows for v in row):
        raise TaskbookError(f"工作表“{sheet.name}”是空的，没有可导入的内容。")
    if header_row is not None:
        r_best = header_row - 1
        if not 0 <= r_best < len(sheet.rows):
            raise TaskbookError(f"指定的表头行 {header_row} 超出了表格范围。")
    else:
        r_best, best_score = -1, 0.0
        for r in range(min(HEADER_SCAN_ROWS, len(sheet.rows))):
            matches = _row_header_matches(sheet, r)
            keys = {k for k, _ in matches.values()}
            score = sum(s for _, s in matches.values())
            if "task" in keys and len(keys) >= 2 and score > best_score:
                r_best, best_score = r, score
        if r_best < 0:
            raise TaskbookError(
                f"找不到表头：前 {min(HEADER_SCAN_ROWS, len(sheet.rows))} 行中没有“工作任务”列（也可写作“主要任务”“任务内容”“具体任务”）"
                "及单位、时限等列。可用 --map 工作任务=C 指定列，或 --map 表头行=3 指定表头所在行。"
            )
    if header_row is None and r_best > 0:
        # Cells merged down from the row above score again in the second header row;
        # the header then starts one row up (「责任单位」 over 「牵头单位 | 配合单位」).
        above = {k for k, _ in _row_header_matches(sheet, r_best - 1).values()}
        if len(above) >= 2 and _sub_header(sheet, r_best - 1, r_best) is not None:
            r_best -= 1
    top = _row_header_matches(sheet, r_best)
    r2 = r_best + 1
    sub = _sub_header(sheet, r_best, r2) or {}
    header_end = r2 if sub else r_best
    candidates: list[tuple[int, str, float]] = []
    headers: dict[int, str] = {}
    for c in range(sheet.width):
        if c in sub:
            key, score = sub[c]
            headers[c] = _text(sheet.value(r2, c))
        elif c in top:
            key, score = top[c]
            headers[c] = _text(sheet.value(r_best, c))
        else:
            continue
        candidates.append((c, key, score))
    columns, conf = _assign_keys(candidates)
    if "task" not in columns:
        raise TaskbookError(f"第{r_best + 1}行不像表头：没有“工作任务”列。")
    combined = "lead" not in columns and "co" in columns
    return Mapping(sheet.name, r_best, header_end, columns, conf, headers, combined)


_OVERRIDE_HEADER_KEYS = {"表头行", "表头", "header", "header_row"}


def _key_for(name: str) -> str | None:
    name = name.strip()
    if name in COLUMN_BY_KEY:
        return name
    m = match_header(name)
    return m[0] if m else None


def apply_overrides(sheet: Sheet, overrides: dict[str, str]) -> Mapping:
    """A mapping with the caller's corrections: ``{"工作任务": "C", "表头行": "3"}``.

    Values are column letters (C), 1-based column numbers, or a header text of the sheet.
    """
    header_row = None
    for k, v in overrides.items():
        if k.strip() in _OVERRIDE_HEADER_KEYS:
            if not str(v).strip().isdigit():
                raise TaskbookError("表头行应为数字，例如 表头行=3。")
            header_row = int(str(v).strip())
    try:
        mapping = propose_mapping(sheet, header_row=header_row)
    except TaskbookError:
        # The caller may be mapping a sheet whose header we could not read at all.
        if header_row is None:
            raise
        mapping = Mapping(sheet.name, header_row - 1, header_row - 1, {}, {}, {})
    columns = dict(mapping.columns)
    conf = dict(mapping.confidence)
    for k, v in overrides.items():
        if k.strip() in _OVERRIDE_HEADER_KEYS:
            continue
        key = _key_for(k)
        if key is None:
            raise TaskbookError(
                "无法识别的列名“{k}”；可用的列：{cols}。".format(
                    k=k, cols="、".join(c.label for c in COLUMNS)
                )
            )
        idx = _column_index(str(v))
        if idx is None:
            wanted = _norm_header(v)
            idx = next(
                (
                    c
                    for r in range(mapping.header_start, mapping.header_end + 1)
                    for c in range(sheet.width)
                    if _norm_header(sheet.value(r, c)) == wanted
                ),
                None,
            )
        if idx is None:
            raise TaskbookError(f"列映射“{k}={v}”中找不到列“{v}”。")
        for other, i in list(columns.items()):
            if i == idx:
                del columns[other]
                conf.pop(other, None)
        columns[key] = idx
        conf[key] = 1.0
        mapping.headers.setdefault(
            idx, _text(sheet.value(mapping.header_end, idx)) or column_letter(idx)
        )
    if "task" not in columns:
        raise TaskbookError("列映射中缺少“工作任务”列。")
    return replace(
        mapping,
        columns=columns,
        confidence=conf,
        combined_units="lead" not in columns and "co" in columns,
    )


# -- units, leaders, deadlines --------------------------------------------------------

_UNIT_SEPARATORS = "、，,；;\n/／ \u3000\t"
_LEAD_MARK = re.compile(r"[（(]\s*牵头\s*[)）]|[（(]\s*主责\s*[)）]")


def split_units(text: str) -> list[str]:
    """「市发改委、市财政局；\\n市商务局」 → three names; separators inside brackets stay."""
    out: list[str] = []
    depth = 0
    cur: list[str] = []
    for ch in text:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        if depth == 0 and ch in _UNIT_SEPARATORS:
            part = "".join(cur).strip()
            if part:
                out.append(part)
            cur = []
        else:
            cur.append(ch)
    part = "".join(cur).strip()
    if part:
        out.append(part)
    return out


class UnitResolver(UnitNames):
    """Unit names as written in a spreadsheet → org units, matched loosely (the engine's
    rules, as for a report: 「市发改委」 reads the same in both): :mod:`duban.org.unitnames`.
    One per import; answers are kept per spelling, since a 5,000-row book names the same
    few dozen units over and over."""

    def resolve(self, name: str) -> Unit | None:
        return self.match(name, mode=LOOSE)


_LEADER_TITLES = re.compile(r"(?:同志|常务副市长|副市长|市长|副书记|书记|副主任|主任|秘书长)$")


class LeaderResolver:
    """责任领导 names → users, by display name, full name or login name."""

    def __init__(self) -> None:
        self._by_name: dict[str, User | None] = {}
        for u in User.objects.filter(is_active=True).only(
            "id", "username", "display_name", "first_name", "last_name"
        ):
            for n in {u.display_name, u.username, f"{u.last_name}{u.first_name}"}:
                if not n:
                    continue
                # Two people sharing a name: refuse to guess.
                self._by_name[n] = None if n in self._by_name and self._by_name[n] != u else u

    def resolve(self, name: str) -> User | None:
        name = name.strip()
        return self._by_name.get(name) or self._by_name.get(_LEADER_TITLES.sub("", name))


_LONG_TERM = re.compile(r"长期|持续|常态|经常性|每年|每季|每月|定期|动态|逐年")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUM_DATE = re.compile(r"^(\d{4})\s*[-/.．年]\s*(\d{1,2})\s*[-/.．月]\s*(\d{1,2})\s*日?$")
_YEAR_MONTH = re.compile(
    r"^(?:(\d{4})\s*[年.．/-])?\s*(\d{1,2})\s*月?(?:份)?(?:底|末)?(?:前|以前|之前)?$"
)
_YEAR_ONLY = re.compile(r"^(\d{4})\s*年(?:底|末)?(?:前|以前|之前)?$")
_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")
# Excel serials of 1955 … 2119: a task book's deadlines are never outside.
_SERIAL_RANGE = (20_000, 80_000)


def _from_serial(n: float) -> dt.date:
    from openpyxl.utils.datetime import from_excel

    return from_excel(n).date()


def resolve_deadline(value: Any, year: int) -> tuple[str, dt.date | None, str | None]:
    """A 完成时限 cell → (text as written, date, problem).

    Real dates and Excel serials give a date and no text; 「6月底前」「年底前」「2026年9月」
    give the last day they allow, in ``year`` unless they name one; 「长期坚持」「持续推进」
    give no date and keep the text. The problem is a message for a cell we could not read
    as a deadline (kept as text), or for a number that cannot be a date.
    """
    if value is None or value == "":
        return "", None, None
    if isinstance(value, dt.datetime):
        return "", value.date(), None
    if isinstance(value, dt.date):
        return "", value, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            return "", _from_serial(value), None
        return "", None, f"无法识别的完成时限“{_text(value)}”（不是日期）"
    text = _text(value)
    if not text:
        return "", None, None
    if _ISO_DATE.match(text):
        try:
            return "", dt.date.fromisoformat(text), None
        except ValueError:
            return text[:100], None, f"日期“{text}”不存在"
    if _SERIAL.match(text) and _SERIAL_RANGE[0] <= float(text) <= _SERIAL_RANGE[1]:
        return "", _from_serial(float(text)), None
    keep = text[:100]
    if _LONG_TERM.search(text) and not re.search(r"\d|[一二三四五六七八九十]+月|年底|年内", text):
        return keep, None, None
    try:
        if m := _NUM_DATE.match(text):
            return keep, dt.date(int(m[1]), int(m[2]), int(m[3])), None
        if m := _YEAR_MONTH.match(text):
            if "月" in text or m[1]:
                y = int(m[1]) if m[1] else year
                mo = int(m[2])
                if 1 <= mo <= 12:
                    return keep, times._last_day(y, mo), None
        if m := _YEAR_ONLY.match(text):
            return keep, dt.date(int(m[1]), 12, 31), None
    except ValueError:
        return keep, None, f"日期“{text}”不存在"
    found = times.resolve(text, dt.date(year, 1, 1))
    if found is not None:
        return keep, found[1], None
    if _LONG_TERM.search(text):
        return keep, None, None
    return keep, None, f"“{text}”无法识别为日期，按文字保存"
