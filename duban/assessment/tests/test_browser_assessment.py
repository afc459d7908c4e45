"""考核 in a real browser with the demo city: what-if, save, export, publish, a unit's
objection and the office's decision; every page checked with axe-core."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone

from duban.conftest import SCREENSHOTS, axe_violations, login

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_office_tries_a_rule_then_saves_it(page, live_server):
    from decimal import Decimal

    from django.db.models import Count

    from duban.assessment.models import AssessmentScheme
    from duban.demo.loader import DEMO_PASSWORD, load_demo
    from duban.plans.models import Plan
    from duban.supervision import services
    from duban.supervision.models import ProgressReport

    load_demo()
    # A task whose weekly reports stopped five weeks ago, whatever today's date is.
    from duban.org.models import User
    from duban.plans.models import Task
    from duban.plans.services import assign_task

    office = User.objects.get(username="office")
    some = Task.objects.filter(assignment__isnull=False).first()
    silent = Task.objects.create(
        plan=some.plan, code="99.1", text="考核测试任务", status="in_progress"
    )
    assign_task(silent, lead_unit=some.assignment.lead_unit, actor=office)
    services.set_reporting_schedule(
        silent,
        actor=office,
        frequency="weekly",
        day=5,
        starts_on=timezone.localdate() - dt.timedelta(days=35),
    )
    services.run_chasing()
    # The period from the demo plan's start to today holds its missing reports, whatever
    # today's date is; the unit missing most of them is the one to look at.
    start = Plan.objects.get().period_start or timezone.localdate().replace(month=1, day=1)
    most_missing = (
        ProgressReport.objects.filter(status="missing", due_date__gte=start)
        .values("unit__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "unit__name")
        .first()
    )
    assert most_missing is not None
    login(page, live_server, "office", DEMO_PASSWORD)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="考核").click()
    page.wait_for_url(f"{live_server.url}/assessment/")
    assert page.locator("#ranking tbody tr").count() > 5
    assert axe_violations(page) == []

    page.get_by_label("考核期开始").fill(start.isoformat())
    page.get_by_label("未报送扣分（每期）").fill("10")
    page.get_by_role("button", name="试算").click()
    page.get_by_role("heading", name="试算排名（未保存）").wait_for()
    ranking = page.locator("#ranking")
    row = ranking.locator(f'tbody tr[data-unit="{most_missing["unit__name"]}"]')
    row.locator("summary").click()
    expected = "未报送：{} × 10 = -{}".format(most_missing["n"], most_missing["n"] * 10)
    assert expected in row.locator("details").inner_text()
    assert axe_violations(page) == []
    assert AssessmentScheme.current().deduct_missing_report == Decimal("2")

    page.get_by_role("button", name="保存考核办法").click()
    page.get_by_role("heading", name="排名").wait_for()
    assert "考核办法已保存。" in page.locator(".messages").inner_text()
    assert AssessmentScheme.current().deduct_missing_report == Decimal("10")

    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel").click()
    book = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    assert book["排名"]["B1"].value == "单位"
    assert book["排名"].max_row == page.locator("#ranking tbody tr").count() + 1

    # Publish the period: the ranking is frozen and announced to every unit.
    page.get_by_role("button", name="发布结果").click()
    page.get_by_role("heading", name="异议").wait_for()
    assert "考核结果已发布" in page.locator(".messages").inner_text()
    assert axe_violations(page) == []
    release_url = page.url

    # The demo's clerk objects for their bureau; the office upholds with two points.
    clerk = User.objects.get(username="clerk")
    bureau = clerk.memberships.get().unit.name
    page.get_by_role("button", name="退出").click()
    login(page, live_server, "clerk", DEMO_PASSWORD)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="考核结果").click()
    page.locator("table td a").first.click()
    page.get_by_label("异议理由").fill("两项任务因上级调整延期，已报备")
    page.get_by_role("button", name="提交异议").click()
    page.get_by_text("异议已提交").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("button", name="退出").click()
    login(page, live_server, "office", DEMO_PASSWORD)
    page.goto(release_url)
    before = page.locator(f'tbody tr[data-unit="{bureau}"] td.total').inner_text()
    page.get_by_label("采纳并调整分值").check()
    page.get_by_label("调整分值（加分为正，扣分为负）").fill("2")
    page.get_by_label("处理意见").fill("情况属实")
    page.get_by_role("button", name="处理").click()
    page.get_by_text("异议已处理。").wait_for()
    after = page.locator(f'tbody tr[data-unit="{bureau}"] td.total').inner_text()
    assert Decimal(after) == Decimal(before) + 2
    assert page.locator(f'tbody tr[data-unit="{bureau}"] td.adjustment').inner_text() == "2"
    assert axe_violations(page) == []
    page.screenshot(path=str(SCREENSHOTS / "assessment-release.png"), full_page=True)
