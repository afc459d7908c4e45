"""An office's own unit catalog as a table (CSV or XLSX), read into the catalog JSON form.

Offices keep their list of departments in Excel, so :func:`~duban.extract.units.load_catalog`
accepts a ``.csv`` or ``.xlsx`` file as well as JSON. The first row is a header; columns
are recognised by name, in Chinese or English, in any order:

=============================  ==========================================================
column                         content
=============================  ==========================================================
单位 / 单位名称 / unit / name     the unit's full name (required)
简称 / short                     the short name (optional; defaults to the full name)
别名 / aliases                   other spellings, separated by 、 , ， ; ； / or line breaks
职责 / 主要职责 / duties           its functions: short phrases separated by ；; 。 or line breaks
关键词 / keywords                 function words, separated like aliases
分管领导 / leader                  the leader in charge; rows with the same leader form
                               that leader's portfolio
类型 / 单位类型 / kind             党委部门, 政府部门, 垂直管理, 区县, 群团/其他 (or the English
                               slugs party, government, agency, district, other)
=============================  ==========================================================

Every problem raises :class:`~duban.extract.errors.ExtractError` ``E012`` with a one-line
Chinese message naming the row and the column, before any catalog is built: a clerk who
uploads a broken sheet learns which cell to fix.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from .errors import ErrorCode, ExtractError

__all__ = ["MAX_ROWS", "read_catalog_table"]

MAX_ROWS = 5000  # a province has several hundred units; more is not a catalog
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("单位", "单位名称", "名称", "unit", "name"),
    "short": ("简称", "short"),
    "aliases": ("别名", "其他名称", "aliases", "alias"),
    "duties": ("职责", "主要职责", "职能", "duties"),
    "keywords": ("关键词", "keywords"),
    "leader": ("分管领导", "领导", "leader"),
    "kind": ("类型", "单位类型", "kind"),
}
KIND_LABELS = {
    "party": "party",
    "党委部门": "party",
    "党委": "party",
    "government": "government",
    "政府部门": "government",
    "政府": "government",
    "agency": "agency",
    "垂直管理": "agency",
    "垂管": "agency",
    "派驻": "agency",
    "district": "district",
    "区县": "district",
    "县区": "district",
    "other": "other",
    "群团": "other",
    "其他": "other",
}
_LIST_SPLIT = re.compile(r"[、,，;；/\n]+")
_DUTY_SPLIT = re.compile(r"[；;。\n]+")


def _bad(message: str) -> ExtractError:
    return ExtractError(ErrorCode.E012_BAD_CATALOG, message)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r", "").strip()


def _rows_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _bad(f"单位目录 {path.name} 无法解码，请在 Excel 中另存为“CSV UTF-8”格式")
    if "\x00" in text:
        raise _bad(f"单位目录 {path.name} 不是文本格式的 CSV 文件")
    try:
        return [[_cell(c) for c in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise _bad(f"单位目录 {path.name} 不是有效的 CSV 文件（{exc}）") from exc


def _rows_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _bad(f"单位目录 {path.name} 不是有效的 Excel（.xlsx）文件") from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise _bad(f"单位目录 {path.name} 没有工作表")
        rows: list[list[str]] = []
        for row in sheet.iter_rows(values_only=True):
            rows.append([_cell(c) for c in row])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        book.close()


def _split(value: str, pattern: re.Pattern[str]) -> list[str]:
    return list(dict.fromkeys(p.strip() for p in pattern.split(value) if p.strip()))


def read_catalog_table(path: str | Path) -> dict[str, Any]:
    """Read a ``.csv`` or ``.xlsx`` catalog into the dict :func:`catalog_from_dict` takes."""
    path = Path(path)
    if not path.is_file():
        raise _bad(f"单位目录文件不存在：{path}")
    try:
        rows = _rows_xlsx(path) if path.suffix.lower() == ".xlsx" else _rows_csv(path)
    except OSError as exc:
        raise _bad(f"单位目录文件无法读取：{path.name}（{exc.__class__.__name__}）") from exc
    rows = [r for r in rows if any(r)]
    if not rows:
        raise _bad(f"单位目录 {path.name} 是空的")
    if len(rows) > MAX_ROWS + 1:
        raise _bad(f"单位目录 {path.name} 超过 {MAX_ROWS} 行，请拆分或删去多余的行")
    header = [h.strip().lower() for h in rows[0]]
    where: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for col, h in enumerate(header):
            if h in names and key not in where:
                where[key] = col
    if "name" not in where:
        raise _bad(
            f"单位目录 {path.name} 第 1 行应为表头，且须有“单位”列（单位、别名、职责、分管领导、类型）"
        )
    if len(rows) == 1:
        raise _bad(f"单位目录 {path.name} 只有表头，没有单位")

    def get(row: list[str], key: str) -> str:
        col = where.get(key)
        return row[col] if col is not None and col < len(row) else ""

    units: list[dict[str, Any]] = []
    leaders: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        name = get(row, "name")
        if not name:
            raise _bad(f"单位目录 {path.name} 第 {number} 行缺少单位名称（“单位”列）")
        short = get(row, "short") or name
        for n in dict.fromkeys((name, short)):
            if n in seen:
                raise _bad(f"单位目录 {path.name} 第 {number} 行的单位「{n}」与第 {seen[n]} 行重复")
            seen[n] = number
        kind_label = get(row, "kind") or "government"
        kind = KIND_LABELS.get(kind_label.lower())
        if kind is None:
            raise _bad(
                f"单位目录 {path.name} 第 {number} 行“类型”列的「{kind_label}」无法识别，"
                "应为 党委部门、政府部门、垂直管理、区县 或 其他"
            )
        unit: dict[str, Any] = {
            "name": name,
            "short": short,
            "aliases": [a for a in _split(get(row, "aliases"), _LIST_SPLIT) if a != name],
            "kind": kind,
            "duties": _split(get(row, "duties"), _DUTY_SPLIT),
            "keywords": _split(get(row, "keywords"), _LIST_SPLIT),
        }
        units.append(unit)
        leader = get(row, "leader")
        if leader:
            leaders.setdefault(leader, []).append(name)
    return {
        "version": "",
        "level": "",
        "name": path.stem,
        "leaders": [{"name": n, "portfolio": p} for n, p in leaders.items()],
        "units": units,
    }
