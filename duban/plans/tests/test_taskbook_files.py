"""The task book machine on real files: old .xls, LibreOffice, and broken or hostile input.

Split from test_taskbook.py (which keeps the fixtures) to keep each file readable.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font

from duban.plans import taskbook
from duban.plans.taskbook import (
    TaskbookError,
    plan_import,
    read_sheets,
)
from duban.plans.tests.conftest import _counts

# ---------------------------------------------------------------- reading formats


def test_csv_in_gb18030_and_utf8_bom(org, tmp_path):
    text = "工作任务,牵头单位,完成时限\n建设新城,市商务局,46203\n"
    for enc in ("gb18030", "utf-8-sig", "utf-8"):
        p = tmp_path / f"b-{enc}.csv"
        p.write_bytes(text.encode(enc))
        pv = plan_import(p, year=2026)
        assert [(t.text, t.lead_unit.name, t.deadline) for t in pv.tasks] == [
            ("建设新城", "市商务局", dt.date(2026, 6, 30))
        ], enc


def test_csv_rows_shorter_or_longer_than_the_header(org, tmp_path):
    p = tmp_path / "r.csv"
    p.write_text(
        "序号,工作任务,牵头单位,完成时限\n1,建设新城\n一、稳外贸\n2,扩大消费,市商务局,年底前,多余\n",
        encoding="utf-8",
    )
    pv = plan_import(p, year=2026)
    assert pv.ok, [str(e) for e in pv.errors]
    assert [(n.code, n.name) for n in pv.nodes] == [("1", "稳外贸")]
    assert [(t.code, t.text, t.deadline) for t in pv.tasks] == [
        ("1", "建设新城", None),
        ("1.2", "扩大消费", dt.date(2026, 12, 31)),
    ]


def _as_xls(xlsx: Path, out: Path) -> Path:
    """The same book saved as an Excel 97–2003 .xls (values and merged cells), with xlwt."""
    import xlwt

    src = openpyxl.load_workbook(xlsx)
    book = xlwt.Workbook(encoding="utf-8")
    for ws in src.worksheets:
        sheet = book.add_sheet(ws.title)
        merged = {}
        for rng in ws.merged_cells.ranges:
            merged[(rng.min_row, rng.min_col)] = rng
        covered = {
            (r, c)
            for rng in ws.merged_cells.ranges
            for r in range(rng.min_row, rng.max_row + 1)
            for c in range(rng.min_col, rng.max_col + 1)
        }
        for row in ws.iter_rows():
            for cell in row:
                key = (cell.row, cell.column)
                if key in merged:
                    rng = merged[key]
                    sheet.write_merge(
                        rng.min_row - 1, rng.max_row - 1, rng.min_col - 1, rng.max_col - 1,
                        cell.value,
                    )  # fmt: skip
                elif key not in covered and cell.value is not None:
                    sheet.write(cell.row - 1, cell.column - 1, cell.value)
    book.save(str(out))
    return out


def test_an_old_xls_book_reads_like_its_xlsx(org, tmp_path, book):
    xls = _as_xls(book, tmp_path / "任务分解表.xls")
    assert xls.read_bytes().startswith(taskbook._CFB_MAGIC)
    from_xlsx = plan_import(book, year=2026)
    from_xls = plan_import(xls, year=2026)
    assert from_xls.ok, [str(e) for e in from_xls.errors]
    assert [t.text for t in from_xls.tasks] == [t.text for t in from_xlsx.tasks]
    assert [t.lead_unit for t in from_xls.tasks] == [t.lead_unit for t in from_xlsx.tasks]
    assert [n.name for n in from_xls.nodes] == [n.name for n in from_xlsx.nodes]


def test_xls_without_libreoffice_asks_to_save_as_xlsx(tmp_path, monkeypatch):
    monkeypatch.setattr(taskbook.shutil, "which", lambda name: None)
    p = tmp_path / "old.xls"
    p.write_bytes(taskbook._CFB_MAGIC + b"\0" * 1024 + "Workbook".encode("utf-16-le"))
    with pytest.raises(TaskbookError, match=r"请另存为 \.xlsx 后再导入"):
        plan_import(p, year=2026)


def test_xls_is_converted_with_libreoffice_when_installed(org, tmp_path, monkeypatch, book):
    # A stand-in for LibreOffice that "converts" by copying a ready .xlsx into --outdir.
    fake = tmp_path / "libreoffice"
    fake.write_text(f'#!/bin/sh\ncp "{book}" "$5/book.xlsx"\n', encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setattr(taskbook.shutil, "which", lambda name: str(fake))
    p = tmp_path / "old.xls"
    p.write_bytes(taskbook._CFB_MAGIC + b"\0" * 1024 + "Workbook".encode("utf-16-le"))
    pv = plan_import(p, year=2026)
    assert pv.ok and len(pv.tasks) == 5


def test_formatting_far_below_the_table_is_ignored(org, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["工作任务", "牵头单位"])
    ws.append(["建设新城", "市商务局"])
    ws.cell(row=500_000, column=30).font = Font(bold=True)  # styled, empty
    p = tmp_path / "f.xlsx"
    wb.save(p)
    sheet = read_sheets(p)[0]
    assert len(sheet.rows) == 2 and sheet.width == 2


def test_task_text_merged_across_the_unit_columns_leaves_them_empty(org, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号", "工作任务", "牵头单位", "配合单位"])
    ws.append([1, "各单位共同推进作风建设"])
    ws.merge_cells("B2:D2")
    ws.append([2, "扩大消费", "市商务局", "市财政局"])
    p = tmp_path / "m.xlsx"
    wb.save(p)
    pv = plan_import(p, year=2026)
    assert pv.ok, [str(e) for e in pv.errors]
    assert [(t.text, t.lead_unit) for t in pv.tasks] == [
        ("各单位共同推进作风建设", None),
        ("扩大消费", org["sw"]),
    ]


# ---------------------------------------------------------------- bad input


def test_password_protected_workbook(db, tmp_path):
    p = tmp_path / "secret.xlsx"
    # Excel wraps an encrypted .xlsx in an OLE container holding EncryptionInfo.
    p.write_bytes(
        taskbook._CFB_MAGIC + b"\0" * 512 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 512
    )
    before = _counts()
    with pytest.raises(TaskbookError, match="工作簿设置了打开密码"):
        plan_import(p, year=2026)
    assert _counts() == before


def test_renamed_docx(db, tmp_path):
    p = tmp_path / "not-excel.xlsx"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(TaskbookError, match=r"这是 Word 文档（\.docx）改了扩展名"):
        plan_import(p, year=2026)


def test_file_over_the_size_limit_is_refused_before_reading(db, tmp_path, settings, monkeypatch):
    settings.DUBAN_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
    p = tmp_path / "huge.xlsx"
    with p.open("wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: nothing big is written
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("must not read"))
    with pytest.raises(TaskbookError, match=r"文件过大（200.0 MB），超过导入上限 20.0 MB"):
        plan_import(p, year=2026)


def test_zip_bomb_is_refused_from_the_central_directory(db, tmp_path, monkeypatch):
    p = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    assert p.stat().st_size < 200_000
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("opened"))
    with pytest.raises(TaskbookError, match="压缩比超过 100:1"):
        plan_import(p, year=2026)


def test_formula_without_a_result_where_text_is_expected(org, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号", "工作任务", "牵头单位", "完成时限"])
    ws.append([1, "建设新城", "市商务局", "年底前"])
    ws.append([2, '=CONCAT("推进","改革")', "市商务局", "年底前"])  # never calculated
    p = tmp_path / "f.xlsx"
    wb.save(p)
    pv = plan_import(p, year=2026)
    assert [str(e) for e in pv.errors] == [
        "第3行 工作任务：单元格是公式，但文件中没有计算结果；请在 Excel 中打开并保存后再导入，或改为文字"
    ]


def test_dates_as_serials_and_text_in_one_column(org, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["工作任务", "牵头单位", "完成时限"])
    ws.append(["甲", "市商务局", 46203])
    ws.append(["乙", "市商务局", "46203"])
    ws.append(["丙", "市商务局", dt.date(2026, 7, 1)])
    ws.append(["丁", "市商务局", "10月底前"])
    ws.append(["戊", "市商务局", 7])
    p = tmp_path / "d.xlsx"
    wb.save(p)
    pv = plan_import(p, year=2026)
    assert [t.deadline for t in pv.tasks] == [
        dt.date(2026, 6, 30),
        dt.date(2026, 6, 30),
        dt.date(2026, 7, 1),
        dt.date(2026, 10, 31),
        None,
    ]
    assert [str(e) for e in pv.errors] == ["第6行 完成时限：无法识别的完成时限“7”（不是日期）"]


def test_empty_sheet(db, tmp_path):
    p = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(p)
    with pytest.raises(TaskbookError, match="是空的"):
        plan_import(p, year=2026)


def test_header_not_found(db, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "电话"])
    wb.active.append(["张三", "123"])
    p = tmp_path / "h.xlsx"
    wb.save(p)
    with pytest.raises(TaskbookError, match=r"找不到表头.*--map 工作任务=C"):
        plan_import(p, year=2026)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"tasks": [', "JSON 文件格式错误"),
        ('{"tasks": []}', "不是本系统导出的任务分解表"),
        ('{"format": "duban.taskbook", "version": 99}', "版本 99 不受支持"),
    ],
)
def test_broken_or_foreign_json(db, tmp_path, content, message):
    p = tmp_path / "b.json"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(TaskbookError, match=message):
        plan_import(p, year=2026)


def test_text_file_named_xlsx(db, tmp_path):
    p = tmp_path / "t.xlsx"
    p.write_text("序号,工作任务\n", encoding="utf-8")
    with pytest.raises(TaskbookError, match="内容不是 Excel 工作簿"):
        plan_import(p, year=2026)


def test_rows_with_missing_task_or_lead(org, tmp_path):
    p = tmp_path / "b.csv"
    p.write_text(
        "序号,工作任务,牵头单位,配合单位\n1,,市商务局,\n2,建新城,,市财政局\n3,修路,,\n",
        encoding="utf-8",
    )
    pv = plan_import(p, year=2026)
    assert [str(e) for e in pv.errors] == [
        "第2行 工作任务：未填写工作任务",
        "第3行 牵头单位：填写了责任单位但未填写牵头单位",
    ]
    assert [str(w) for w in pv.warnings] == ["第4行 牵头单位：未填写牵头单位，导入后需另行交办"]


def test_bold_heading_rows_without_merge_in_the_numbering_column(org, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号", "工作任务", "牵头单位"])
    ws.append(["一", "稳增长"])  # numbering in 序号, heading in 工作任务
    ws.append([1, "扩大投资", "市发改委"])
    ws.append(["第二部分 保民生"])
    ws["A4"].font = Font(bold=True)
    ws.append([1, "稳就业", "市商务局"])
    p = tmp_path / "h.xlsx"
    wb.save(p)
    pv = plan_import(p, year=2026)
    assert pv.ok
    assert [(n.code, n.name) for n in pv.nodes] == [("1", "稳增长"), ("2", "保民生")]
    assert [(t.code, t.node_code) for t in pv.tasks] == [("1.1", "1"), ("2.1", "2")]
