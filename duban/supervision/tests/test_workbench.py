"""The workbench (工作台, ``/``): what each role should do now, and its two bulk actions.

Today is Monday 2026-03-16 (the ``world`` fixture); this week ends on Sunday 03-22. Task 1.1
of 市商务局 reports weekly on Fridays from 03-01, so the reports for 03-06 and 03-13 are late.
"""

# ruff: noqa: F811 - the shared fixtures are imported by name and used as arguments
from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.plans.models import Milestone, Task
from duban.plans.services import assign_task
from duban.plans.tests.test_views import client_for, frozen, world  # noqa: F401 - fixtures
from duban.supervision import services
from duban.supervision.choices import NoticeLevel, ReportStatus
from duban.supervision.lights import recompute_lights
from duban.supervision.models import ClosureRequest, Notice, ProgressReport
from duban.supervision.workbench import build_workbench, week_bounds


def _item(wb, key):
    return next(i for i in wb.items if i.key == key)


def _keys(wb) -> set[str]:
    return {i.key for i in wb.items}


def _sent(world, end: dt.date, *, approve: bool = True, who: str = "clerk") -> ProgressReport:
    report = services.submit_report(
        Task.objects.get(pk=world["task"].pk),
        actor=world["people"][who],
        period_start=end - dt.timedelta(days=6),
        period_end=end,
        due_date=end,
        percent=40,
        progress="完成主体施工",
    )
    if approve:
        report = services.approve_report(report, actor=world["people"]["unitlead"])
    return report


def _task(world, code: str, *, deadline: dt.date, unit: str = "sw", progress: int = 60) -> Task:
    task = Task.objects.create(
        plan=world["plan"],
        code=code,
        text=f"任务{code}",
        status="confirmed",
        start_date=dt.date(2026, 1, 5),
        deadline=deadline,
        progress=progress,
    )
    assign_task(task, lead_unit=world["units"][unit], actor=world["people"]["office"])
    return task


def test_week_bounds():
    assert week_bounds(dt.date(2026, 3, 16)) == (dt.date(2026, 3, 16), dt.date(2026, 3, 22))
    assert week_bounds(dt.date(2026, 3, 22)) == (dt.date(2026, 3, 16), dt.date(2026, 3, 22))


# -- what each role sees ----------------------------------------------------------------------


def test_the_office_sees_its_queues_with_counts_and_links(world):
    _sent(world, dt.date(2026, 3, 6))
    _sent(world, dt.date(2026, 3, 13))
    closing = _task(world, "2.1", deadline=dt.date(2026, 6, 30))
    services.request_closure(closing, actor=world["people"]["unitlead"], note="已完成")
    services.request_coordination(
        world["task"], actor=world["people"]["unitlead"], text="用地指标需市里协调"
    )
    r = client_for(world, "office").get("/")
    assert r.status_code == 200
    wb = r.context["workbench"]
    assert _item(wb, "reviews").count == 2
    assert _item(wb, "reviews").url == "/office/#reviews"
    assert _item(wb, "closures").count == 1
    assert _item(wb, "coordination").count == 1
    assert _item(wb, "coordination").url == "/office/#coordination"
    html = r.content.decode()
    assert 'data-item="reviews"' in html and 'href="/office/#reviews"' in html
    assert html.count('name="report"') == 2  # the bulk accept form lists both
    assert "approvals" not in _keys(wb)  # unit items are for unit people


def test_a_unit_leader_sees_the_units_approvals_and_notices(world):
    _sent(world, dt.date(2026, 3, 13), approve=False)
    services.issue_notice(
        world["task"], level="chase", reason="请报送", actor=world["people"]["office"]
    )
    wb = build_workbench(world["people"]["unitlead"])
    assert _item(wb, "approvals").count == 1
    assert _item(wb, "approvals").url == "/desk/#approvals-{}".format(world["units"]["sw"].pk)
    assert _item(wb, "reply").count == 1
    assert _item(wb, "reply").url == "/desk/#notices-{}".format(world["units"]["sw"].pk)
    assert not {"reviews", "closures", "late", "coordination"} & _keys(wb)
    assert not wb.can_accept and not wb.can_chase
    # The clerk has no approvals to give, but the same notice to answer.
    clerk = build_workbench(world["people"]["clerk"])
    assert "approvals" not in _keys(clerk) and _item(clerk, "reply").count == 1


