"""Class 2: a report sheet that claims a million rows is refused before its rows are read.

The probe's 12 KB sheet with one cell at row 1,048,576 took 80 s and 3 GB; one at row
100,000 took 7.3 s through the clerk's desk. The task book's row guard now covers the
report sheet, and the reader walks only rows that hold something.
"""

# ruff: noqa: F811 - the shared fixtures are imported by name and used as arguments
from __future__ import annotations

import openpyxl.worksheet.worksheet as worksheet
import pytest

from duban.plans.taskbook import MAX_ROWS
from duban.plans.tests.test_views import frozen, world  # noqa: F401 - fixtures
from duban.supervision.models import ProgressReport
from duban.supervision.reportbook import import_report_sheets
from duban.supervision.tests.test_reportbook import ID, fill, saved, sheet_for, texts


@pytest.fixture
def counted_cells(monkeypatch):
    """How many times the reader asks openpyxl for a cell (each may create one)."""
    calls = {"n": 0}
    original = worksheet.Worksheet.cell

    def cell(self, *args, **kwargs):
        calls["n"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(worksheet.Worksheet, "cell", cell)
    return calls


def test_a_cell_at_the_last_excel_row_is_refused_with_the_task_book_message(world, counted_cells):
    wb = sheet_for(world)
    fill(wb, 4, 50)
    wb["进展报送表"]["C1048576"] = "x"
    preview = import_report_sheets([saved(wb)], actor=world["people"]["clerk"])
    assert len(preview.errors) == 1
    assert "有 1048576 行，超过单次导入上限 100000 行；请拆分后导入" in texts(preview)[0]
    assert counted_cells["n"] < 100  # refused before the rows were walked
    assert not ProgressReport.objects.exists()


def test_a_stray_cell_far_below_the_table_costs_one_row_not_a_hundred_thousand(
    world, counted_cells
):
    wb = sheet_for(world)
    fill(wb, 4, 50)
    ws = wb["进展报送表"]
    ws.protection.sheet = False
    ws[f"{ID}{MAX_ROWS}"] = "999999"
    preview = import_report_sheets([saved(wb)], actor=world["people"]["clerk"])
    assert f"第{MAX_ROWS}行 任务ID：任务ID“999999”不是这份报送表导出的任务" in texts(preview)[0]
    assert counted_cells["n"] < 200


def test_a_styled_but_empty_million_row_sheet_reads_only_its_table(world, counted_cells):
    wb = sheet_for(world)
    fill(wb, 4, 50)
    wb["进展报送表"].cell(row=1_048_576, column=3).number_format = "0.00"
    preview = import_report_sheets([saved(wb)], actor=world["people"]["clerk"])
    assert preview.errors == [] and len(preview.rows) >= 1
    assert counted_cells["n"] < 200
