"""The workbench (工作台) in a real browser with the demo city, checked with axe-core.

The unit leader follows 「待我审核的报告」 to the desk; the office accepts two reports at
once, chases every late unit with one click, and opens a task from 「本周转红的任务」.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from duban.conftest import axe_violations, login

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_workbench_says_what_to_do_and_does_it_in_bulk(page, browser, live_server):
    from duban.demo.loader import DEMO_PASSWORD, load_demo
    from duban.org.models import User
    from duban.plans.models import Task
    from duban.supervision import services
    from duban.supervision.models import Notice, ProgressReport

    load_demo()
    # Fresh tasks of 市商务局, so nothing depends on how far the demo's own tasks have come
    # by today's date: three to report on, and one whose weekly reports stopped.
    from duban.plans.services import assign_task

    office = User.objects.get(username="office")
    plan = Task.objects.filter(assignment__lead_unit__name="市商务局").first().plan
    unit = Task.objects.filter(assignment__lead_unit__name="市商务局").first().assignment.lead_unit
    tasks = []
    for i in range(4):
        task = Task.objects.create(
            plan=plan, code=f"99.{i}", text=f"工作台测试任务{i}", status="in_progress"
        )
        assign_task(task, lead_unit=unit, actor=office)
        tasks.append(task)
    services.set_reporting_schedule(
        tasks[3],
        actor=office,
        frequency="weekly",
        day=5,
        starts_on=timezone.localdate() - dt.timedelta(days=35),
    )
    services.run_chasing()
    unitlead, clerk = User.objects.get(username="unitlead"), User.objects.get(username="clerk")
    end = timezone.localdate() + dt.timedelta(days=40)
    period = {"period_start": end - dt.timedelta(days=6), "period_end": end, "due_date": end}
    waiting = services.submit_report(
        tasks[0], actor=clerk, percent=50, progress="完成主体工程", **period
    )
    sent = [
        services.submit_report(t, actor=unitlead, percent=60, progress="按计划推进", **period)
        for t in tasks[1:3]
    ]

    # The unit leader: one report to approve, one click to the desk's approval queue.
    lead = browser.new_page(locale="zh-CN", timezone_id="Asia/Shanghai")
    login(lead, live_server, "unitlead", DEMO_PASSWORD)
    item = lead.locator('[data-item="approvals"]')
    assert item.locator(".kpi").inner_text() == "1"
    assert axe_violations(lead) == []
    item.get_by_role("link").click()
    lead.wait_for_url(f"{live_server.url}/desk/#approvals-*")
    assert f"approval-{waiting.pk}" in lead.content()
    lead.context.close()

    # The office: accept the two reports together.
    login(page, live_server, "office", DEMO_PASSWORD)
    assert page.locator('[data-item="reviews"] .kpi').inner_text() == "2"
    late_units = int(page.locator('[data-item="late"] .kpi').inner_text())
    assert late_units > 0
    assert axe_violations(page) == []
    for report in sent:
        page.locator(f'tr[data-report="{report.pk}"] input[type=checkbox]').check()
    page.get_by_role("button", name="采纳所选报告").click()
    page.wait_for_url(f"{live_server.url}/#reviews")
    assert "已采纳 2 份报告。" in page.locator(".messages").inner_text()
    assert set(
        ProgressReport.objects.filter(pk__in=[r.pk for r in sent]).values_list("status", flat=True)
    ) == {"accepted"}
    assert page.locator('[data-item="reviews"] .kpi').inner_text() == "0"

    # 一键催办: every late unit, once.
    chases = Notice.objects.filter(level="chase").count()
    page.get_by_role("button", name=f"向 {late_units} 个逾期单位发出催办").click()
    page.wait_for_url(f"{live_server.url}/#late")
    message = page.locator(".messages").inner_text()
    assert f"已向 {late_units} 个单位发出催办" in message
    assert Notice.objects.filter(level="chase").count() > chases
    assert axe_violations(page) == []

    # From the red list to the task: the demo has silent and lagging tasks, red now.
    red = page.locator('[data-item="red"]')
    assert int(red.locator(".kpi").inner_text()) > 0
    red.get_by_role("link").click()
    first = page.locator("#red-soon tbody tr").first
    task_id = first.get_attribute("data-task")
    first.get_by_role("link").click()
    page.wait_for_url(f"{live_server.url}/tasks/{task_id}/")