def test_another_units_clerk_sees_nothing_of_it(world):
    _sent(world, dt.date(2026, 3, 13), approve=False)
    services.issue_notice(
        world["task"], level="chase", reason="请报送", actor=world["people"]["office"]
    )
    wb = build_workbench(world["people"]["clerk2"])
    assert _item(wb, "reply").count == 0
    assert _item(wb, "red").count == 0
    html = client_for(world, "clerk2").get("/").content.decode()
    assert "加快建设城市数据中心" not in html


def test_the_leader_sees_coordination_and_red_but_no_office_queues(world):
    services.request_coordination(world["task"], actor=world["people"]["unitlead"], text="协调")
    wb = build_workbench(world["people"]["leader"])
    assert _item(wb, "coordination").count == 1
    assert "red" in _keys(wb)
    assert not {"reviews", "closures", "late"} & _keys(wb)


def test_a_returned_report_waits_for_the_clerk(world):
    report = _sent(world, dt.date(2026, 3, 13))
    services.review_report(report, actor=world["people"]["office"], accept=False, reason="补图")
    assert _item(build_workbench(world["people"]["clerk"]), "returned").count == 1


# -- tasks turning red this week -----------------------------------------------------------


def test_tasks_turning_red_this_week_are_forecast(world):
    due_wed = _task(world, "2.1", deadline=dt.date(2026, 3, 18), progress=90)
    later = _task(world, "2.2", deadline=dt.date(2026, 9, 30))
    milestone_task = _task(world, "2.3", deadline=dt.date(2026, 9, 30))
    Milestone.objects.create(task=milestone_task, name="完成招标", due_date=dt.date(2026, 3, 20))
    other_unit = _task(world, "2.4", deadline=dt.date(2026, 3, 19), unit="jy", progress=95)
    recompute_lights()
    assert Task.objects.get(pk=due_wed.pk).light != "red"  # not yet
    office = build_workbench(world["people"]["office"])
    soon = {i.task.pk: i for i in office.red_soon}
    assert not soon[due_wed.pk].already and "已超过完成时限" in soon[due_wed.pk].reason
    assert "完成招标" in soon[milestone_task.pk].reason
    assert later.pk not in soon
    assert other_unit.pk in soon
    # Task 1.1 missed two reports and turned red on Monday: listed as already red.
    assert soon[world["task"].pk].already
    assert _item(office, "red").count == len(soon) == 4
    # 市商务局's clerk sees only the unit's own.
    clerk = {i.task.pk for i in build_workbench(world["people"]["clerk"]).red_soon}
    assert clerk == {due_wed.pk, milestone_task.pk, world["task"].pk}
    html = client_for(world, "clerk").get("/").content.decode()
    assert f'href="/tasks/{due_wed.pk}/"' in html and "如不推进将亮红灯" in html


def test_a_red_spell_that_began_last_week_is_not_news(world):
    import time_machine

    with time_machine.travel(dt.datetime(2026, 3, 23, 10), tick=False):
        office = build_workbench(world["people"]["office"])
    assert world["task"].pk not in {i.task.pk for i in office.red_soon if i.already}


# -- bulk actions -------------------------------------------------------------------------------


def test_the_office_accepts_the_selected_reports(world):
    a = _sent(world, dt.date(2026, 3, 6))
    b = _sent(world, dt.date(2026, 3, 13))
    c = client_for(world, "office")
    r = c.post("/workbench/accept/", {"report": [a.pk, b.pk]}, follow=True)
    assert "已采纳 2 份报告。" in r.content.decode()
    assert set(ProgressReport.objects.values_list("status", flat=True)) == {ReportStatus.ACCEPTED}
    assert Task.objects.get(pk=world["task"].pk).progress == 40


def test_bulk_accept_is_all_or_nothing(world):
    a = _sent(world, dt.date(2026, 3, 6))
    b = _sent(world, dt.date(2026, 3, 13))
    services.review_report(b, actor=world["people"]["office"], accept=False, reason="补图")
    r = client_for(world, "office").post(
        "/workbench/accept/", {"report": [a.pk, b.pk]}, follow=True
    )
    html = r.content.decode()
    assert "1.1（2026-03-13）的报告未能采纳：该报告不在待审核状态。 本次没有采纳任何报告。" in html
    a.refresh_from_db()
    assert a.status == ReportStatus.UNIT_APPROVED


