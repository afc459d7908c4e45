"""The one import/export machine for task books (任务分解表): Excel, CSV and JSON.

Every format goes through the same steps, so a rule is written once:

1. **read** the file into a :class:`Sheet` (a grid of cell values with merged cells
   expanded), after the file-level guards: size limit, password-protected workbooks, files
   that are not what their name says, zip bombs;
2. **map** the columns (:func:`propose_mapping`): find the header row(s) and which column
   is 工作任务, 牵头单位 … by the synonyms in :data:`COLUMNS`; the caller may override;
3. **dry run** (:func:`plan_import`): turn rows into framework headings and tasks, match
   unit names to the org (name, short name, aliases, then :func:`loose_name`), resolve
   deadlines with the plan year, and list every cell that cannot be placed with its row and
   column — nothing is written;
4. **commit** (:func:`commit_import`): one transaction, all rows or none, through the models
   (audited) and :func:`~duban.plans.services.assign_task`.

Export (:func:`export_xlsx`, :func:`export_csv`, :func:`export_json`) uses the same column
definitions, so what we write is exactly what we read back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from duban.core import audit, bulk
from duban.core.jobs import job
from duban.extract import times
from duban.extract.structure import cn_number
from duban.extract.units import Catalog as _Catalog
from duban.extract.units import Unit as _CatalogUnit
from duban.extract.units import resolve_unit_name
from duban.org.models import Unit, User
from duban.plans.models import Assignment, FrameworkNode, Plan, Task

__all__ = [
    "COLUMNS",
    "Column",
    "ImportPreview",
    "Mapping",
    "NodeDraft",
    "RowIssue",
    "Sheet",
    "TaskDraft",
    "TaskbookError",
    "commit_import",
    "export_csv",
    "export_json",
    "export_xlsx",
    "plan_import",
    "propose_mapping",
    "read_sheets",
    "resolve_deadline",
    "split_units",
]

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


# -- reading files --------------------------------------------------------------------


@dataclass
class Sheet:
    """One worksheet as a grid of values, merged ranges expanded to every cell they cover.

    ``merges`` maps each covered (row, col) — 0-based — to its range ``(r0, c0, r1, c1)``,
    so the importer can tell a full-width heading or a lead unit merged over several rows
    from ordinary cells. ``formula_gaps`` are cells holding a formula whose result the file
    does not contain (written by a program, never opened in Excel).
    """

    name: str
    rows: list[list[Any]]
    merges: dict[tuple[int, int], tuple[int, int, int, int]] = field(default_factory=dict)
    formula_gaps: set[tuple[int, int]] = field(default_factory=set)
    kind: str = "xlsx"

    @cached_property
    def width(self) -> int:
        # Cached: the importer asks once per row, and rows never change after reading.
        return max((len(r) for r in self.rows), default=0)

    def value(self, r: int, c: int) -> Any:
        row = self.rows[r] if r < len(self.rows) else ()
        return row[c] if c < len(row) else None

    def origin(self, r: int, c: int) -> tuple[int, int]:
        m = self.merges.get((r, c))
        return (m[0], m[1]) if m else (r, c)


def _max_bytes() -> int:
    return int(getattr(settings, "DUBAN_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))


def _mb(n: float) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _read_input(file: Any, filename: str | None) -> tuple[bytes, str]:
    """The file's bytes and its name, refusing anything over the upload limit unread."""
    limit = _max_bytes()
    if isinstance(file, str | os.PathLike):
        path = Path(file)
        try:
            size = path.stat().st_size
        except FileNotFoundError as exc:
            raise TaskbookError(f"找不到文件：{path}") from exc
        if size > limit:
            raise TaskbookError(
                f"文件过大（{_mb(size)}），超过导入上限 {_mb(limit)}；请删去无关工作表或图片后再导入。"
            )
        return path.read_bytes(), filename or path.name
    if isinstance(file, bytes | bytearray):
        if len(file) > limit:
            raise TaskbookError(f"文件过大（{_mb(len(file))}），超过导入上限 {_mb(limit)}。")
        return bytes(file), filename or ""
    # A file object (an upload): measure before reading.
    name = filename or os.path.basename(str(getattr(file, "name", "") or ""))
    size = getattr(file, "size", None)
    if size is None and hasattr(file, "seek"):
        pos = file.tell()
        file.seek(0, os.SEEK_END)
        size = file.tell() - pos
        file.seek(pos)
    if size is not None and size > limit:
        raise TaskbookError(f"文件过大（{_mb(size)}），超过导入上限 {_mb(limit)}。")
    data = file.read(limit + 1)
    if len(data) > limit:
        raise TaskbookError(f"文件过大，超过导入上限 {_mb(limit)}。")
    return data, name


