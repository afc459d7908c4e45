"""The task book import/export machine, against hand-made books like the office's own.

Books are built with openpyxl in the tests: a title over the header, a two-row header
(「责任单位」 over 「牵头单位 | 配合单位」), framework headings merged across the row, a lead
unit merged over two task rows, several units in one cell, deadlines as text, as Excel
serials and as real dates.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from duban.core.models import AuditEntry
from duban.plans import taskbook
from duban.plans.models import Assignment, FrameworkNode, Plan, Task
from duban.plans.taskbook import (
    TaskbookError,
    commit_import,
    export_csv,
    export_json,
    export_xlsx,
    plan_import,
    propose_mapping,
    read_sheets,
    resolve_deadline,
    split_units,
)

# ---------------------------------------------------------------- fixtures
from duban.plans.tests.conftest import _counts, build_book


def snapshot(plan: Plan) -> dict:
    """What must survive export → import: nodes, texts, codes, units, leaders, deadlines."""
    nodes = {
        n.code: (n.name, n.parent.code if n.parent else None)
        for n in plan.framework_nodes.select_related("parent")
    }
    tasks = {}
    for t in plan.tasks.select_related("framework_node", "assignment__lead_unit"):
        a = getattr(t, "assignment", None)
        tasks[t.code] = {
            "text": t.text,
            "node": t.framework_node.code if t.framework_node else None,
            "lead": a.lead_unit.name if a else None,
            "co": sorted(u.name for u in a.co_units.all()) if a else [],
            "leader": a.leader_in_charge_id if a else None,
            "leader_text": (t.extracted.get("taskbook") or {}).get("leader_text", ""),
            "deadline_text": t.deadline_text,
            "deadline": t.deadline,
            "measures": t.measures,
            "stage_goals": (t.extracted.get("taskbook") or {}).get("stage_goals", ""),
            "items": taskbook.task_items(t),
        }
    return {"nodes": nodes, "tasks": tasks}


# ---------------------------------------------------------------- mapping


def test_mapping_finds_two_row_header_below_title(book):
    sheet = read_sheets(book)[0]
    m = propose_mapping(sheet)
    assert (m.header_start, m.header_end) == (2, 3)  # 0-based rows 3 and 4
    assert m.columns == {
        "seq": 0,
        "task": 1,
        "lead": 2,
        "co": 3,
        "leader": 4,
        "deadline": 5,
        "milestones": 6,
    }
    assert m.combined_units is False
    assert m.overall_confidence == 1.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["序号", "主要任务", "牵头单位", "协办单位", "分管领导", "时间节点"],
            {"task": 1, "co": 3, "leader": 4, "deadline": 5},
        ),
        (
            ["编号", "任务内容", "牵头部门", "配合单位", "牵头领导", "完成时间"],
            {"seq": 0, "task": 1, "lead": 2, "leader": 4},
        ),
        (
            ["序号", "具体任务", "责任单位", "责任领导", "完成时限", "工作措施"],
            {"task": 1, "co": 2, "measures": 5},
        ),
        (
            ["序 号", "工作\n任务", "牵头\n单位", "完成时限（2026年）"],
            {"seq": 0, "task": 1, "lead": 2, "deadline": 3},
        ),
    ],
)
def test_mapping_reads_header_synonyms(headers, expected):
    sheet = taskbook.Sheet("S", [["某某市2026年重点任务"], headers, ["1", "x"]], kind="csv")
    m = propose_mapping(sheet)
    assert m.header_start == 1
    for key, col in expected.items():
        assert m.columns[key] == col, key


def test_mapping_one_unit_column_means_first_unit_leads(org, tmp_path):
    p = tmp_path / "b.csv"
    p.write_text(
        "序号,工作任务,责任单位,完成时限\n"
        "1,扩大消费,市商务局、市财政局,年底前\n"
        "2,招商引资,市财政局、市发改委（牵头）,9月底前\n",
        encoding="utf-8",
    )
    pv = plan_import(p, year=2026)
    assert pv.mapping.combined_units
    assert [(t.lead_unit.name, [u.name for u in t.co_units]) for t in pv.tasks] == [
        ("市商务局", ["市财政局"]),
        ("市发展和改革委员会", ["市财政局"]),
    ]


def test_mapping_override_by_letter(org, tmp_path):
    p = tmp_path / "b.csv"
    p.write_text("甲,乙,丙\n1,建设新城,市商务局\n", encoding="utf-8")
    with pytest.raises(TaskbookError, match="找不到表头"):
        plan_import(p, year=2026)
    pv = plan_import(p, year=2026, mapping={"表头行": "1", "工作任务": "B", "牵头单位": "C"})
    assert pv.ok, pv.errors
    assert [(t.text, t.lead_unit.name) for t in pv.tasks] == [("建设新城", "市商务局")]


def test_a_confirmed_mapping_can_be_kept_as_json_and_applied_again(org, book):
    first = plan_import(book, year=2026)
    kept = json.loads(json.dumps(first.mapping.as_overrides(), ensure_ascii=False))
    assert kept == {
        "表头行": "3",
        "序号": "A",
        "工作任务": "B",
        "牵头单位": "C",
        "责任单位": "D",
        "责任领导": "E",
        "完成时限": "F",
        "阶段目标": "G",
    }
    again = plan_import(book, year=2026, mapping=kept)
    assert again.mapping.columns == first.mapping.columns
    assert (again.mapping.header_start, again.mapping.header_end) == (2, 3)
    assert [t.to_dict() for t in again.tasks] == [t.to_dict() for t in first.tasks]


# ---------------------------------------------------------------- units and deadlines


@pytest.mark.parametrize(
    ("written", "unit"),
    [
        ("市发改委", "fgw"),
        ("市发展和改革委员会", "fgw"),
        ("发展和改革委员会", "fgw"),
        ("市发展改革委", "fgw"),
        ("发改委", "fgw"),
        ("市住建局", "zj"),
        ("住房和城乡建设局", "zj"),
        ("市工业信息化局", "gx"),
        ("市财政局", "cz"),
        (" 市商务局 ", "sw"),
    ],
)
def test_unit_names_match_the_org_with_variants(org, written, unit):
    assert taskbook.UnitResolver().resolve(written.strip()) == org[unit]


def test_split_units_keeps_brackets_whole():
    assert split_units("市发改委、市财政局；\n市商务局,市工信局 市住建局") == [
        "市发改委",
        "市财政局",
        "市商务局",
        "市工信局",
        "市住建局",
    ]
    assert split_units("各县（市、区）政府") == ["各县（市、区）政府"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6月底前", ("6月底前", dt.date(2026, 6, 30))),
        ("年底前", ("年底前", dt.date(2026, 12, 31))),
        ("2026年9月", ("2026年9月", dt.date(2026, 9, 30))),
        ("2027年3月底", ("2027年3月底", dt.date(2027, 3, 31))),
        ("三季度末", ("三季度末", dt.date(2026, 9, 30))),
        ("上半年", ("上半年", dt.date(2026, 6, 30))),
        ("2026年10月15日", ("2026年10月15日", dt.date(2026, 10, 15))),
        ("2026/5/8", ("2026/5/8", dt.date(2026, 5, 8))),
        ("长期坚持", ("长期坚持", None)),
        ("持续推进", ("持续推进", None)),
        (46203, ("", dt.date(2026, 6, 30))),
        ("46203", ("", dt.date(2026, 6, 30))),
        (dt.datetime(2026, 9, 30), ("", dt.date(2026, 9, 30))),
        ("2026-11-30", ("", dt.date(2026, 11, 30))),
        (None, ("", None)),
    ],
)
def test_deadlines_resolve_with_the_plan_year(value, expected):
    text, date, problem = resolve_deadline(value, 2026)
    assert (text, date) == expected
    assert problem is None


def test_deadline_problems_are_reported():
    assert resolve_deadline(12, 2026)[2] == "无法识别的完成时限“12”（不是日期）"
    text, date, problem = resolve_deadline("按上级要求", 2026)
    assert (text, date) == ("按上级要求", None)
    assert problem == "“按上级要求”无法识别为日期，按文字保存"


# ---------------------------------------------------------------- dry run


def test_dry_run_shows_exactly_what_will_be_created_and_writes_nothing(org, leader, book):
    before = _counts()
    pv = plan_import(book, year=2026)
    assert _counts() == before
    assert pv.ok, [str(e) for e in pv.errors]
    assert pv.title == "2026年市政府重点工作任务分解表"
    assert [(n.code, n.name, n.parent_code) for n in pv.nodes] == [
        ("1", "着力扩大有效需求", None),
        ("1.1", "扩大有效投资", "1"),
        ("2", "着力稳定外贸外资", None),
    ]
    got = [
        (
            t.row,
            t.code,
            t.node_code,
            t.lead_unit.short_name or t.lead_unit.name,
            sorted(u.name for u in t.co_units),
            t.leader,
            t.leader_text,
            t.deadline_text,
            t.deadline,
        )
        for t in pv.tasks
    ]
    assert got == [
        (
            7,
            "1.1.1",
            "1.1",
            "市发改委",
            ["市住房和城乡建设局", "市财政局"],
            leader,
            "",
            "6月底前",
            dt.date(2026, 6, 30),
        ),
        (
            8,
            "1.1.2",
            "1.1",
            "市发改委",
            ["市住房和城乡建设局", "市商务局"],
            leader,
            "",
            "",
            dt.date(2026, 6, 30),
        ),
        (
            10,
            "2.1",
            "2",
            "市商务局",
            ["市发展和改革委员会"],
            None,
            "李四副市长",
            "年底前",
            dt.date(2026, 12, 31),
        ),
        (11, "2.2", "2", "市商务局", [], None, "", "长期坚持", None),
        (12, "2.3", "2", "市工信局", ["市商务局", "市财政局"], None, "", "", dt.date(2026, 9, 30)),
    ]
    assert pv.tasks[0].stage_goals == "3月底前开工"
    assert len(pv.assignments) == 5
    assert [str(w) for w in pv.warnings] == [
        "第10行 责任领导：“李四副市长”不是系统用户，按文字保存"
    ]
    assert pv.summary() == (
        "新建方案“2026年市政府重点工作任务分解表”（2026年度）：框架节点 3 个，任务 5 项，交办 5 项；"
        "错误 0 处，提示 1 处。"
    )


def test_unknown_unit_is_a_row_error_naming_row_and_column(org, tmp_path):
    book = build_book(tmp_path / "b.xlsx", bad_unit="市大数据局")
    pv = plan_import(book, year=2026)
    assert [str(e) for e in pv.errors] == ["第12行 牵头单位：找不到单位“市大数据局”"]
    assert pv.errors[0].letter == "C"


def test_progress_is_reported(org, book):
    calls = []
    plan_import(book, year=2026, on_progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1] > 0


# ---------------------------------------------------------------- commit


def test_commit_writes_every_row_audited(org, leader, office_user, book):
    pv = plan_import(book, year=2026)
    plan = commit_import(pv, actor=office_user)
    assert plan.title == "2026年市政府重点工作任务分解表" and plan.year == 2026
    assert plan.framework_nodes.count() == 3
    assert plan.tasks.count() == 5
    assert Assignment.objects.filter(task__plan=plan).count() == 5
    t = plan.tasks.get(code="1.1.2")
    assert t.framework_node.name == "扩大有效投资"
    assert t.framework_node.parent.name == "着力扩大有效需求"
    assert t.assignment.lead_unit == org["fgw"]
    assert set(t.assignment.co_units.all()) == {org["zj"], org["sw"]}
    assert t.assignment.leader_in_charge == leader
    entries = AuditEntry.for_object(t)
    assert entries.filter(action="create", actor=office_user).exists()
    assert AuditEntry.objects.filter(event="task_assigned", actor=office_user).count() == 5
    assert AuditEntry.for_object(plan).filter(event="taskbook_imported").exists()


def test_a_preview_commits_once(org, office_user, book):
    pv = plan_import(book, year=2026)
    commit_import(pv, actor=office_user)
    before = _counts()
    with pytest.raises(TaskbookError, match="已经导入过了"):
        commit_import(pv, actor=office_user)
    assert _counts() == before


def test_upload_as_file_object(org, book):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("上传.xlsx", book.read_bytes())
    pv = plan_import(upload, year=2026)
    assert pv.source == "上传.xlsx" and len(pv.tasks) == 5
    pv = plan_import(io.BytesIO(book.read_bytes()), filename="b.xlsx", year=2026)
    assert len(pv.tasks) == 5


def test_unknown_columns_are_named_once(org, tmp_path):
    p = tmp_path / "b.csv"
    p.write_text("工作任务,牵头单位,备注\n甲,市商务局,无\n乙,市商务局,无\n", encoding="utf-8")
    pv = plan_import(p, year=2026)
    assert [str(w) for w in pv.warnings] == ["第1行 备注：C列不是任务分解表的标准列，导入时忽略"]


def test_commit_refuses_a_book_with_one_bad_row(org, office_user, tmp_path):
    book = build_book(tmp_path / "b.xlsx", bad_unit="市大数据局")
    before = _counts()
    pv = plan_import(book, year=2026)
    with pytest.raises(TaskbookError, match="有 1 处错误，未导入任何内容"):
        commit_import(pv, actor=office_user)
    assert _counts() == before


def test_commit_is_all_or_none_when_a_write_fails(org, office_user, book, monkeypatch):
    """The tasks and assignments are inserted, then writing their audit rows fails."""
    from duban.core import audit

    def failing(entries):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "write_all", failing)
    before = _counts()
    pv = plan_import(book, year=2026)
    with pytest.raises(RuntimeError):
        commit_import(pv, actor=office_user)
    assert _counts() == before


def test_import_into_existing_plan_refuses_duplicate_codes(org, office_user, book, plan):
    commit_import(plan_import(book, plan=plan), actor=office_user)
    again = plan_import(book, plan=plan)
    assert again.errors and str(again.errors[0]) == "第7行 序号：编号“1.1.1”与方案中已有任务重复"
    # The headings exist already: they are found, not created again.
    assert again.new_nodes == []


# ---------------------------------------------------------------- export and round trip


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_export_then_import_gives_back_the_same_plan(org, leader, office_user, book, tmp_path, fmt):
    original = commit_import(plan_import(book, year=2026), actor=office_user)
    Task.objects.filter(plan=original, code="2.2").update(measures="建立“一企一策”机制\n按月调度")
    out = tmp_path / f"out.{fmt}"
    if fmt == "xlsx":
        export_xlsx(original, out)
    elif fmt == "csv":
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            export_csv(original, fh)
    else:
        out.write_text(json.dumps(export_json(original), ensure_ascii=False), encoding="utf-8")
    pv = plan_import(out, year=2026)
    assert pv.ok, [str(e) for e in pv.errors]
    copy = commit_import(pv, actor=office_user)
    assert copy.pk != original.pk
    assert copy.title == original.title
    assert snapshot(copy) == snapshot(original)


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_a_commitments_clauses_are_sub_rows_that_come_back_as_clauses(
    org, leader, office_user, book, tmp_path, fmt
):
    # A task proposed from a report keeps its clauses (extracted["items"]); the book shows
    # them as sub-rows 2.2.1, 2.2.2 and reading the book back keeps them as clauses.
    original = commit_import(plan_import(book, year=2026), actor=office_user)
    task = Task.objects.get(plan=original, code="2.2")
    task.extracted = {
        **task.extracted,
        "items": [{"text": "稳外资", "verb": "稳"}, {"text": "促外贸", "verb": "促"}],
    }
    task.save()
    out = tmp_path / f"out.{fmt}"
    if fmt == "xlsx":
        export_xlsx(original, out)
        rows = [[c.value for c in r] for r in openpyxl.load_workbook(out).active.iter_rows()]
        at = next(i for i, r in enumerate(rows) if r[0] == "2.2")
        assert rows[at + 1][:3] == ["2.2.1", "稳外资", None]
        assert rows[at + 2][:3] == ["2.2.2", "促外贸", None]
    elif fmt == "csv":
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            export_csv(original, fh)
        assert "2.2.1,稳外资" in out.read_text(encoding="utf-8-sig")
    else:
        out.write_text(json.dumps(export_json(original), ensure_ascii=False), encoding="utf-8")
    pv = plan_import(out, year=2026)
    assert pv.ok, [str(e) for e in pv.errors]
    copy = commit_import(pv, actor=office_user)
    assert copy.tasks.count() == original.tasks.count()
    assert taskbook.task_items(copy.tasks.get(code="2.2")) == ["稳外资", "促外贸"]
    assert snapshot(copy) == snapshot(original)


def test_a_numbered_sub_row_with_its_own_unit_stays_a_task(org, office_user, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号", "工作任务", "牵头单位"])
    ws.append(["1", "推进城市更新", "市住建局"])
    ws.append(["1.1", "改造老旧小区120个", "市住建局"])
    ws.append(["1.1.1", "同步加装电梯", None])
    ws.append(["1.2", "整治背街小巷", None])  # a sibling, not a clause: a task to assign
    path = tmp_path / "book.xlsx"
    wb.save(path)
    pv = plan_import(path, year=2026)
    assert [t.code for t in pv.tasks] == ["1", "1.1", "1.2"]
    assert pv.tasks[1].items == ["同步加装电梯"]
    assert pv.tasks[0].items == [] and pv.tasks[2].items == []


def test_json_into_an_existing_plan_reuses_its_headings(org, office_user, book, plan):
    source = commit_import(plan_import(book, year=2026), actor=office_user)
    data = export_json(source)
    node = FrameworkNode.objects.create(plan=plan, name="着力稳定外贸外资", code="9", sort_order=1)
    other = FrameworkNode.objects.create(plan=plan, name="其他工作", code="8", sort_order=2)
    for t in data["tasks"]:
        t["code"] = "x" + t["code"]
    data["tasks"][0]["framework"] = "7"  # no such heading in the file
    p = Path(book).with_suffix(".json")
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    pv = plan_import(p, plan=plan)
    assert [str(e) for e in pv.errors] == ["第1项 框架：所属框架“7”不存在"]
    data["tasks"][0]["framework"] = "8"  # the plan's own heading, not in the file
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    pv = plan_import(p, plan=plan)
    assert pv.ok, [str(e) for e in pv.errors]
    commit_import(pv, actor=office_user)
    # The file's heading 「2 着力稳定外贸外资」 is the plan's node 9: its tasks go there.
    assert set(node.tasks.values_list("code", flat=True)) == {"x2.1", "x2.2", "x2.3"}
    assert list(other.tasks.values_list("code", flat=True)) == ["x1.1.1"]


def test_export_xlsx_layout(org, leader, office_user, book, tmp_path):
    plan = commit_import(plan_import(book, year=2026), actor=office_user)
    out = tmp_path / "out.xlsx"
    export_xlsx(plan, out)
    ws = openpyxl.load_workbook(out).active
    assert ws["A1"].value == plan.title and ws["A1"].font.b
    assert [c.value for c in ws[2]] == [
        "序号",
        "工作任务",
        "牵头单位",
        "责任单位",
        "责任领导",
        "完成时限",
        "阶段目标",
    ]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:G1", "A3:G3", "A4:G4", "A7:G7"} <= merged
    assert ws["A3"].value == "一、着力扩大有效需求" and ws["A3"].font.b
    assert ws["A4"].value == "（一）扩大有效投资"
    assert ws["A5"].value == "1.1.1" and ws["C5"].value == "市发改委"
    assert ws["D5"].value == "市财政局、市住建局"
    assert ws["F6"].value.date() == dt.date(2026, 6, 30)  # a date kept as a date cell
    assert ws["B5"].alignment.wrap_text
    assert ws["B5"].border.left.style == "thin"
    assert ws.freeze_panes == "A3"
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert ws.print_title_rows == "$2:$2"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.column_dimensions["B"].width == 50


def test_export_never_writes_a_formula(org, office_user, tmp_path):
    p = tmp_path / "b.csv"
    p.write_text("序号,工作任务,牵头单位\n1,'=1+1 是测试,市商务局\n", encoding="utf-8")
    plan = commit_import(plan_import(p, year=2026), actor=office_user)
    assert plan.tasks.get().text == "=1+1 是测试"
    out = tmp_path / "o.xlsx"
    export_xlsx(plan, out)
    cell = openpyxl.load_workbook(out).active["B3"]
    assert cell.data_type == "s" and cell.value == "=1+1 是测试"
    buf = io.StringIO()
    export_csv(plan, buf)
    assert "'=1+1 是测试" in buf.getvalue()


_TEXT = (
    st.text(
        alphabet=st.sampled_from(
            list(
                "推进建设城乡数字经济改革开放发展稳就业保民生ABCxyz0123，。、；：“”《》（）=-+@' \n"
            )
        ),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)
_DEADLINES = st.sampled_from(
    ["6月底前", "年底前", "长期坚持", "2026年9月", "三季度末", dt.date(2026, 5, 20), None]
)


@st.composite
def _plans(draw):
    sections = draw(st.lists(_TEXT, max_size=3))
    tasks = draw(
        st.lists(
            st.tuples(
                st.integers(min_value=-1, max_value=max(0, len(sections) - 1)),
                _TEXT,
                st.sampled_from(["fgw", "sw", "cz", "zj", None]),
                st.lists(st.sampled_from(["fgw", "sw", "cz", "gx"]), max_size=3, unique=True),
                st.sampled_from(["leader", "李四副市长", None]),
                _DEADLINES,
                st.one_of(st.just(""), _TEXT),
            ),
            max_size=8,
        )
    )
    return sections, tasks


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
@given(data=_plans())
@hyp_settings(
    max_examples=20,
    deadline=None,
    derandomize=True,  # the same examples on every run and in CI
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_round_trip_holds_for_any_plan(org, leader, office_user, tmp_path, fmt, data):
    from duban.plans.services import assign_task

    sections, rows = data
    plan = Plan.objects.create(title="随机方案", year=2026)
    nodes = [
        FrameworkNode.objects.create(
            plan=plan, name="推" + name, code=str(i + 1), kind="section", sort_order=i + 1
        )
        for i, name in enumerate(sections)
    ]
    if not nodes:
        rows = [(-1, *r[1:]) for r in rows]
    rows = sorted(rows, key=lambda r: r[0])  # book order: loose tasks, then each heading's
    counters: dict[int, int] = {}
    for k, (node_i, text, lead, co, who, deadline, measures) in enumerate(rows):
        counters[node_i] = counters.get(node_i, 0) + 1
        node = nodes[node_i] if node_i >= 0 else None
        dtext, ddate, _ = resolve_deadline(deadline, 2026)
        task = Task.objects.create(
            plan=plan,
            framework_node=node,
            code=f"{node.code}.{counters[node_i]}" if node else str(counters[node_i]),
            text=text,
            deadline_text=dtext,
            deadline=ddate,
            measures=measures,
            extracted={"taskbook": {"leader_text": who}} if who and who != "leader" else {},
            sort_order=k + 1,
        )
        if lead:
            assign_task(
                task,
                lead_unit=org[lead],
                co_units=[org[c] for c in co],
                leader=leader if who == "leader" else None,
                actor=office_user,
            )
    out = tmp_path / f"rt.{fmt}"
    if fmt == "xlsx":
        export_xlsx(plan, out)
    elif fmt == "csv":
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            export_csv(plan, fh)
    else:
        out.write_text(json.dumps(export_json(plan), ensure_ascii=False), encoding="utf-8")
    if not rows:
        with pytest.raises(TaskbookError):
            plan_import(out, year=2026)
        return
    pv = plan_import(out, year=2026)
    assert pv.ok, [str(e) for e in pv.errors]
    copy = commit_import(pv, actor=office_user)
    assert snapshot(copy) == snapshot(plan)


def test_export_drops_characters_excel_cannot_store(org, office_user, tmp_path):
    plan = Plan.objects.create(title="方案", year=2026)
    Task.objects.create(plan=plan, code="1", text="从 Word 粘贴\x0b的任务\x07")
    out = tmp_path / "o.xlsx"
    export_xlsx(plan, out)
    assert openpyxl.load_workbook(out).active["B3"].value == "从 Word 粘贴的任务"


# ---------------------------------------------------------------- CLI


def test_cli_dry_run_then_import_then_export(org, leader, book, tmp_path):
    from duban.plans.cli import export_command, import_command

    runner = CliRunner()
    before = _counts()
    r = runner.invoke(import_command, [str(book), "--dry-run", "--year", "2026"])
    assert r.exit_code == 0, r.output
    assert "框架节点 3 个，任务 5 项，交办 5 项；错误 0 处" in r.output
    assert "工作任务 ← B列“工作任务”" in r.output
    assert _counts() == before
    r = runner.invoke(import_command, [str(book), "--new", "测试方案"])
    assert r.exit_code == 0, r.output
    plan = Plan.objects.get(title="测试方案")
    assert plan.tasks.count() == 5
    out = tmp_path / "o.json"
    r = runner.invoke(export_command, [str(plan.pk), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert len(json.loads(out.read_text(encoding="utf-8"))["tasks"]) == 5


def test_cli_exits_2_with_row_errors_and_writes_nothing(org, tmp_path):
    from duban.plans.cli import import_command

    book = build_book(tmp_path / "b.xlsx", bad_unit="市大数据局")
    before = _counts()
    r = CliRunner().invoke(import_command, [str(book)])
    assert r.exit_code == 2
    assert "第12行 牵头单位：找不到单位“市大数据局”" in r.output
    assert _counts() == before
    r = CliRunner().invoke(import_command, [str(tmp_path / "b.xlsx"), "--map", "工作任务"])
    assert r.exit_code == 2


# ---------------------------------------------------------------- background job


def test_import_job_previews_then_commits(
    org, office_user, book, tmp_path, media_root, django_capture_on_commit_callbacks
):
    from duban.core.jobs import enqueue, run_one

    token = "a1" * 16 + ".xlsx"
    uploads = Path(media_root) / "uploads"
    uploads.mkdir(parents=True)
    stored = uploads / token
    stored.write_bytes(book.read_bytes())
    args = {"upload": token, "filename": "任务分解表.xlsx", "year": 2026}
    before = _counts()
    with django_capture_on_commit_callbacks(execute=True):
        enqueue("import_taskbook", args={**args, "dry_run": True})
        preview = run_one()
    assert preview.status == "done", preview.error
    assert "任务 5 项，交办 5 项；错误 0 处" in preview.result["summary"]
    assert {k: v for k, v in _counts().items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }
    assert stored.exists()  # kept for the commit
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(
            "import_taskbook",
            args={**args, "mapping": preview.result["mapping"], "user_id": office_user.pk},
        )
        done = run_one()
    assert done.status == "done", done.error
    plan = Plan.objects.get(pk=done.result["plan"])
    assert plan.tasks.count() == 5
    assert AuditEntry.for_object(plan).filter(actor=office_user, action="create").exists()
    assert not stored.exists()


def test_import_job_with_row_errors_writes_nothing(
    org, tmp_path, media_root, django_capture_on_commit_callbacks
):
    from duban.core.jobs import enqueue, run_one

    uploads = Path(media_root) / "uploads"
    uploads.mkdir(parents=True)
    token = "b2" * 16 + ".xlsx"
    build_book(uploads / token, bad_unit="市大数据局")
    before = {k: v for k, v in _counts().items() if k != "audit"}
    with django_capture_on_commit_callbacks(execute=True):
        enqueue("import_taskbook", args={"upload": token, "filename": "b.xlsx"})
        done = run_one()
    assert done.status == "done"
    assert done.result["error"] == "rows"
    assert [e["text"] for e in done.result["errors"]] == ["第12行 牵头单位：找不到单位“市大数据局”"]
    assert {k: v for k, v in _counts().items() if k != "audit"} == before


# ---------------------------------------------------------------- docs


def test_docs_list_every_column_and_synonym():
    """docs/import-export.md is what the office reads: it must not fall behind COLUMNS."""
    docs = (Path(__file__).resolve().parents[3] / "docs" / "import-export.md").read_text(
        encoding="utf-8"
    )
    missing = [s for c in taskbook.COLUMNS for s in (c.label, *c.synonyms) if s not in docs]
    assert missing == []


def _json_book(n: int) -> bytes:
    units = ["市发展和改革委员会", "市商务局", "市财政局", "市住房和城乡建设局"]
    return json.dumps(
        {
            "format": taskbook.JSON_FORMAT,
            "version": taskbook.JSON_VERSION,
            "title": "批量方案",
            "year": 2026,
            "framework": [{"code": "一", "name": "稳增长"}],
            "tasks": [
                {
                    "code": f"1.{i}",
                    "text": f"批量任务{i}",
                    "framework": "一",
                    "lead_unit": units[i % 4],
                    "co_units": [units[(i + 1) % 4], units[(i + 2) % 4]] if i % 3 == 0 else [],
                    "leader": "张明",
                    "deadline": "2026-12-31",
                }
                for i in range(1, n + 1)
            ],
        },
        ensure_ascii=False,
    ).encode("utf-8")


def test_bulk_commit_writes_the_same_audit_as_the_services(org, leader, office_user):
    pv = plan_import(_json_book(9), filename="book.json")
    assert not pv.errors
    plan = commit_import(pv, actor=office_user)
    tasks = list(plan.tasks.select_related("assignment").order_by("sort_order"))
    assert len(tasks) == 9
    for t in tasks:
        created = AuditEntry.for_object(t).get(action="create")
        assert created.actor == office_user and created.after["code"] == t.code
        assert created.after["text"] == t.text and created.object_repr == str(t)
        assigned = AuditEntry.for_object(t).get(event="task_assigned")
        assert assigned.after == {"lead_unit": str(t.assignment.lead_unit)}
        a_entries = AuditEntry.for_object(t.assignment)
        assert a_entries.get(action="create").after["lead_unit_id"] == t.assignment.lead_unit_id
        co = sorted(t.assignment.co_units.values_list("pk", flat=True))
        if co:
            change = a_entries.get(action="update")
            assert change.before == {"co_units": []} and change.after == {"co_units": co}
            assert change.changed == ["co_units"]
        else:
            assert not a_entries.filter(action="update").exists()
    assert sum(1 for t in tasks if t.assignment.co_units.exists()) == 3
    assert {e.request_id for e in AuditEntry.objects.filter(object_type="plans.task")} != {""}


def test_bulk_commit_writes_rows_in_bulk_not_one_by_one(org, leader, office_user):
    """400 tasks, each with an assignment, a third with co-units, and their audit rows:
    a few multi-row INSERTs (SQLite caps the parameters per statement, so about 50 rows
    each), not ten statements per row as through the services one by one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    large = plan_import(_json_book(400), filename="large.json")
    with CaptureQueriesContext(connection) as queries:
        plan = commit_import(large, actor=office_user)
    assert plan.tasks.count() == 400
    assert AuditEntry.objects.filter(event="task_assigned", actor=office_user).count() == 400
    assert len(queries.captured_queries) < 400 * 0.15