def test_bulk_accept_needs_a_selection_and_the_office(world):
    a = _sent(world, dt.date(2026, 3, 6))
    r = client_for(world, "office").post("/workbench/accept/", {}, follow=True)
    assert "请先勾选要采纳的报告。" in r.content.decode()
    # A unit leader may see the report but not accept it; another unit's clerk cannot see it.
    assert (
        client_for(world, "unitlead").post("/workbench/accept/", {"report": a.pk}).status_code
        == 403
    )
    assert (
        client_for(world, "clerk2").post("/workbench/accept/", {"report": a.pk}).status_code == 404
    )
    assert (
        client_for(world, "office").post("/workbench/accept/", {"report": 99999}).status_code == 404
    )
    a.refresh_from_db()
    assert a.status == ReportStatus.UNIT_APPROVED


def test_one_click_chases_every_late_unit_once(world):
    services.run_chasing()  # records the missing 03-06 and 03-13 reports
    late = ProgressReport.objects.filter(status=ReportStatus.MISSING).count()
    assert late == 2
    office = client_for(world, "office")
    wb = office.get("/").context["workbench"]
    assert _item(wb, "late").count == 1
    assert [u.name for u in wb.late_units] == ["市商务局"] and wb.late_units[0].reports == 2
    before = Notice.objects.filter(level=NoticeLevel.CHASE).count()
    r = office.post("/workbench/chase/", follow=True)
    sent = Notice.objects.filter(level=NoticeLevel.CHASE).count() - before
    html = r.content.decode()
    assert f"已向 1 个单位发出催办 {sent} 条；{2 - sent} 条此前已催办，未重复发出。" in html
    assert (
        Notice.objects.filter(
            level=NoticeLevel.CHASE,
            unit=world["units"]["sw"],
            dedup_key__contains="report:2026-03-",
        ).count()
        == 2
    )
    again = office.post("/workbench/chase/", follow=True).content.decode()
    assert "已向 1 个单位发出催办 0 条；2 条此前已催办，未重复发出。" in again
    assert client_for(world, "unitlead").post("/workbench/chase/").status_code == 403


def test_nothing_to_chase(world):
    r = client_for(world, "office").post("/workbench/chase/", follow=True)
    assert "没有逾期未报的单位。" in r.content.decode()


# -- query budget -------------------------------------------------------------------------------


def _fill(world, n: int) -> None:
    office = world["people"]["office"]
    for i in range(n):
        this_week = i % 2 == 1
        task = _task(
            world,
            f"3.{i}",
            deadline=dt.date(2026, 3, 18) if this_week else dt.date(2026, 12, 31),
            progress=90 if this_week else 60,
        )
        services.set_reporting_schedule(
            task, actor=office, frequency="weekly", day=5, starts_on=dt.date(2026, 2, 1)
        )
        Milestone.objects.create(task=task, name=f"节点{i}", due_date=dt.date(2026, 3, 20))
        end = dt.date(2026, 3, 13)
        report = services.submit_report(
            task,
            actor=world["people"]["clerk"],
            period_start=end - dt.timedelta(days=6),
            period_end=end,
            due_date=end,
            percent=10,
            progress="进展",
        )
        services.approve_report(report, actor=world["people"]["unitlead"])
        if i % 3 == 0:
            services.request_closure(task, actor=world["people"]["unitlead"], note="完成")
    services.run_chasing()
    recompute_lights()


def test_the_workbench_query_count_does_not_grow(world, django_assert_max_num_queries):
    budgets = {}
    _fill(world, 2)
    for name in ("office", "unitlead", "clerk", "leader"):
        c = client_for(world, name)
        with CaptureQueriesContext(connection) as small:
            assert c.get("/").status_code == 200
        budgets[name] = (c, len(small.captured_queries))
    _fill(world, 25)
    assert ClosureRequest.objects.count() >= 9
    for name, (c, small) in budgets.items():
        with django_assert_max_num_queries(small):
            r = c.get("/")
        assert r.status_code == 200
        assert small <= 30, (name, small)
    html = budgets["office"][0].get("/").content.decode()
    assert "任务3.23" in html  # a task due this week is on the red list