_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _sniff(data: bytes, suffix: str) -> str:
    """What the bytes are, whatever the name says: xlsx, xls, csv or json."""
    if not data.strip():
        raise TaskbookError("文件是空的。")
    if data.startswith(_CFB_MAGIC):
        # An OLE container: an encrypted .xlsx (Excel wraps it so), or an old .xls/.doc.
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise TaskbookError(
                "工作簿设置了打开密码，无法读取。请在 Excel 中打开，"
                "“文件 → 信息 → 保护工作簿 → 用密码进行加密”清空密码，另存为 .xlsx 后再导入。"
            )
        if "WordDocument".encode("utf-16-le") in data:
            raise TaskbookError(
                "这是 Word 文档（.doc），不是 Excel 工作簿；请把表格复制到 Excel 后再导入。"
            )
        return "xls"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return "xlsx"
    if suffix in (".xlsx", ".xlsm", ".xls"):
        head = data.lstrip()[:1]
        if head in (b"{", b"["):
            raise TaskbookError("文件名是 Excel，但内容是 JSON；请把扩展名改为 .json 后再导入。")
        raise TaskbookError(
            "文件名是 Excel，但内容不是 Excel 工作簿（可能是改了扩展名的其他文件）；"
            "请在 Excel 中打开并另存为 .xlsx 后再导入。"
        )
    if suffix == ".json" or data.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] == b"{":
        return "json"
    return "csv"


def _check_zip(zf: zipfile.ZipFile) -> None:
    """Read only the central directory: refuse bombs and non-workbooks before parsing."""
    infos = zf.infolist()
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            raise TaskbookError(
                "这是 Word 文档（.docx）改了扩展名，不是 Excel 工作簿；请使用 Excel 任务分解表导入。"
            )
        if "xl/workbook.bin" in names:
            raise TaskbookError("这是 Excel 二进制工作簿（.xlsb），请另存为 .xlsx 后再导入。")
        if "ppt/presentation.xml" in names:
            raise TaskbookError("这是 PowerPoint 演示文稿，不是 Excel 工作簿。")
        raise TaskbookError("这是一个压缩包，不是 Excel 工作簿（缺少 xl/workbook.xml）。")
    if len(infos) > ZIP_MAX_MEMBERS:
        raise TaskbookError(f"工作簿结构异常（包含 {len(infos)} 个部件），已拒绝导入。")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise TaskbookError("工作簿设置了密码，无法读取；请取消密码并另存为 .xlsx 后再导入。")
        total += info.file_size
        if info.file_size > ZIP_RATIO_MIN_SIZE and info.file_size > ZIP_MAX_RATIO * max(
            1, info.compress_size
        ):
            raise TaskbookError(
                f"工作簿解压后异常膨胀（{info.filename} 压缩比超过 {ZIP_MAX_RATIO}:1），疑似恶意文件，已拒绝导入。"
            )
    if total > ZIP_MAX_TOTAL_FACTOR * _max_bytes():
        raise TaskbookError(
            f"工作簿解压后过大（{_mb(total)}），已拒绝导入；请删去无关工作表后再导入。"
        )


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


def _has_formulas(zf: zipfile.ZipFile) -> bool:
    for name in zf.namelist():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            if _FORMULA_TAG.search(zf.read(name)):
                return True
    return False


def sheet_extent(ws: Any) -> tuple[int, int]:
    """Rows and columns up to the last cell that holds a value, in an openpyxl worksheet.

    Why not ``ws.max_row``: a sheet formatted (or given one stray cell) down to row
    1,048,576 says it has a million rows, and walking them costs minutes and gigabytes.
    The private cell dict holds only the cells the file has. The report-sheet reader
    shares this guard (issue 14).
    """
    n_rows = n_cols = 0
    for (r, c), cell in ws._cells.items():
        if cell.value is not None and cell.value != "":
            n_rows = max(n_rows, r)
            n_cols = max(n_cols, c)
    return n_rows, n_cols


