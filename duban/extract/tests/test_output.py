"""The task book outputs: Excel layout, Markdown, and JSON against the published schema."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import jsonschema
import openpyxl
import pytest

from duban.extract.model import (
    Article,
    Deadline,
    Framework,
    LeadSuggestion,
    ParsedDocument,
    Section,
    Target,
    Task,
)
from duban.extract.output import (
    COLUMNS,
    load_schema,
    task_rows,
    to_json,
    to_markdown,
    write_xlsx,
)

HEADERS = ["序号", "工作任务", "牵头单位", "责任单位", "责任领导", "完成时限", "来源"]


def make_doc() -> ParsedDocument:
    """A small hand-built report: two parts, two areas under the second, four tasks."""
    part1 = "一、2020年工作回顾\n过去一年成绩显著。\n"
    part2 = "二、2021年重点工作\n"
    area1 = (
        "（一）保持宏观政策连续性稳定性。\n要确保就业稳定，年底前完成。\n加快建设保障房|公租房。\n"
    )
    area2 = "（二）扩大内需。\n着力促消费增活力。\n稳外资稳外贸。\n"
    text = "政府工作报告\n" + part1 + part2 + area1 + area2
    i = text.index

    s1 = Section("2020年工作回顾", i("一、"), i("二、"), level=1, number="一、")
    s2 = Section("2021年重点工作", i("二、"), len(text), level=1, number="二、")
    a1 = Section("保持宏观政策连续性稳定性", i("（一）"), i("（二）"), level=2, number="（一）")
    a2 = Section("扩大内需", i("（二）"), len(text), level=2, number="（二）")
    art = Article("政府工作报告", 0, len(text), sections=[s1, s2, a1, a2])

    def task(n: int, phrase: str, **kw) -> Task:
        start = i(phrase)
        return Task(
            id=f"T{n:04d}", text=phrase, verb=phrase[:2], start=start, end=start + len(phrase), **kw
        )

    tasks = [
        task(
            1,
            "确保就业稳定",
            section="保持宏观政策连续性稳定性",
            deadline=Deadline("年底前", date(2021, 1, 1), date(2021, 12, 31)),
            lead_suggestions=[
                LeadSuggestion("人力资源社会保障部", 0.9, ["就业"]),
                LeadSuggestion("国家发展改革委", 0.5),
                LeadSuggestion("财政部", 0.4),
                LeadSuggestion("教育部", 0.1),
            ],
            co_units=[LeadSuggestion("国家发展改革委", 0.5), LeadSuggestion("财政部", 0.4)],
            leader={"name": "副总理甲", "units": ["人力资源社会保障部"]},
            framework="六稳",
            pillar="稳就业",
        ),
        task(
            2,
            "加快建设保障房|公租房",
            section="保持宏观政策连续性稳定性",
            actors=["住房城乡建设部", "各地区"],
        ),
        task(
            3,
            "着力促消费增活力",
            section="扩大内需",
            targets=[Target("社会消费品零售总额增长5%", "5%", 5.0, "%")],
            kind="indicator",
        ),
        task(4, "稳外资稳外贸", section="扩大内需"),
    ]
    return ParsedDocument(
        text=text,
        path="/tmp/report.txt",
        encoding="gb18030",
        date=date(2021, 3, 5),
        date_source="argument",
        articles=[art],
        frameworks=[Framework("六稳", 6, ["稳就业", "稳金融"], 0, 2, items_from="none")],
        tasks=tasks,
        warnings=["测试提示"],
    )


# --------------------------------------------------------------------------- xlsx


@pytest.fixture
def book(tmp_path: Path):
    path = tmp_path / "book.xlsx"
    write_xlsx(make_doc(), path)
    return openpyxl.load_workbook(path)


def test_xlsx_title_and_headers(book) -> None:
    ws = book["任务分解表"]
    assert ws["A1"].value == "政府工作报告任务分解表"
    assert "A1:G1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]] == HEADERS
    assert all(c.font.bold for c in ws[2])


def test_xlsx_rows_grouped_under_merged_bold_headings(book) -> None:
    ws = book["任务分解表"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    firsts = [r[0] for r in rows]
    assert firsts == [
        "二、2021年重点工作",
        "（一）保持宏观政策连续性稳定性",
        1,
        2,
        "（二）扩大内需",
        3,
        4,
    ]
    merged = {str(r) for r in ws.merged_cells.ranges}
    for r in (3, 4, 7):
        assert f"A{r}:G{r}" in merged
        assert ws.cell(row=r, column=1).font.bold
    assert not ws.cell(row=5, column=1).font.bold


def test_xlsx_task_cells(book) -> None:
    ws = book["任务分解表"]
    first = [c.value for c in ws[5]]
    assert first[:6] == [
        1,
        "确保就业稳定",
        "人力资源社会保障部",
        "国家发展改革委、财政部",
        "副总理甲",
        "年底前",
    ]
    assert first[6].startswith("政府工作报告（字符 ")
    doc = make_doc()
    t = doc.tasks[0]
    assert f"{t.start}–{t.end}" in first[6]
    second = [c.value for c in ws[6]]
    # no suggestions: lead empty, co-responsible falls back to the units the sentence names
    assert second[2] is None
    assert second[3] == "住房城乡建设部、各地区"
    assert second[4] is None and second[5] is None


def test_xlsx_layout_frozen_widths_print(book) -> None:
    ws = book["任务分解表"]
    assert ws.freeze_panes == "A3"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.print_title_rows == "$1:$2"
    assert ws.column_dimensions["B"].width == pytest.approx(COLUMNS[1].width)
    assert ws.column_dimensions["B"].width > ws.column_dimensions["A"].width
    assert ws["B5"].alignment.wrap_text


def test_xlsx_side_sheets(book) -> None:
    assert book.sheetnames == ["任务分解表", "提法", "说明"]
    fw = book["提法"]
    assert [c.value for c in fw[2]][:3] == ["六稳", 6, "稳就业、稳金融"]
    info = {r[0].value: r[1].value for r in book["说明"].iter_rows(min_row=2)}
    assert info["编码"] == "gb18030"
    assert info["基准日期"] == "2021-03-05"
    assert info["提示"] == "测试提示"


def test_xlsx_empty_document(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    write_xlsx(ParsedDocument(text=""), path)
    ws = openpyxl.load_workbook(path)["任务分解表"]
    assert [c.value for c in ws[2]] == HEADERS
    assert ws.max_row == 2


def test_grouping_when_headings_span_only_their_own_line() -> None:
    # The structure step may give a heading's span as the heading line alone; the heading
    # still governs the text up to the next heading of its level.
    doc = make_doc()
    for s in doc.articles[0].sections:
        s.end = doc.text.index("\n", s.start)
    for t in doc.tasks:
        t.section = None  # leave the filing to the headings alone
    headings = [content for level, content in task_rows(doc) if level]
    assert headings == ["二、2021年重点工作", "（一）保持宏观政策连续性稳定性", "（二）扩大内需"]


def test_multi_article_documents_group_by_article_first() -> None:
    doc = make_doc()
    second = Article("评论员文章", len(doc.text) - 5, len(doc.text))
    doc.articles.append(second)
    doc.tasks[-1].article = 1
    doc.tasks[-1].section = None
    levels = [(level, content) for level, content in task_rows(doc) if level]
    assert levels[0] == (1, "政府工作报告")
    assert levels[-1] == (1, "评论员文章")


# --------------------------------------------------------------------------- Markdown


def test_markdown_groups_and_table() -> None:
    md = to_markdown(make_doc())
    lines = md.split("\n")
    assert lines[0] == "# 政府工作报告任务分解表"
    assert "## 二、2021年重点工作" in lines
    assert "### （一）保持宏观政策连续性稳定性" in lines
    header = "| " + " | ".join(HEADERS) + " |"
    assert lines.count(header) == 2  # one table per area
    row = next(ln for ln in lines if ln.startswith("| 1 |"))
    assert (
        "| 确保就业稳定 | 人力资源社会保障部 | 国家发展改革委、财政部 | 副总理甲 | 年底前 |" in row
    )
    # a pipe in task text must not break the table
    row2 = next(ln for ln in lines if ln.startswith("| 2 |"))
    assert "保障房\\|公租房" in row2
    assert row2.count(" | ") == len(HEADERS) - 1
    assert "- 六稳（6）：稳就业、稳金融" in lines


def test_markdown_of_document_without_tasks() -> None:
    md = to_markdown(ParsedDocument(text="没有任务", warnings=["没有找到任务。"]))
    assert "（未找到任务）" in md
    assert "- 没有找到任务。" in md


# --------------------------------------------------------------------------- JSON + schema


def test_json_validates_against_schema_and_round_trips() -> None:
    doc = make_doc()
    data = json.loads(to_json(doc))
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    assert data == doc.to_dict()
    assert "确保就业稳定" in to_json(doc)  # Chinese stays readable, not \\u-escaped


def test_schema_is_valid_draft_2020_12() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(extra=1),
        lambda d: d["source"].update(extra=1),
        lambda d: d["tasks"][0].update(extra=1),
        lambda d: d["tasks"][0]["source"].update(extra=1),
        lambda d: d["articles"][0].update(extra=1),
        lambda d: d["articles"][0]["sections"][0].update(extra=1),
        lambda d: d["frameworks"][0].update(extra=1),
        lambda d: d["tasks"][0]["deadline"].update(extra=1),
        lambda d: d["tasks"][0]["lead_suggestions"][0].update(extra=1),
        lambda d: d["tasks"][2]["targets"][0].update(extra=1),
        lambda d: d["tasks"][0].pop("verb"),
        lambda d: d["tasks"][0]["deadline"].update(start="2021/01/01"),
        lambda d: d["tasks"][0].update(kind="other"),
        lambda d: d["source"].update(date_source="guess"),
    ],
)
def test_schema_catches_drift(mutate) -> None:
    data = copy.deepcopy(make_doc().to_dict())
    mutate(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(load_schema()).validate(data)


def test_clauses_of_a_commitment_are_sub_rows(tmp_path: Path) -> None:
    from duban.extract.pipeline import extract_text

    doc = extract_text(
        "一、2026年重点工作\n（一）扩大内需。\n要加快推进重大项目建设，着力优化营商环境。\n",
        date=date(2026, 2, 1),
    )
    rows = [cells for level, cells in task_rows(doc) if level == 0]
    assert [r[:2] for r in rows] == [
        [1, "要加快推进重大项目建设，着力优化营商环境"],
        ["1.1", "要加快推进重大项目建设"],
        ["1.2", "着力优化营商环境"],
    ]
    path = tmp_path / "book.xlsx"
    write_xlsx(doc, path)
    ws = openpyxl.load_workbook(path).active
    numbers = [ws.cell(row=r, column=1).value for r in range(3, ws.max_row + 1)]
    assert numbers[-3:] == [1, "1.1", "1.2"]
    assert ws.cell(row=ws.max_row, column=2).alignment.indent == 2
    assert "| 1.2 | 着力优化营商环境 |" in to_markdown(doc)
