"""The whole review in a real browser: upload, wait for the job, review, confirm.

The office uploads a short report written for this test, waits for the progress panel to
finish, then on the review page rejects one proposal, edits one, picks a lead unit from the
suggestions, accepts one with the keyboard shortcut, and confirms the plan; the database
must then hold exactly those decisions.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from duban.conftest import SCREENSHOTS, assert_accessible, login

pytestmark = pytest.mark.django_db(transaction=True)

REPORT = """关于2026年重点工作的报告

——2026年2月10日在示例市政府全体会议上

一、重点任务

（一）扩大有效投资。

今年要加快推进重大项目建设。

年底前完成城东水厂二期工程。

要着力优化营商环境，6月底前出台促进民间投资的若干措施。

（二）提振消费。

要大力促进消费扩容提质。

办好城市消费节系列活动。

要完善促消费财政补贴政策。

推动商贸流通企业扩大投资。

支持外贸企业开拓新兴市场。

力争进出口总额增长5%。

（三）财政保障。

要加强预算绩效管理。

严控一般性支出。
"""
# One commitment per paragraph, so that each review action has its own task.


def test_review_a_report_in_chromium(page, live_server, settings, media_root, units, tmp_path):
    from duban.org.services import create_user
    from duban.plans.choices import PlanStatus, TaskStatus
    from duban.plans.models import Assignment, Plan, Task

    settings.DUBAN_INLINE_JOBS = True
    create_user("office", password="pw-office-1", unit=units["office"], role="office")
    report = tmp_path / "report.txt"
    report.write_text(REPORT, encoding="utf-8")

    login(page, live_server, "office", "pw-office-1")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="文件审核").click()
    page.get_by_label("报告文件").set_input_files(str(report))
    page.get_by_role("button", name="上传并解析").click()
    page.get_by_role("link", name="审核任务").first.click()
    expect(page.get_by_role("heading", name=re.compile("任务审核"))).to_be_visible()
    assert_accessible(page)

    plan = Plan.objects.get()
    task = {t.text: t for t in Task.objects.filter(plan=plan)}
    rejected = task["办好城市消费节系列活动"]
    edited = task["严控一般性支出"]
    picked = task["要完善促消费财政补贴政策"]  # the engine ranks 市财政局 first, 市商务局 second
    keyed = task["今年要加快推进重大项目建设"]
    card = lambda t: page.locator(f"#task-{t.pk}")  # noqa: E731

    card(rejected).get_by_role("button", name="驳回").click()
    expect(card(rejected)).to_have_attribute("data-status", "rejected")
    expect(page.locator("#review-counts [data-count=rejected]")).to_have_text("1")

    card(edited).locator("summary", has_text="修改").click()
    card(edited).get_by_label("工作任务").fill("严控一般性支出，压减5%以上")
    card(edited).get_by_role("button", name="保存").click()
    expect(card(edited).locator(".proposal-text")).to_have_text("严控一般性支出，压减5%以上")

    card(picked).get_by_label(re.compile("市商务局")).check()
    card(picked).get_by_role("button", name="设为牵头单位").click()
    expect(card(picked).locator("legend")).to_contain_text("市商务局")

    # Clicking a proposal flashes its sentence in the source text.
    card(keyed).locator(".proposal-text").click()
    expect(page.locator(f"#span-T{keyed.pk}")).to_have_class(re.compile("flash"))
    # The keyboard: focus the proposal, press "a" to accept; the focus moves to the next one.
    card(keyed).focus()
    page.keyboard.press("a")
    expect(card(keyed)).to_have_attribute("data-status", "confirmed")
    # The focus moves once htmx has settled the swap; wait for it rather than race it.
    page.wait_for_function(
        "id => document.activeElement && document.activeElement.id.startsWith('task-')"
        " && document.activeElement.id !== id",
        arg=f"task-{keyed.pk}",
    )
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.id") == f"task-{keyed.pk}"

    # Merge two proposals: tick one with the "x" shortcut and the other with the mouse.
    first, second = task["支持外贸企业开拓新兴市场"], task["力争进出口总额增长5%"]
    card(first).focus()
    page.keyboard.press("x")
    card(second).get_by_role("checkbox").check()
    page.get_by_role("button", name="合并所选任务").click()
    expect(card(first).locator(".proposal-text")).to_have_text(
        "支持外贸企业开拓新兴市场；力争进出口总额增长5%"
    )
    expect(card(second)).to_have_attribute("data-status", "rejected")

    page.evaluate("window.scrollTo(0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "review.png"))

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="确认立项").click()
    expect(page.locator(".plan-status")).to_have_text("已立项")

    plan.refresh_from_db()
    assert plan.status == PlanStatus.CONFIRMED
    assert Assignment.objects.get(task=picked).lead_unit == units["sw"]
    assert Assignment.objects.get(task=keyed).lead_unit == units["fgw"]
    edited.refresh_from_db()
    assert edited.text == "严控一般性支出，压减5%以上"
    assert edited.status == TaskStatus.CONFIRMED
    rejected.refresh_from_db()
    assert rejected.status == TaskStatus.REJECTED
    assert not Assignment.objects.filter(task=rejected).exists()
    assert not plan.tasks.filter(status=TaskStatus.PROPOSED).exists()
    second.refresh_from_db()
    assert second.status == TaskStatus.REJECTED
    expect(card(picked).get_by_role("link", name="查看任务")).to_be_visible()


def test_a_long_scan_shows_its_progress_and_the_clerk_cancels_it(
    page, live_server, media_root, units, tmp_path
):
    """No worker runs: the upload waits as it would behind other scans, its progress as
    stored page by page; the panel meets WCAG and its cancel button ends the wait."""
    from duban.core.models import Job
    from duban.documents.tests.test_views import scan_pages
    from duban.org.services import create_user

    create_user("office", password="pw-office-1", unit=units["office"], role="office")
    scan = tmp_path / "扫描件.tif"
    scan.write_bytes(scan_pages(1))
    login(page, live_server, "office", "pw-office-1")
    page.goto(f"{live_server.url}/documents/")
    page.get_by_label("报告文件").set_input_files(str(scan))
    page.get_by_label("文件日期", exact=False).fill("2027-01-15")
    page.get_by_role("button", name="上传并解析").click()
    job = Job.objects.get(name="extract_document")
    Job.objects.filter(pk=job.pk).update(progress=60)  # as the worker stores it
    panel = page.locator(f"#job-{job.pk}").first
    expect(panel).to_contain_text("已完成 60%")  # the next poll shows it
    assert_accessible(page)
    panel.get_by_role("button", name="取消").click()
    expect(page.locator(f"#job-{job.pk}").first).to_contain_text("已取消")
    job.refresh_from_db()
    assert job.result["error"] == "cancelled"


def test_a_photographed_report_is_reviewed_beside_its_page_regions(
    page, live_server, settings, media_root, units, tmp_path
):
    from duban.extract.tests.pagegen import PARAGRAPHS, render_page
    from duban.org.services import create_user

    settings.DUBAN_INLINE_JOBS = True
    create_user("office", password="pw-office-1", unit=units["office"], role="office")
    photo = tmp_path / "批示件.jpg"
    render_page(PARAGRAPHS, dpi=200).convert("RGB").save(photo, format="JPEG", quality=85)
    login(page, live_server, "office", "pw-office-1")
    page.goto(f"{live_server.url}/documents/")
    page.get_by_label("报告文件").set_input_files(str(photo))
    page.get_by_label("文件日期", exact=False).fill("2027-01-15")
    page.get_by_role("button", name="上传并解析").click()
    page.get_by_role("link", name="审核任务").first.click()
    region = page.get_by_role("img", name=re.compile("原件第 1 页上识别出这段文字的位置")).first
    region.scroll_into_view_if_needed()  # loaded lazily, as the clerk scrolls
    expect(region).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 100", arg=region.element_handle()
    )
    assert_accessible(page)
