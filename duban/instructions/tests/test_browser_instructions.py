"""A leader's instruction in a real browser, from a phone photo to the 报结 document.

The office uploads a photo of a 批示件 (printed Chinese lines and a pen scribble for the
handwriting, drawn by the test), the OCR fills the source text, the office corrects it,
types the leader's words and registers it; marks the handwriting with a rectangle; turns it
into a task; the lead unit's clerk replies; the office accepts the reply, downloads the 报结
document (opened again with python-docx) and closes the instruction. axe-core checks every
page. Marked slow: one page of OCR.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import docx
import pytest
from playwright.sync_api import expect

from duban.conftest import SCREENSHOTS, assert_accessible, login
from duban.instructions.tests.scanpage import scan_png

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PASSWORD = "pw-browser-1"


def _new_page(browser):
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(20_000)
    return context.new_page()


def test_from_a_photo_to_the_report_back(
    page, browser, live_server, settings, media_root, units, tmp_path
):
    from duban.instructions.models import Instruction
    from duban.org.services import create_user
    from duban.plans.models import FrameworkNode, Plan

    settings.DUBAN_INLINE_JOBS = True
    create_user("office", password=PASSWORD, unit=units["office"], role="office")
    create_user("clerk", password=PASSWORD, unit=units["sw"], role="clerk")
    plan = Plan.objects.create(title="2026年市政府重点工作", year=2026, status="confirmed")
    FrameworkNode.objects.create(plan=plan, name="稳外贸", code="3", kind="section")
    photo = tmp_path / "批示件.png"
    photo.write_bytes(scan_png())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    today = dt.date.today()

    # 1. The office uploads the photo; the OCR reads the printed lines.
    login(page, live_server, "office", PASSWORD)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="领导批示").click()
    page.wait_for_url(f"{live_server.url}/instructions/")
    assert_accessible(page)
    page.get_by_role("link", name="上传批示件扫描件").click()
    assert_accessible(page)
    page.get_by_label("批示件扫描件或照片").set_input_files(str(photo))
    page.get_by_role("button", name="上传并识别").click()
    expect(page.get_by_role("status")).to_contain_text("识别完成")
    assert_accessible(page)
    page.get_by_role("link", name="核对并登记").click()

    # 2. The recognised text is in the form; the office corrects it and types the words.
    recognised = page.get_by_label("来文内容").input_value()
    assert "外贸企业" in recognised and "融资成本" in recognised
    expect(page.get_by_role("img", name=re.compile("上传的批示件"))).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_label("来文标题")).to_have_value("关于外贸企业订单情况的调研报告")
    page.get_by_label("来文内容").fill(recognised.replace(" ", "") + "\n（已核对）")
    page.get_by_label("批示领导").fill("王明")
    page.get_by_label("领导职务").fill("市长")
    page.get_by_label("批示内容").fill("请商务局牵头，会同财政局研究稳外贸支持措施，两周内报我。")
    page.get_by_label("反馈时限").fill((today + dt.timedelta(days=5)).isoformat())
    page.get_by_label("牵头单位").select_option(label="市商务局")
    page.get_by_label("配合单位").select_option(label="市财政局")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("批示已登记")
    instruction = Instruction.objects.get()
    assert instruction.source_text.endswith("（已核对）") and instruction.pages.count() == 1

    # 3. The office marks the handwriting with a rectangle drawn on the page image.
    page.locator("summary", has_text="标出批示区域").click()
    canvas = page.locator("[data-region-canvas] img")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.03)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.15, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.96, box["y"] + box["height"] * 0.24, steps=5)
    page.mouse.up()
    assert float(page.get_by_label("宽").input_value()) > 0.3
    page.get_by_role("button", name="保存区域").click()
    expect(page.locator(".messages")).to_contain_text("批示区域已保存")
    region = Instruction.objects.get().pages.get(number=1).region
    assert 0.5 < region["x"] < 0.6 and 0.35 < region["w"] < 0.45
    expect(page.get_by_role("img", name=re.compile("领导手写批示"))).to_be_visible()

    # 4. It becomes a task of the plan, led by 市商务局, due on the reply-by date.
    page.get_by_label("纳入方案").select_option(label=plan.title)
    page.get_by_label("所属框架").select_option(label=f"{plan.title} · 3 稳外贸")
    page.get_by_role("button", name="转为任务").click()
    expect(page.locator(".messages")).to_contain_text("已转为任务")
    task = Instruction.objects.get().task
    assert task.deadline == today + dt.timedelta(days=5)
    assert task.assignment.lead_unit.name == "市商务局" and task.code == "3.1"
    assert_accessible(page)

    # 5. The lead unit's clerk sees it coming due on the workbench and replies.
    clerk = _new_page(browser)
    login(clerk, live_server, "clerk", PASSWORD)
    item = clerk.locator('[data-item="instructions"]')
    expect(item.locator(".kpi")).to_have_text("1")
    item.get_by_role("link").click()
    clerk.get_by_role("link", name="关于外贸企业订单情况的调研报告").click()
    assert_accessible(clerk)
    clerk.get_by_role("textbox", name="办理情况").fill(
        "已召开外贸企业座谈会，形成稳外贸十条措施初稿。"
    )
    clerk.get_by_role("button", name="提交办理情况").click()
    expect(clerk.locator(".messages")).to_contain_text("办理情况已反馈")
    clerk.context.close()  # no connection of the clerk's outlives the live server

    # 6. The office accepts it, compiles the 报结 document and closes the instruction.
    page.reload()
    page.get_by_role("button", name=re.compile("^采纳")).click()
    expect(page.locator(".messages")).to_contain_text("已采纳")
    page.screenshot(path=str(SCREENSHOTS / "instruction.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="生成报结报告（Word）").click()
    word = docx.Document(io.BytesIO(open(download.value.path(), "rb").read()))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "关于王明同志批示办理情况的报告" in text
    assert "请商务局牵头，会同财政局研究稳外贸支持措施，两周内报我。" in text
    assert "已召开外贸企业座谈会，形成稳外贸十条措施初稿。" in text
    assert len(word.inline_shapes) == 1  # the marked handwriting, as a picture
    page.get_by_label("报结说明").fill("已向王市长书面报告。")
    page.get_by_role("button", name="报结", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("批示已报结")
    assert_accessible(page)
    closed = Instruction.objects.get()
    assert closed.status == "closed" and closed.closed_by.username == "office"


def test_a_two_page_scan_marked_on_page_two_and_chased_with_no_task(
    page, browser, live_server, media_root, units
):
    """The clerk's view of an overdue instruction with no task: two page images, the
    region drawn on page 2 by the office, the 通报 notice answered on the page; axe-core
    on both people's pages."""
    from django.core.files.base import ContentFile

    from duban.instructions import services
    from duban.instructions.models import InstructionPage
    from duban.instructions.tests.scanpage import LINES, SECOND, scan_page
    from duban.org.services import create_user
    from duban.supervision.models import Notice
    from duban.supervision.services import run_chasing

    office = create_user("office", password=PASSWORD, unit=units["office"], role="office")
    create_user("clerk", password=PASSWORD, unit=units["sw"], role="clerk")
    today = dt.date.today()
    instruction = services.register_instruction(
        actor=office,
        leader_name="王明",
        instructed_on=today - dt.timedelta(days=60),
        source_title="关于外贸企业订单情况的调研报告",
        content="请商务局牵头研究。",
        reply_by=today - dt.timedelta(days=40),
        lead_unit=units["sw"],
    )
    for number, lines in ((1, LINES), (2, SECOND)):
        out = io.BytesIO()
        scan_page(lines, scribble=number == 2).save(out, format="JPEG")
        p = InstructionPage(instruction=instruction, number=number, width=900, height=560)
        p.image.save(f"p{number}.jpg", ContentFile(out.getvalue()), save=False)
        p.save()
    run_chasing()
    notice = Notice.objects.get(instruction=instruction)

    login(page, live_server, "office", PASSWORD)
    page.goto(f"{live_server.url}/instructions/{instruction.pk}/")
    page.locator("summary", has_text="在第 2 页标出批示区域").click()
    canvas = page.locator("#page-2 [data-region-canvas] img")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.03)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.96, box["y"] + box["height"] * 0.24, steps=8)
    page.mouse.up()
    assert float(page.locator("#id_p2_w").input_value()) > 0.3
    assert page.locator("#id_p1_w").input_value() == ""  # page 1's form is untouched
    page.locator("#page-2").get_by_role("button", name="保存区域").click()
    expect(page.locator(".messages")).to_contain_text("批示区域已保存")
    assert InstructionPage.objects.get(number=1).region is None
    assert 0.5 < InstructionPage.objects.get(number=2).region["x"] < 0.6
    expect(page.get_by_role("img", name=re.compile("第 2 页中标出的区域"))).to_be_visible()
    assert_accessible(page)

    clerk = _new_page(browser)
    login(clerk, live_server, "clerk", PASSWORD)
    clerk.goto(f"{live_server.url}/instructions/{instruction.pk}/")
    expect(clerk.locator("#notices")).to_contain_text(notice.reason)
    assert_accessible(clerk)
    clerk.locator("#notices").get_by_role("textbox", name="回复").fill("已召开专题会研究。")
    clerk.locator("#notices").get_by_role("button", name=re.compile("^回复")).click()
    expect(clerk.locator(".messages")).to_contain_text("已回复")
    notice.refresh_from_db()
    assert notice.status == "replied"
    clerk.context.close()