def check_sheet_rows(title: str, n_rows: int) -> None:
    """Refuse a sheet with more rows than one import may hold, before any row is read."""
    if n_rows > MAX_ROWS:
        raise TaskbookError(
            gettext("工作表“{title}”有 {n} 行，超过单次导入上限 {limit} 行；请拆分后导入。").format(
                title=title, n=n_rows, limit=MAX_ROWS
            )
        )


def _sheet_from_worksheet(ws: Any, formulas: Any | None) -> Sheet:
    # The private cell dict holds only the cells the file has; iter_rows() would create
    # every cell up to max_row, which a sheet formatted down to row 1,048,576 makes huge.
    cells = ws._cells
    gaps: set[tuple[int, int]] = set()
    if formulas is not None:
        for (r, c), fcell in formulas._cells.items():
            v = fcell.value
            is_formula = (isinstance(v, str) and v.startswith("=")) or type(v).__name__ in (
                "ArrayFormula",
                "DataTableFormula",
            )
            cached = cells.get((r, c))
            if is_formula and (cached is None or cached.value is None):
                gaps.add((r - 1, c - 1))
    n_rows, n_cols = sheet_extent(ws)
    n_rows = max(n_rows, max((r + 1 for r, _ in gaps), default=0))
    n_cols = max(n_cols, max((c + 1 for _, c in gaps), default=0))
    check_sheet_rows(ws.title, n_rows)
    n_cols = min(n_cols, MAX_COLUMNS)
    rows: list[list[Any]] = [[None] * n_cols for _ in range(n_rows)]
    for (r, c), cell in cells.items():
        if r <= n_rows and c <= n_cols:
            rows[r - 1][c - 1] = cell.value
    merges: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for rng in ws.merged_cells.ranges:
        r0, c0 = rng.min_row - 1, rng.min_col - 1
        r1, c1 = min(rng.max_row, n_rows) - 1, min(rng.max_col, n_cols) - 1
        if r0 >= n_rows or c0 >= n_cols:
            continue
        box = (r0, c0, r1, c1)
        anchor = rows[r0][c0]
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                rows[r][c] = anchor
                merges[(r, c)] = box
    return Sheet(ws.title, rows, merges, gaps, kind="xlsx")


def _read_xlsx(data: bytes) -> list[Sheet]:
    import openpyxl

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise TaskbookError("Excel 文件已损坏或不完整，请重新保存后再导入。") from exc
    with zf:
        _check_zip(zf)
        has_formulas = _has_formulas(zf)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True, keep_links=False)
        # Formulas come back as their cached results; a formula nobody calculated has
        # none, which we can only tell by reading the formulas themselves as well.
        wb_f = (
            openpyxl.load_workbook(io.BytesIO(data), data_only=False, keep_links=False)
            if has_formulas
            else None
        )
    except TaskbookError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on broken parts
        raise TaskbookError(
            f"Excel 文件无法读取（{exc.__class__.__name__}），请在 Excel 中打开并另存为 .xlsx 后再导入。"
        ) from exc
    sheets = []
    order = [wb.active, *[ws for ws in wb.worksheets if ws is not wb.active]]
    for ws in order:
        if ws is None or not hasattr(ws, "_cells"):
            continue  # chart sheets
        sheets.append(_sheet_from_worksheet(ws, wb_f[ws.title] if wb_f is not None else None))
    return sheets


