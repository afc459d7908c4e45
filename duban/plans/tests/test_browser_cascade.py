"""The district cascade in a real browser, with the demo city's district 澜江区.

office cascades the plan to 澜江区 (分解到区县) → district (澜江区督查室) assigns its task to
澜江区商务局 → districtclerk reports from the task page → district accepts on the task page → the
city's task shows 澜江区's rolled-up progress. Every page on the way passes axe-core.
"""

from __future__ import annotations

import pytest

from duban.conftest import SCREENSHOTS, assert_accessible, login

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "duban2026"


def new_page(browser):
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def test_a_city_task_broken_down_by_a_district_rolls_back_up(page, browser, live_server):
    from duban.demo.loader import load_demo
    from duban.org.models import Unit
    from duban.plans.models import Plan, Task
    from duban.supervision.models import ProgressReport

    load_demo(lifelike=False)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    city_plan = Plan.objects.get()
    district = Unit.objects.get(memberships__user__username="district")
    dept = Unit.objects.get(memberships__user__username="districtclerk")
    city_task = (
        Task.objects.filter(plan=city_plan, assignment__co_units=district).order_by("id").first()
    )

    # 1. The city office opens the plan from the home page and cascades it to the district.
    login(page, live_server, "office", PASSWORD)
    page.get_by_role("link", name=city_plan.title).click()
    page.wait_for_url(f"{live_server.url}/plans/{city_plan.pk}/")
    assert_accessible(page)
    page.locator("#cascade_district").select_option(str(district.pk))
    page.get_by_role("button", name="分解到区县").click()
    page.wait_for_url(f"{live_server.url}/plans/{city_plan.pk}/")
    assert "新增2项任务" in page.locator(".messages").inner_text()
    mine = Plan.objects.get(owner_unit=district)
    district_task = mine.tasks.get(upstream=city_task)

    # 2. The district office opens its plan and assigns the task to a department.
    office = new_page(browser)
    login(office, live_server, "district", PASSWORD)
    office.get_by_role("link", name=mine.title).click()
    office.wait_for_url(f"{live_server.url}/plans/{mine.pk}/")
    assert "分解到区县" not in office.content()  # the district does not cascade further
    assert_accessible(office)
    office.locator(f'tr[data-task="{district_task.pk}"] a').click()
    office.wait_for_url(f"{live_server.url}/tasks/{district_task.pk}/")
    assert_accessible(office)
    options = office.locator("#assign_lead_unit option").all_inner_texts()
    assert str(dept) in options and "市商务局" not in options  # its own departments only
    office.locator("#assign_lead_unit").select_option(str(dept.pk))
    office.get_by_role("button", name="交办", exact=True).click()
    office.wait_for_url(f"{live_server.url}/tasks/{district_task.pk}/#assignment")
    assert str(dept) in office.locator("#assignment").inner_text()

    # 3. The department's clerk reports from the task page (no schedule set: ad hoc).
    clerk = new_page(browser)
    login(clerk, live_server, "districtclerk", PASSWORD)
    clerk.goto(f"{live_server.url}/tasks/{district_task.pk}/")
    assert_accessible(clerk)
    clerk.get_by_role("link", name="报送进展").click()
    clerk.get_by_label("工作进展").fill("完成辖区重点商贸企业摸排。")
    clerk.get_by_label("完成进度（%）").fill("40")
    clerk.get_by_role("button", name="提交报告").click()
    clerk.wait_for_url(f"{live_server.url}/desk/")
    report = ProgressReport.objects.get(task=district_task)
    assert report.status == "submitted"
    clerk.context.close()

    # 4. The district office accepts it on the task page.
    office.goto(f"{live_server.url}/tasks/{district_task.pk}/")
    assert_accessible(office)
    office.locator("form.review-here").get_by_role("button", name="采纳").click()
    office.wait_for_url(f"{live_server.url}/tasks/{district_task.pk}/#reports")
    report.refresh_from_db()
    assert report.status == "accepted"
    office.context.close()

    # 5. The city's task shows the district's breakdown and its rolled-up report.
    page.goto(f"{live_server.url}/tasks/{city_task.pk}/")
    line = page.locator(f'.cascade-line[data-district="{district.pk}"]')
    assert "40%" in line.inner_text() and str(dept) in line.inner_text()
    rolled = ProgressReport.objects.get(task=city_task, unit=district)
    assert rolled.percent == 40 and "完成辖区重点商贸企业摸排" in rolled.progress
    assert "完成辖区重点商贸企业摸排" in page.locator("#reports").inner_text()
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "cascade-city-task.png"), full_page=True)
