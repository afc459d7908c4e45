"""One reporting cycle in a real browser, with the demo city 青澜市 and its six logins.

office sets a weekly reporting schedule on a task of 市商务局 → clerk reports with an
evidence file on 我的任务 → unitlead approves → office accepts on 督查台, runs the chasing
ladder and recomputes the lights, sees the task's light change and issues a 督办 notice →
clerk2 of 市教育局 gets a 404 for that task. Screenshots for the docs are saved on the way.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from duban.conftest import SCREENSHOTS, assert_accessible, login

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "duban2026"


def new_page(browser, width: int = 1366, height: int = 768, **extra):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        **extra,
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def test_a_reporting_cycle_from_schedule_to_notice(page, browser, live_server, tmp_path):
    from duban.demo.loader import load_demo
    from duban.plans.models import Task
    from duban.supervision.models import Evidence, Notice, ProgressReport

    load_demo(lifelike=False)
    task = (
        Task.objects.filter(assignment__lead_unit__name="市商务局", deadline__isnull=False)
        .order_by("sort_order")
        .first()
    )
    assert task is not None and task.light == "none"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    today = timezone.localdate()
    # Report day three days ago, starting three weeks back: one or more periods are due.
    report_day = (today - dt.timedelta(days=3)).isoweekday()
    task_url = f"{live_server.url}/tasks/{task.pk}/"

    # 1. The office sets a weekly reporting schedule on the task page.
    login(page, live_server, "office", PASSWORD)
    page.goto(task_url)
    assert task.code in page.get_by_role("heading", level=1).inner_text()
    light_before = page.locator(".task-head .light").get_attribute("data-light")
    assert light_before == "none"
    # Reassigning comes on demand: the form (every unit, twice) is fetched when opened.
    assert page.locator("#assign_lead_unit").count() == 0
    page.locator("summary", has_text="重新交办").click()
    lead_select = page.locator("#assign_lead_unit")
    lead_select.wait_for()
    assert lead_select.input_value() == str(task.assignment.lead_unit_id)
    assert_accessible(page)
    page.locator("summary", has_text="设定报送计划").click()
    page.get_by_label("报送频次").select_option("weekly")
    page.locator("#reporting_day").fill(str(report_day))
    page.locator("#reporting_starts_on").fill((today - dt.timedelta(days=21)).isoformat())
    page.get_by_role("button", name="保存报送计划").click()
    page.wait_for_url(f"{task_url}#reporting")
    assert "报送计划已保存" in page.locator(".messages").inner_text()
    assert "每周" in page.locator("#reporting").inner_text()

    # 2. The clerk of 市商务局 reports with an evidence file from 我的任务.
    clerk = new_page(browser)
    login(clerk, live_server, "clerk", PASSWORD)
    clerk.get_by_role("navigation", name="主导航").get_by_role("link", name="我的任务").click()
    clerk.wait_for_url(f"{live_server.url}/desk/")
    clerk.locator(f'a[href^="/desk/report/{task.pk}/"]').first.click()
    clerk.get_by_label("工作进展").fill("完成项目选址，立项材料已报市发改委审批。")
    clerk.get_by_label("完成进度（%）").fill("20")
    clerk.get_by_label("存在问题").fill("用地指标紧张")
    evidence = tmp_path / "立项请示.txt"
    evidence.write_text("关于城市项目立项的请示（测试材料）", encoding="utf-8")
    clerk.get_by_label("佐证材料（可多选）").set_input_files(str(evidence))
    clerk.get_by_role("button", name="提交报告").click()
    clerk.wait_for_url(f"{live_server.url}/desk/")
    assert "进展已报送" in clerk.locator(".messages").inner_text()
    report = ProgressReport.objects.get(task=task, status="submitted")
    assert Evidence.objects.get(report=report).name == "立项请示.txt"
    clerk.screenshot(path=str(SCREENSHOTS / "desk.png"))
    phone = new_page(browser, 390, 844, is_mobile=True, has_touch=True, device_scale_factor=2)
    login(phone, live_server, "clerk", PASSWORD)
    phone.goto(f"{live_server.url}/desk/")
    # Nothing wider than the phone: the page does not scroll sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(SCREENSHOTS / "desk-phone.png"))
    for path in (f"/desk/report/{task.pk}/", f"/tasks/{task.pk}/"):
        phone.goto(f"{live_server.url}{path}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path
    phone.context.close()

    # 3. The unit leader approves it.
    lead = new_page(browser)
    login(lead, live_server, "unitlead", PASSWORD)
    lead.goto(f"{live_server.url}/desk/")
    # htmx swaps the queue item in place: no page load.
    lead.get_by_role("button", name="审核通过并报督查室").first.click()
    lead.locator(f"#approval-{report.pk} [role=status]").wait_for()
    assert "已审核通过" in lead.locator(f"#approval-{report.pk}").inner_text()
    report.refresh_from_db()
    assert report.status == "unit_approved"
    lead.context.close()

    # 4. The office accepts it on 督查台, runs chasing and recomputes the lights.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="督查台").click()
    page.wait_for_url(f"{live_server.url}/office/")
    item = page.locator(f'article[data-report="{report.pk}"]')
    assert "立项请示.txt" in item.inner_text()
    item.get_by_label("审核结果").select_option("accept")
    item.get_by_role("button", name="提交审核").click()
    item.get_by_role("status").wait_for()
    assert "已采纳" in item.inner_text()
    report.refresh_from_db()
    assert report.status == "accepted"
    page.get_by_role("button", name="立即催办").click()
    page.wait_for_url(f"{live_server.url}/office/#ladder")
    assert "催办完成" in page.locator(".messages").inner_text()
    page.get_by_role("button", name="重新计算亮灯").click()
    page.wait_for_url(f"{live_server.url}/office/")
    assert "重新计算" in page.locator(".messages").inner_text()

    page.goto(task_url)
    light_after = page.locator(".task-head .light").get_attribute("data-light")
    assert light_after in ("red", "yellow") and light_after != light_before
    assert page.locator(".light-reason").inner_text().startswith("亮灯原因")
    assert "20%" in page.locator("#reports").inner_text()

    # 5. …and issues a 督办 notice from the task page.
    page.locator("summary", has_text="发出通知").click()
    page.get_by_label("级别").select_option("supervise")
    page.get_by_label("事由").fill("该任务进度滞后于计划，请于三个工作日内书面说明原因和整改措施。")
    page.get_by_role("button", name="发出通知", exact=True).click()
    page.wait_for_url(f"{task_url}#notices")
    assert "已发出督办通知" in page.locator(".messages").inner_text()
    assert Notice.objects.filter(
        task=task, level="supervise", reason__startswith="该任务进度滞后"
    ).exists()
    page.goto(task_url)  # the top of the page: the light, its reason, the source sentence
    page.screenshot(path=str(SCREENSHOTS / "task.png"))

    # 6. A clerk of another unit cannot even see that the task exists.
    other = new_page(browser)
    login(other, live_server, "clerk2", PASSWORD)
    response = other.goto(task_url)
    assert response is not None and response.status == 404
    response = other.goto(f"{live_server.url}/desk/report/{task.pk}/")
    assert response is not None and response.status == 404
    other.context.close()
    clerk.context.close()
