"""Fixtures of the task book tests (test_taskbook.py, test_taskbook_files.py): the org
with the usual long unit names, a leader, and a hand-made book in the customary layout."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from duban.core.models import AuditEntry
from duban.plans.models import Assignment, FrameworkNode, Plan, Task


@pytest.fixture
def org(units):
    """The conftest units plus two with the usual long names and aliases."""
    from duban.org.models import Unit

    root = units["root"]
    units["zj"] = Unit.objects.create(
        name="市住房和城乡建设局", short_name="市住建局", kind="government", parent=root
    )
    units["gx"] = Unit.objects.create(
        name="市工业和信息化局",
        short_name="市工信局",
        aliases=["市工业信息化局"],
        kind="government",
        parent=root,
    )
    return units


@pytest.fixture
def leader(org):
    from duban.org.services import create_user

    return create_user("zhangming", password="pw-leader-1", display_name="张明")


def _counts() -> dict[str, int]:
    return {
        "plans": Plan.objects.count(),
        "nodes": FrameworkNode.objects.count(),
        "tasks": Task.objects.count(),
        "assignments": Assignment.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def build_book(path: Path, *, bad_unit: str | None = None) -> Path:
    """The customary layout, as a clerk makes it by hand."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "分解表"
    ws["A1"] = "2026年市政府重点工作任务分解表"
    ws.merge_cells("A1:G1")
    ws["A2"] = "（市政府督查室 2026年2月）"
    ws.merge_cells("A2:G2")
    # Two-row header: 责任单位 spans 牵头单位 | 配合单位; the others span both rows.
    for col, label in zip(
        "ABEFG", ["序号", "工作任务", "责任领导", "完成时限", "阶段目标"], strict=True
    ):
        ws[f"{col}3"] = label
        ws.merge_cells(f"{col}3:{col}4")
    ws["C3"] = "责任单位"
    ws.merge_cells("C3:D3")
    ws["C4"] = "牵头单位"
    ws["D4"] = "配合单位"
    ws["A5"] = "一、着力扩大有效需求"
    ws.merge_cells("A5:G5")
    ws["A6"] = "（一）扩大有效投资"
    ws.merge_cells("A6:G6")
    ws.append(
        [
            1,
            "加快重大项目建设，全年完成投资500亿元",
            "市发改委",
            "市财政局、市住建局",
            "张明",
            "6月底前",
            "3月底前开工",
        ]
    )
    ws.append([2, "推进城市更新行动", None, "市住房和城乡建设局；\n市商务局", "张明", 46203, None])
    ws.merge_cells("C7:C8")  # one lead unit for both tasks
    ws["A9"] = "二、着力稳定外贸外资"
    ws.merge_cells("A9:G9")
    ws.append([1, "稳住外贸基本盘", "市商务局", "发展和改革委员会", "李四副市长", "年底前", None])
    ws.append([2, "持续优化营商环境", "市商务局", None, None, "长期坚持", None])
    ws.append(
        [
            3,
            "推进数字化转型",
            bad_unit or "市工信局",
            "市财政局,市商务局",
            None,
            dt.datetime(2026, 9, 30),
            None,
        ]
    )
    ws["A13"] = "注：各牵头单位于每月5日前报送进展。"
    ws.merge_cells("A13:G13")
    wb.save(path)
    return path


@pytest.fixture
def book(tmp_path) -> Path:
    return build_book(tmp_path / "任务分解表.xlsx")
