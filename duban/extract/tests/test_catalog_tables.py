"""An office's own catalog as CSV or XLSX: columns by name, leaders, clear E012 errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.units import load_catalog, suggest

CSV = """单位,简称,别名,职责,关键词,分管领导,类型
青澜市财政局,市财政局,财政局、市财局,预算编制与执行；政府债务管理,专项债,王副市长,政府部门
青澜市商务局,市商务局,商务局,扩大消费与促进消费政策；对外贸易与进出口促进,,王副市长,政府部门
青澜市文旅局,,文旅局,旅游景区与文旅融合；公共文化服务,夜市,李副市长,政府部门
澜江区,,,,,,区县
"""


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_csv_catalog_with_chinese_headers(tmp_path: Path) -> None:
    path = tmp_path / "本市单位.csv"
    path.write_text(CSV, encoding="utf-8-sig")  # Excel's “CSV UTF-8” has a BOM
    catalog = load_catalog(path)
    assert [u.short for u in catalog.units] == ["市财政局", "市商务局", "青澜市文旅局", "澜江区"]
    fin = catalog.get("市财政局")
    assert fin.aliases == ["财政局", "市财局"]
    assert fin.duties == ["预算编制与执行", "政府债务管理"]
    assert fin.keywords == ["专项债"]
    assert catalog.get("澜江区").kind == "district"
    assert [(ld.name, ld.portfolio) for ld in catalog.leaders] == [
        ("王副市长", ["青澜市财政局", "青澜市商务局"]),
        ("李副市长", ["青澜市文旅局"]),
    ]
    # duties alone make a unit reachable, and the leader follows the lead
    got = suggest("加强政府债务管理，用好专项债", catalog)
    assert got.leads[0].unit == "青澜市财政局"
    assert got.leader is not None and got.leader.name == "王副市长"
    got = suggest("完善公共文化服务，繁荣夜市经济", catalog)
    assert got.leads[0].unit == "青澜市文旅局" and got.leader.name == "李副市长"


def test_csv_saved_by_a_chinese_excel_in_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(CSV.encode("gb18030"))
    assert load_catalog(path).get("市商务局") is not None


def test_xlsx_catalog_with_english_headers(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "units.xlsx",
        [
            ["unit", "aliases", "duties", "leader", "kind"],
            ["市教育局", "教育局/教体局", "学前教育与义务教育\n职业教育", "张副市长", "government"],
            ["市委组织部", None, "干部队伍建设；人才工作", None, "党委部门"],
            [None, None, None, None, None],  # blank rows are skipped
        ],
    )
    catalog = load_catalog(path)
    assert [u.name for u in catalog.units] == ["市教育局", "市委组织部"]
    assert catalog.get("教体局").duties == ["学前教育与义务教育", "职业教育"]
    assert catalog.get("市委组织部").kind == "party"
    assert suggest("推进义务教育优质均衡发展", catalog).leads[0].unit == "市教育局"


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    return path


BAD_CSV = [
    ("", "是空的"),
    ("名字,职责\n市财政局,预算\n", "第 1 行应为表头"),
    ("单位,职责\n", "只有表头"),
    ("单位,职责\n市财政局,预算\n,债务\n", "第 3 行缺少单位名称"),
    ("单位,类型\n市财政局,局\n", "第 2 行“类型”列的「局」无法识别"),
    ("单位,简称\n市财政局,财政局\n青澜市财政局,财政局\n", "第 3 行的单位「财政局」与第 2 行重复"),
]


@pytest.mark.parametrize(("content", "mentions"), BAD_CSV)
def test_bad_csv_is_e012_naming_the_row(tmp_path: Path, content: str, mentions: str) -> None:
    with pytest.raises(ExtractError) as exc:
        load_catalog(_csv(tmp_path, content))
    assert exc.value.code == ErrorCode.E012_BAD_CATALOG
    assert mentions in exc.value.message, exc.value.message
    assert "\n" not in exc.value.message


def test_binary_or_undecodable_csv_is_e012(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(b"\xff\xfe\x00\x00\x81\x30\xff")
    with pytest.raises(ExtractError) as exc:
        load_catalog(path)
    assert exc.value.code == ErrorCode.E012_BAD_CATALOG
    assert "CSV" in exc.value.message


def test_not_an_xlsx_is_e012(tmp_path: Path) -> None:
    path = tmp_path / "units.xlsx"
    path.write_text("单位\n市财政局\n", encoding="utf-8")
    with pytest.raises(ExtractError) as exc:
        load_catalog(path)
    assert exc.value.code == ErrorCode.E012_BAD_CATALOG
    assert "不是有效的 Excel" in exc.value.message


def test_missing_table_file_is_e012(tmp_path: Path) -> None:
    with pytest.raises(ExtractError) as exc:
        load_catalog(tmp_path / "nope.xlsx")
    assert "不存在" in exc.value.message


def test_a_json_leader_of_an_unknown_unit_is_e012(tmp_path: Path) -> None:
    """In a table the portfolio is the rows themselves; in JSON a typo must be caught."""
    path = tmp_path / "c.json"
    path.write_text(
        '{"leaders": [{"name": "王副市长", "portfolio": ["市财政局", "市税务"]}],'
        ' "units": [{"name": "市财政局"}]}',
        encoding="utf-8",
    )
    with pytest.raises(ExtractError) as exc:
        load_catalog(path)
    assert "分管的「市税务」不在目录中" in exc.value.message