def _read_xls(data: bytes) -> list[Sheet]:
    """An old binary workbook (.xls, Excel 97–2003) read with xlrd, merged cells included.

    LibreOffice, when installed, is the fallback for what xlrd cannot read.
    """
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except Exception as exc:  # xlrd raises its own XLRDError and assorted struct errors
        return _convert_xls_with_office(data, exc)
    sheets: list[Sheet] = []
    try:
        for index in range(book.nsheets):
            ws = book.sheet_by_index(index)
            check_sheet_rows(ws.name, ws.nrows)
            n_cols = min(ws.ncols, MAX_COLUMNS)
            rows: list[list[Any]] = []
            for r in range(ws.nrows):
                row: list[Any] = []
                for c in range(n_cols):
                    cell = ws.cell(r, c)
                    value: Any = cell.value
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        value = xlrd.xldate.xldate_as_datetime(value, book.datemode)
                    elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        value = None
                    elif cell.ctype == xlrd.XL_CELL_NUMBER and float(value).is_integer():
                        value = int(value)
                    row.append(value)
                rows.append(row)
            merges: dict[tuple[int, int], tuple[int, int, int, int]] = {}
            for r_lo, r_hi, c_lo, c_hi in ws.merged_cells:  # half-open ranges
                r1, c1 = min(r_hi, len(rows)) - 1, min(c_hi, n_cols) - 1
                if r_lo > r1 or c_lo > c1:
                    continue
                box = (r_lo, c_lo, r1, c1)
                anchor = rows[r_lo][c_lo]
                for r in range(r_lo, r1 + 1):
                    for c in range(c_lo, c1 + 1):
                        rows[r][c] = anchor
                        merges[(r, c)] = box
            sheets.append(Sheet(ws.name, rows, merges, set(), kind="xls"))
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return sheets


def _convert_xls_with_office(data: bytes, cause: Exception) -> list[Sheet]:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if not office:
        raise TaskbookError(
            "这是旧版 Excel 文件（.xls），但内容无法读取。请在 Excel 或 WPS 中打开，"
            "请另存为 .xlsx 后再导入。"
        ) from cause
    with tempfile.TemporaryDirectory(prefix="duban-xls-") as tmp:
        src = Path(tmp) / "book.xls"
        src.write_bytes(data)
        try:
            subprocess.run(
                [office, "--headless", "--convert-to", "xlsx", "--outdir", tmp, str(src)],
                check=True,
                capture_output=True,
                timeout=120,
            )
            converted = (Path(tmp) / "book.xlsx").read_bytes()
        except (subprocess.SubprocessError, OSError) as exc:
            raise TaskbookError("旧版 .xls 文件转换失败，请另存为 .xlsx 后再导入。") from exc
    return _read_xlsx(converted)


