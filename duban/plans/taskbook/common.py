"""Constants, errors, the column definitions and cell values shared by every step."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

JSON_FORMAT = "duban.taskbook"
JSON_VERSION = 1

# Guards against hostile or broken files, checked before any parser sees the bytes.
ZIP_MAX_MEMBERS = 2000
ZIP_MAX_RATIO = 100  # real .xlsx parts compress 5–20:1; bombs 1000:1 and more
ZIP_RATIO_MIN_SIZE = 1024 * 1024  # tiny parts may compress very well, legitimately
ZIP_MAX_TOTAL_FACTOR = 10  # all parts together ≤ 10 × the upload limit
MAX_ROWS = 100_000
MAX_COLUMNS = 100
HEADER_SCAN_ROWS = 30

ProgressCallback = Callable[[int, int], None]


# -- errors ---------------------------------------------------------------------------


class TaskbookError(Exception):
    """A file-level problem (wrong type, too big, no header …): nothing can be imported.

    The message is a complete sentence for the clerk, in Chinese.
    """


@dataclass(frozen=True)
class RowIssue:
    """One cell that cannot be placed, or a remark about it (warnings use the same shape)."""

    row: int | None
    column: str
    message: str
    letter: str = ""  # the spreadsheet column (C) when the source has columns
    row_word: str = "行"  # 「项」 for the tasks of a JSON file, which has no rows

    def __str__(self) -> str:
        where = f"第{self.row}{self.row_word}" if self.row else ""
        if self.column:
            where += f" {self.column}" if where else self.column
        return f"{where}：{self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "letter": self.letter,
            "row_word": self.row_word,
            "message": self.message,
            "text": str(self),
        }


def _text(value: Any) -> str:
    """A cell as text: numbers without a spurious .0, dates as ISO, line ends unified."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


# -- column definitions (shared by import and export) ---------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    synonyms: tuple[str, ...]
    width: float
    optional: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", ("序号", "编号", "序", "任务编号", "序列"), 8),
    Column(
        "task",
        "工作任务",
        (
            "工作任务",
            "主要任务",
            "任务内容",
            "具体任务",
            "重点任务",
            "工作内容",
            "任务事项",
            "重点工作",
            "目标任务",
            "任务名称",
            "任务",
        ),
        50,
    ),
    Column(
        "lead",
        "牵头单位",
        ("牵头单位", "牵头部门", "主责单位", "牵头责任单位", "责任单位（牵头）", "牵头"),
        18,
    ),
    Column(
        "co",
        "责任单位",
        (
            "责任单位",
            "配合单位",
            "协办单位",
            "参与单位",
            "协助单位",
            "配合部门",
            "责任部门",
            "协同单位",
        ),
        26,
    ),
    Column(
        "leader",
        "责任领导",
        ("责任领导", "牵头领导", "分管领导", "市级领导", "责任市领导", "包联领导", "联系领导"),
        12,
    ),
    Column(
        "deadline",
        "完成时限",
        (
            "完成时限",
            "完成时间",
            "时间节点",
            "时限要求",
            "完成期限",
            "时限",
            "完成时间节点",
            "办结时限",
        ),
        16,
    ),
    Column(
        "measures",
        "工作措施",
        ("工作措施", "具体措施", "主要措施", "推进措施", "工作举措", "措施"),
        40,
        optional=True,
    ),
    Column(
        "milestones",
        "阶段目标",
        ("阶段目标", "阶段性目标", "进度安排", "节点目标", "时间安排", "年度目标"),
        30,
        optional=True,
    ),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}

_HEADER_JUNK = re.compile(r"[\s\u3000*※★:：]+")
_BRACKETS = re.compile(r"[（(][^）)]*[）)]")


def _norm_header(value: Any) -> str:
    s = _HEADER_JUNK.sub("", _text(value))
    return _BRACKETS.sub("", s) or s


_EXACT_HEADERS: dict[str, str] = {}
# Written forms first, so 「责任单位」 stays 责任单位 although 「责任单位（牵头）」 without its
# bracket reads the same.
for _col in COLUMNS:
    for _syn in _col.synonyms:
        _EXACT_HEADERS.setdefault(_HEADER_JUNK.sub("", _syn), _col.key)
for _col in COLUMNS:
    for _syn in _col.synonyms:
        _EXACT_HEADERS.setdefault(_norm_header(_syn), _col.key)
# Longer synonyms first, so 「牵头责任单位」 is read as 牵头 before 「责任单位」 matches inside it.
_CONTAINED_HEADERS = sorted(
    ((s, c.key) for c in COLUMNS for s in c.synonyms if len(s) >= 2),
    key=lambda p: -len(p[0]),
)


def match_header(value: Any) -> tuple[str, float] | None:
    """The column key a header cell names and how sure we are (1.0 exact, 0.7 contained)."""
    raw = _HEADER_JUNK.sub("", _text(value))
    if not raw or len(raw) > 20:
        return None  # headers are short; a sentence is data or a title
    for s in (raw, _norm_header(value)):
        if s in _EXACT_HEADERS:
            return _EXACT_HEADERS[s], 1.0
    norm = _norm_header(value)
    if len(norm) > 10:
        return None
    for syn, key in _CONTAINED_HEADERS:
        if syn in norm:
            return key, 0.7
    return None


# -- cell values ----------------------------------------------------------------------


def column_letter(index: int) -> str:
    """0-based column index → spreadsheet letters (0 → A, 27 → AB)."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _column_index(letters: str) -> int | None:
    letters = letters.strip().upper()
    if letters.isdigit():
        return int(letters) - 1 if int(letters) > 0 else None
    if not letters or not letters.isalpha() or not letters.isascii():
        return None
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1
