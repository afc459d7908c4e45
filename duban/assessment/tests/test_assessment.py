"""考核: scores per lead unit with a breakdown, what-if, saving the scheme, Excel export.

Today is Monday 2026-03-16 (the ``world`` fixture); the period is the first quarter.
市商务局 closes a task 106 days early, sent the 03-06 report late, missed the 03-13 one and
got a 督办 notice; 市财政局 closed a task after its deadline, had a report returned and got
a 通报; 市教育局 leads a task that is red.
"""

# ruff: noqa: F811 - the shared fixtures are imported by name and used as arguments
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.assessment.models import AssessmentScheme
from duban.assessment.services import score_units
from duban.core.models import AuditEntry
from duban.plans.models import Task
from duban.plans.services import assign_task
from duban.plans.tests.test_views import client_for, frozen, world  # noqa: F401 - fixtures
from duban.supervision import services
from duban.supervision.lights import recompute_lights

Q1 = {"start": "2026-01-01", "end": "2026-03-31"}


def _task(world, code, unit, deadline, **kw):
    task = Task.objects.create(
        plan=world["plan"],
        code=code,
        text=f"任务{code}",
        status="confirmed",
        deadline=deadline,
        **kw,
    )
    assign_task(task, lead_unit=world["units"][unit], actor=world["people"]["office"])
    return task


def _report(world, task, who, end, approver):
    report = services.submit_report(
        Task.objects.get(pk=task.pk),
        actor=world["people"][who],
        period_start=end - dt.timedelta(days=6),
        period_end=end,
        due_date=end,
        percent=20,
        progress="进展",
    )
    return services.approve_report(report, actor=world["people"][approver])


@pytest.fixture
def year(world):
    office, p = world["people"]["office"], world["people"]
    _report(world, world["task"], "clerk", dt.date(2026, 3, 6), "unitlead")  # sent late today
    services.run_chasing()  # records 03-13 as missing
    early = _task(world, "2.1", "sw", dt.date(2026, 6, 30))
    services.request_closure(early, actor=p["unitlead"], note="已建成")
    services.decide_closure(early.closures.get(), actor=office, approve=True)
    late = _task(world, "2.2", "cz", dt.date(2026, 3, 10))
    services.request_closure(late, actor=p["colead"], note="已完成")
    services.decide_closure(late.closures.get(), actor=office, approve=True)
    returned = _task(world, "2.3", "cz", dt.date(2026, 12, 31))
    report = _report(world, returned, "coclerk", dt.date(2026, 3, 13), "colead")
    services.review_report(report, actor=office, accept=False, reason="缺少佐证材料")
    services.issue_notice(world["task"], level="supervise", reason="进展滞后", actor=office)
    services.issue_notice(returned, level="criticism", reason="多次退回", actor=office)
    _task(world, "2.4", "jy", dt.date(2026, 3, 1), start_date=dt.date(2026, 1, 5))
    recompute_lights()
    return world


def _by_name(scores):
    return {s.unit.name: s for s in scores}


def test_each_unit_scores_with_a_breakdown_of_every_point(year):
    scores = score_units(
        AssessmentScheme.current(), start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31)
    )
    by = _by_name(scores)
    assert set(by) == {"市商务局", "市财政局", "市教育局"}
    sw = {line.rule: line for line in by["市商务局"].lines}
    assert sw["base_on_time"].count == 1 and sw["base_on_time"].points == Decimal("10")
    assert sw["base_on_time"].items == ["2.1 2026-03-16"]
    assert sw["bonus_early"].points == Decimal("2")
    assert sw["deduct_late_report"].items == ["1.1 2026-03-06"]
    assert sw["deduct_late_report"].points == Decimal("-1")
    assert sw["deduct_missing_report"].items == ["1.1 2026-03-13"]
    assert sw["deduct_supervise"].items == ["1.1 2026-03-16"]
    assert by["市商务局"].total == Decimal("6")  # 10 + 2 − 1 − 2 − 3
    cz = {line.rule: line for line in by["市财政局"].lines}
    assert cz["base_on_time"].count == 0  # closed after its deadline
    assert cz["deduct_returned_report"].items == ["2.3 2026-03-13"]
    assert cz["deduct_criticism"].points == Decimal("-5")
    assert by["市财政局"].total == Decimal("-5.5")
    jy = {line.rule: line for line in by["市教育局"].lines}
    # Red now (the rule's snapshot), and red on the one day the nightly recompute ran.
    assert jy["deduct_red_task"].items == ["2.4"]
    assert jy["deduct_red_day"].items == ["2026-03-16 ×1"]
    assert jy["deduct_red_day"].points == Decimal("-0.1")
    assert by["市教育局"].total == Decimal("-2.1")
    assert [(s.unit.name, s.rank) for s in scores] == [
        ("市商务局", 1),
        ("市教育局", 2),
        ("市财政局", 3),
    ]


def test_a_period_before_the_facts_scores_only_the_red_task(year):
    scores = _by_name(
        score_units(
            AssessmentScheme.current(), start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31)
        )
    )
    assert scores["市商务局"].total == Decimal("0")
    assert scores["市教育局"].total == Decimal("-2")  # red now: the rule says so