def _decode_csv(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise TaskbookError("CSV 文件的编码无法识别，请另存为“CSV UTF-8”后再导入。")


_CSV_GUARD = re.compile(r"^'(?=[=+\-@'])")


def _read_csv(data: bytes) -> list[Sheet]:
    text = _decode_csv(data)
    # The delimiter is whichever of , tab ; the first lines use most. csv.Sniffer is not
    # used: it also guesses the quote character, and a task starting with ' fools it.
    head = "\n".join(text.splitlines()[:5])
    delimiter = max((",", "\t", ";"), key=head.count)
    rows = [
        [_CSV_GUARD.sub("", v) for v in row]
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    ]
    if len(rows) > MAX_ROWS:
        raise TaskbookError(
            f"CSV 文件有 {len(rows)} 行，超过单次导入上限 {MAX_ROWS} 行；请拆分后导入。"
        )
    while rows and not any(v.strip() for v in rows[-1]):
        rows.pop()
    return [Sheet("CSV", [list(r[:MAX_COLUMNS]) for r in rows], kind="csv")]


def read_sheets(file: Any, *, filename: str | None = None) -> list[Sheet] | dict[str, Any]:
    """Read a task book file: a list of sheets, or the parsed object of our JSON export.

    Raises :class:`TaskbookError` for every file-level problem, before parsing when the
    problem can be seen from the size or the first bytes.
    """
    return _load(file, filename)[0]


def _load(file: Any, filename: str | None) -> tuple[list[Sheet] | dict[str, Any], str]:
    data, name = _read_input(file, filename)
    kind = _sniff(data, Path(name).suffix.lower())
    if kind == "xls":
        return _read_xls(data), name
    if kind == "xlsx":
        return _read_xlsx(data), name
    if kind == "json":
        try:
            obj = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise TaskbookError("JSON 文件格式错误，无法读取。") from exc
        if not isinstance(obj, dict) or obj.get("format") != JSON_FORMAT:
            raise TaskbookError(
                f"JSON 文件不是本系统导出的任务分解表（缺少 format: {JSON_FORMAT}）。"
            )
        return obj, name
    return _read_csv(data), name


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


class UnitResolver:
    """Unit names as written → org units, with the extraction engine's loose matching.

    The org's active units are turned into an engine catalog once per import, so the same
    rules that read 「市发改委」 in a report read it in a spreadsheet. Results are cached
    per spelling: a 5,000-row book names the same few dozen units over and over.
    """

    def __init__(self) -> None:
        units = list(Unit.objects.filter(is_active=True).order_by("sort_order", "id"))
        self._by_name = {u.name: u for u in units}
        self._catalog = _Catalog(
            [
                _CatalogUnit(
                    name=u.name,
                    short=u.short_name or u.name,
                    aliases=[a for a in (u.aliases or []) if isinstance(a, str) and a.strip()],
                    kind="other",
                )
                for u in units
            ]
        )
        self._cache: dict[str, Unit | None] = {}

    def resolve(self, name: str) -> Unit | None:
        if name in self._cache:
            return self._cache[name]
        found = resolve_unit_name(name, self._catalog)
        if found is None and name.endswith("等") and len(name) > 2:
            found = resolve_unit_name(name[:-1], self._catalog)
        unit = self._by_name.get(found.name) if found is not None else None
        self._cache[name] = unit
        return unit


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
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


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


# -- commit ---------------------------------------------------------------------------


#: Rows per bulk INSERT: under SQLite's limit on query parameters with every column.
BULK_BATCH = 500


def commit_import(
    preview: ImportPreview, *, actor: Any, on_progress: ProgressCallback | None = None
) -> Plan:
    """Write the previewed plan: all rows or none, in one transaction, audited.

    Refuses (:class:`TaskbookError`) when the preview has errors. Tasks are created as
    proposals (待审核) like the engine's, so 立项 (:func:`confirm_plan`) stays one step.
    """
    if preview.committed:
        raise TaskbookError("这份预览已经导入过了，请勿重复导入。")
    if preview.errors:
        raise TaskbookError(f"有 {len(preview.errors)} 处错误，未导入任何内容；请修改后重新导入。")
    total = len(preview.tasks)
    with transaction.atomic(), audit.acting_as(actor):
        plan = preview.plan
        if plan is None:
            plan = Plan.objects.create(
                title=preview.title[:200] or "导入的任务分解表", year=preview.year
            )
        else:
            plan = Plan.objects.select_for_update().get(pk=plan.pk)
            clash = set(plan.tasks.values_list("code", flat=True)) & {t.code for t in preview.tasks}
            if clash:
                raise TaskbookError(
                    "方案中已有编号为 {codes} 的任务（可能在预览后被他人添加），未导入。".format(
                        codes="、".join(sorted(clash)[:5])
                    )
                )
        # The plan's own headings first: tasks may name them by code without the file
        # repeating them.
        nodes: dict[str, FrameworkNode] = {n.code: n for n in plan.framework_nodes.all()}
        order = len(nodes)
        for draft in preview.nodes:
            if draft.existing_id is not None:
                continue
            order += 1
            nodes[draft.code] = FrameworkNode.objects.create(
                plan=plan,
                parent=nodes.get(draft.parent_code) if draft.parent_code else None,
                name=draft.name,
                code=draft.code[:30],
                kind="section",
                sort_order=order,
            )
        # Thousands of rows: bulk inserts with their audit rows written in bulk beside them
        # (the same entries the services would write one by one: task and assignment
        # created, co-units set, task assigned), a few statements per 500 rows.
        sort = plan.tasks.count()
        now = timezone.now()
        tasks: list[Task] = []
        for draft in preview.tasks:
            sort += 1
            book: dict[str, Any] = {"source": preview.source, "row": draft.row}
            if draft.leader_text:
                book["leader_text"] = draft.leader_text
            if draft.stage_goals:
                book["stage_goals"] = draft.stage_goals
            extracted: dict[str, Any] = {"taskbook": book}
            if draft.items:
                extracted["items"] = [{"text": t, "verb": ""} for t in draft.items]
            tasks.append(
                Task(
                    plan=plan,
                    framework_node=nodes.get(draft.node_code) if draft.node_code else None,
                    code=draft.code[:30],
                    text=draft.text,
                    deadline_text=draft.deadline_text[:100],
                    deadline=draft.deadline,
                    measures=draft.measures,
                    extracted=extracted,
                    sort_order=sort,
                )
            )
        through = Assignment.co_units.through._meta
        link_table = through.db_table
        link_columns = [through.get_field("assignment").column, through.get_field("unit").column]
        for start in range(0, total, BULK_BATCH):
            batch = tasks[start : start + BULK_BATCH]
            drafts = preview.tasks[start : start + BULK_BATCH]
            Task.objects.bulk_create(batch)
            entries = [audit.created(t) for t in batch]
            assignments = [
                Assignment(
                    task=t, lead_unit=d.lead_unit, leader_in_charge=d.leader, assigned_at=now
                )
                for t, d in zip(batch, drafts, strict=True)
                if d.lead_unit is not None
            ]
            Assignment.objects.bulk_create(assignments)
            links = []
            for a, d in zip(
                assignments, [d for d in drafts if d.lead_unit is not None], strict=True
            ):
                entries.append(audit.created(a))
                co = sorted({u.pk for u in d.co_units if u.pk != a.lead_unit_id})
                links += [(a.pk, pk) for pk in co]
                if co:
                    entries.append(
                        audit.entry(a, "update", before={"co_units": []}, after={"co_units": co})
                    )
                entries.append(
                    audit.entry(
                        a.task,
                        "event",
                        event="task_assigned",
                        after=audit.jsonable({"lead_unit": str(a.lead_unit)}),
                    )
                )
            bulk.insert_rows(link_table, link_columns, links)  # pairs of ids, no instances
            audit.write_all(entries)
            if on_progress is not None:
                on_progress(min(start + BULK_BATCH, total), total)
        audit.record_event(
            plan,
            "taskbook_imported",
            data={
                "source": preview.source,
                "nodes": len(preview.new_nodes),
                "tasks": total,
                "assignments": len(preview.assignments),
            },
        )
    preview.committed = True
    return plan


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


# -- background job -------------------------------------------------------------------

# Row errors and warnings beyond this many are counted, not listed, in a job's result.
JOB_MAX_ISSUES = 200


@job("import_taskbook", atomic=False)
def import_taskbook_job(
    *,
    upload: str,
    filename: str,
    plan_id: int | None = None,
    year: int | None = None,
    title: str = "",
    mapping: dict[str, str] | None = None,
    user_id: int | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Import an uploaded book in the worker: a large book takes minutes to commit.

    ``upload`` names a file under ``MEDIA_ROOT/uploads`` (as for ``extract_document``);
    ``mapping`` is the clerk's confirmed :meth:`Mapping.as_overrides`. A refused book is a
    result (``{"error": "file"|"rows", …}``), not a crash, so the queue does not retry it.
    The upload is deleted once the import is committed or refused; a dry run keeps it for
    the commit that follows, and a crash keeps it for the retry. Reading the book runs
    outside any transaction; only :func:`commit_import` writes, in one short transaction,
    so a large book never holds the database while it is being read.
    """
    from duban.documents.jobs import upload_path

    path = upload_path(upload)
    if not path.exists():
        return {"error": "missing", "message": "上传的文件已不存在，请重新上传。"}
    plan = Plan.objects.filter(pk=plan_id).first() if plan_id else None
    if plan_id and plan is None:
        return {"error": "no_plan", "message": "要导入的方案已不存在，请重新选择。"}
    actor = User.objects.filter(pk=user_id).first() if user_id else None

    def done_with_upload() -> None:
        if not dry_run:
            path.unlink(missing_ok=True)

    try:
        preview = plan_import(
            path, plan=plan, year=year, mapping=mapping or None, filename=filename, title=title
        )
    except TaskbookError as exc:
        done_with_upload()
        return {"error": "file", "message": str(exc)}
    result: dict[str, Any] = {
        "summary": preview.summary(),
        "mapping": preview.mapping.as_overrides() if preview.mapping else None,
        "errors": [e.to_dict() for e in preview.errors[:JOB_MAX_ISSUES]],
        "warnings": [w.to_dict() for w in preview.warnings[:JOB_MAX_ISSUES]],
        "error_count": len(preview.errors),
        "warning_count": len(preview.warnings),
    }
    if preview.errors:
        done_with_upload()
        return {"error": "rows", **result}
    if dry_run:
        return result
    try:
        created = commit_import(preview, actor=actor)
    except TaskbookError as exc:  # a clash with tasks added since the preview
        done_with_upload()
        return {"error": "file", "message": str(exc)}
    done_with_upload()
    return {**result, "plan": created.pk, "tasks": len(preview.tasks)}
