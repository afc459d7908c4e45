"""The task book page in a real browser: upload a small book, check the preview, commit it.

The import job is left to the queue (``DUBAN_INLINE_JOBS`` off) and run here, as the worker
would, so the page's htmx polling is what shows the result.
"""

from __future__ import annotations

import pytest

from duban.conftest import login
from duban.plans.tests.test_import_views import GOOD, book

pytestmark = pytest.mark.django_db(transaction=True)


def test_office_imports_a_book_on_the_taskbook_page(page, live_server, units, settings, tmp_path):
    from duban.core import jobs
    from duban.org.models import Unit
    from duban.org.services import create_user
    from duban.plans.models import Plan

    settings.DUBAN_INLINE_JOBS = False
    settings.MEDIA_ROOT = tmp_path / "media"
    Unit.objects.create(name="市教育局", kind="government", parent=units["root"])
    create_user("office", password="pw-office-1", unit=units["office"], role="office")
    path = tmp_path / "任务分解表.xlsx"
    path.write_bytes(book(GOOD))

    login(page, live_server, "office", "pw-office-1")
    page.goto(f"{live_server.url}/taskbook/")
    page.get_by_label("任务分解表文件").set_input_files(str(path))
    page.get_by_label("新方案标题（留空则取表格标题行）").fill("浏览器导入")
    page.get_by_role("button", name="上传并识别列").click()

    page.wait_for_url("**/mapping/")
    assert page.get_by_label("工作任务").input_value() == "B"
    page.get_by_role("button", name="下一步：预览").click()

    page.wait_for_url("**/preview/")
    summary = page.locator(".taskbook-summary").inner_text()
    assert "任务 2 项，交办 2 项；错误 0 处" in summary
    assert page.get_by_role("cell", name="推进教育集团化办学").is_visible()
    page.get_by_role("button", name="确认导入").click()

    page.wait_for_url("**/taskbook/?job=*")
    assert page.get_by_role("status").inner_text().count("正在导入") == 1
    jobs.run_one()  # the worker's turn; the page notices on its next poll
    page.locator(".taskbook-done").wait_for()
    assert "导入完成：2 项任务已写入方案" in page.get_by_role("status").inner_text()
    assert Plan.objects.get(title="浏览器导入").tasks.count() == 2
