"""重点项目 in a real browser with the demo city: a clerk on a phone enters a month with a
photo; the office reads the ledger and the battle map's panel. axe-core on every page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.utils import timezone

from duban.conftest import SCREENSHOTS, axe_violations, login

pytestmark = pytest.mark.django_db(transaction=True)


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 140, 200)).save(out, "JPEG")
    return out.getvalue()


def test_a_clerk_enters_a_month_on_a_phone_and_the_office_sees_it(
    page, live_server, settings, tmp_path
):
    from duban.demo.loader import DEMO_PASSWORD, load_demo
    from duban.projects.models import MonthlyProgress, Project

    settings.MEDIA_ROOT = tmp_path / "media"
    load_demo()
    today = timezone.localdate()
    project = Project.objects.get(name="跨境电商产业中心", year=today.year)

    page.set_viewport_size({"width": 375, "height": 740})
    login(page, live_server, "clerk", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/projects/")
    rows = page.locator("#ledger tbody tr")
    # The demo bureau's clerk sees its own two projects, no other unit's.
    assert sorted(rows.locator("td:nth-child(2)").all_inner_texts()) == [
        "冷链物流园",
        "跨境电商产业中心",
    ]
    assert axe_violations(page) == []
    page.get_by_role("link", name="跨境电商产业中心").click()
    page.wait_for_url(f"{live_server.url}/projects/{project.pk}/")
    assert axe_violations(page) == []
    form = page.locator("#enter")
    form.get_by_label("月份").select_option(str(today.month))
    form.get_by_label("当月完成投资（万元）").fill("888.5")
    form.get_by_label("形象进度").fill("钢结构吊装完成")
    form.get_by_label("现场照片（可多选，JPEG 或 PNG）").set_input_files(
        [{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    form.get_by_role("button", name="保存本月进展").click()
    page.locator(".messages").wait_for()
    assert f"{today.month}月进展" in page.locator(".messages").inner_text()
    row = page.locator(f'#months tr[data-month="{today.month}"]')
    assert "888.50" in row.inner_text() and "钢结构吊装完成" in row.inner_text()
    image = row.get_by_role("img")
    image.scroll_into_view_if_needed()  # a lazy image loads when it comes into view
    page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("i => i.naturalWidth") == 640
    assert axe_violations(page) == []
    saved = MonthlyProgress.objects.get(project=project, month=today.month)
    assert saved.photos.count() == 1
    # A wrong photo: the unit deletes it from the month, and the file goes with it.
    stored = Path(saved.photos.get().file.path)
    assert stored.exists()
    row.get_by_role("button", name="删除照片 现场.jpg").click()
    page.locator(".messages").wait_for()
    assert "已删除照片“现场.jpg”" in page.locator(".messages").inner_text()
    assert saved.photos.count() == 0 and not stored.exists()
    assert page.locator(f'#months tr[data-month="{today.month}"]').get_by_role("img").count() == 0

    # The office: the ledger with its totals, and the battle map's panel.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, live_server, "office", DEMO_PASSWORD)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="重点项目").click()
    page.wait_for_url(f"{live_server.url}/projects/")
    assert page.locator("#ledger tbody tr").count() == 12
    done = sum(m.completed for m in project.months.all())
    ours = page.locator(f'#ledger tr[data-code="{project.code}"] td.done')
    assert ours.inner_text() == f"{done:.2f}"
    assert page.get_by_role("heading", name="重点项目投资完成").is_visible()
    assert axe_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "projects.png"), full_page=False)
    page.goto(f"{live_server.url}/battlemap/")
    panel = page.locator("#projects-panel")
    assert "重点项目投资完成" in panel.inner_text()
    assert "商务" in panel.inner_text()
    assert panel.locator("svg[role=img]").count() > 5
    assert axe_violations(page) == []
    page.goto(f"{live_server.url}/projects/import/")
    assert axe_violations(page) == []
    page.goto(f"{live_server.url}/projects/new/")
    assert axe_violations(page) == []
