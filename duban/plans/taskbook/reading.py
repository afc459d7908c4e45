"""Step 1, read: a file into sheets, after the file-level guards."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from duban.extract.zipguard import ZipLimits, zip_problem
from duban.plans.taskbook.common import (
    JSON_FORMAT,
    MAX_COLUMNS,
    MAX_ROWS,
    ZIP_MAX_MEMBERS,
    ZIP_MAX_RATIO,
    ZIP_MAX_TOTAL_FACTOR,
    ZIP_RATIO_MIN_SIZE,
    TaskbookError,
)

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
    limits = ZipLimits(
        max_members=ZIP_MAX_MEMBERS,
        max_ratio=ZIP_MAX_RATIO,
        ratio_min_size=ZIP_RATIO_MIN_SIZE,
        max_total=ZIP_MAX_TOTAL_FACTOR * _max_bytes(),
    )
    problem = zip_problem(zf, limits)
    if problem is None:
        return
    if problem.kind == "members":
        raise TaskbookError(f"工作簿结构异常（包含 {problem.count} 个部件），已拒绝导入。")
    if problem.kind == "encrypted":
        raise TaskbookError("工作簿设置了密码，无法读取；请取消密码并另存为 .xlsx 后再导入。")
    if problem.kind == "ratio":
        raise TaskbookError(
            f"工作簿解压后异常膨胀（{problem.member} 压缩比超过 {ZIP_MAX_RATIO}:1），疑似恶意文件，已拒绝导入。"
        )
    raise TaskbookError(
        f"工作簿解压后过大（{_mb(problem.total)}），已拒绝导入；请删去无关工作表后再导入。"
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