def test_equal_totals_share_a_rank(year):
    scheme = AssessmentScheme.current()
    scheme.deduct_red_task = Decimal("5.5")
    scheme.deduct_red_day = Decimal("0")
    ranks = {
        s.unit.name: s.rank
        for s in score_units(scheme, start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
    }
    assert ranks == {"市商务局": 1, "市教育局": 2, "市财政局": 2}


def test_what_if_shows_the_new_ranking_and_saves_nothing(year):
    c = client_for(year, "office")
    page = c.get("/assessment/", Q1)
    assert page.status_code == 200
    assert "<title>考核 · duban</title>" in page.content.decode()
    assert page.content.decode().count('id="publish"') == 1
    data = {**Q1, **_scheme_data(), "deduct_supervise": "20", "whatif": "1"}
    r = c.post("/assessment/", data)
    assert r.status_code == 200
    html = r.content.decode()
    assert "试算排名（未保存）" in html
    rows = r.context["rows"]
    assert [s.unit.name for s in rows] == ["市教育局", "市财政局", "市商务局"]
    sw = rows[-1]
    assert sw.total == Decimal("-11") and sw.old_total == Decimal("6") and sw.moved == -2
    assert AssessmentScheme.current().deduct_supervise == Decimal("3")


def test_saving_the_scheme_is_audited_and_used(year):
    c = client_for(year, "office")
    r = c.post("/assessment/", {**Q1, **_scheme_data(), "deduct_supervise": "20", "save": "1"})
    assert r.status_code == 302
    assert AssessmentScheme.current().deduct_supervise == Decimal("20")
    entry = AuditEntry.objects.get(object_type="assessment.assessmentscheme", action="update")
    assert entry.actor == year["people"]["office"] and "deduct_supervise" in entry.changed
    html = c.get(r["Location"]).content.decode()
    assert "考核办法已保存。" in html


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"deduct_missing_report": "-1"}, "分值不能为负数；扣分项填写扣掉的分数。"),
        ({"base_on_time": "abc"}, "分值应为数字，例如 2 或 0.5。"),
        ({"bonus_early": "0.25"}, "分值最多保留一位小数。"),
        ({"start": "2026-04-01", "end": "2026-03-01"}, "考核期结束日期不能早于开始日期。"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(year, change, message):
    c = client_for(year, "office")
    r = c.post("/assessment/", {**Q1, **_scheme_data(), **change, "save": "1"})
    assert r.status_code == 400
    assert message in r.content.decode()
    assert AssessmentScheme.current().deduct_missing_report == Decimal("2")


@pytest.mark.parametrize("name", ["leader", "unitlead", "clerk", "viewer"])
def test_only_the_office_assesses(year, name):
    c = client_for(year, name)
    assert c.get("/assessment/").status_code == 403
    assert c.get("/assessment/export.xlsx").status_code == 403
    assert c.post("/assessment/", {**Q1, **_scheme_data(), "save": "1"}).status_code == 403


def test_the_excel_export_has_the_ranking_and_the_breakdown(year):
    r = client_for(year, "office").get("/assessment/export.xlsx", Q1)
    assert r.status_code == 200
    assert (
        r["Content-Disposition"] == 'attachment; filename="assessment-2026-01-01-2026-03-31.xlsx"'
    )
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    ranking = list(book["排名"].iter_rows(values_only=True))
    assert ranking[0][:3] == ("名次", "单位", "总分")
    assert ranking[1][:3] == (1, "市商务局", 6)
    detail = list(book["明细"].iter_rows(values_only=True))
    assert ("市商务局", "逾期报送", 1, 1, -1, "1.1 2026-03-06") in detail
    assert ("市财政局", "报告被退回", 1, 0.5, -0.5, "2.3 2026-03-13") in detail


def test_the_page_reads_a_fixed_number_of_queries(year, django_assert_max_num_queries):
    c = client_for(year, "office")
    c.get("/assessment/", Q1)  # the first visit creates the scheme with its defaults
    with CaptureQueriesContext(connection) as small:
        assert c.get("/assessment/", Q1).status_code == 200
    for i in range(15):
        t = _task(year, f"5.{i}", ["sw", "cz", "jy", "fgw"][i % 4], dt.date(2026, 3, 2))
        services.issue_notice(t, level="supervise", reason="滞后", actor=year["people"]["office"])
    recompute_lights()
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = c.get("/assessment/", Q1)
    assert "市发展和改革委员会" in r.content.decode()
    # Session and user, grants, the scheme, eight reads of facts, units, the releases…
    assert len(small.captured_queries) <= 17


def _scheme_data():
    return {
        "early_days": "30",
        "base_on_time": "10",
        "bonus_early": "2",
        "deduct_late_report": "1",
        "deduct_missing_report": "2",
        "deduct_returned_report": "0.5",
        "deduct_red_task": "2",
        "deduct_red_day": "0.1",
        "bonus_praise": "2",
        "deduct_supervise": "3",
        "deduct_criticism": "5",
    }


def test_the_ranking_over_the_api_is_the_pages(year):
    from rest_framework.test import APIClient

    office = APIClient()
    office.force_authenticate(year["people"]["office"])
    answer = office.get("/api/assessments/", {"start": "2026-01-01", "end": "2026-03-31"})
    assert answer.status_code == 200, answer.content
    rows = answer.json()
    assert [(r["unit_name"], r["rank"], r["total"]) for r in rows] == [
        ("市商务局", 1, "6.00"),
        ("市教育局", 2, "-2.10"),
        ("市财政局", 3, "-5.50"),
    ]
    sw = {line["rule"]: line for line in rows[0]["lines"]}
    assert sw["deduct_late_report"]["items"] == ["1.1 2026-03-06"]
    backwards = office.get("/api/assessments/", {"start": "2026-03-31", "end": "2026-01-01"})
    assert backwards.status_code == 400
    assert office.get("/api/assessments/", {"start": "yesterday"}).status_code == 400
    clerk = APIClient()
    clerk.force_authenticate(year["people"]["clerk"])
    assert clerk.get("/api/assessments/").status_code == 403
