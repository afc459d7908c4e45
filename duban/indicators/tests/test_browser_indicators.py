"""对标对表 in a real browser with the demo city: the clerk of 市商务局 enters a month's
actual value on a phone, the office reads the table with the gap and the rank among peer
cities; every page checked with axe-core. The table is the README's screenshot."""

from __future__ import annotations

import pytest
from django.utils import timezone

from duban.conftest import SCREENSHOTS, axe_violations, login

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "duban2026"


def new_page(browser, width: int, height: int, **extra):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        **extra,
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def test_the_clerk_enters_a_month_on_a_phone_and_the_office_sees_gap_and_rank(
    page, browser, live_server
):
    from duban.demo.loader import load_demo
    from duban.indicators.models import Indicator, IndicatorMonth

    load_demo()
    retail = Indicator.objects.get(name="社会消费品零售总额")
    assert retail.task.assignment.lead_unit.name == "市商务局"
    month = 12 if retail.year < timezone.localdate().year else timezone.localdate().month

    # 1. The clerk, on a phone: the table shows the unit's indicators only.
    phone = new_page(browser, 390, 844, is_mobile=True, has_touch=True, device_scale_factor=2)
    login(phone, live_server, "clerk", PASSWORD)
    phone.get_by_role("navigation", name="主导航").get_by_role("link", name="对标对表").click()
    phone.wait_for_url(f"{live_server.url}/indicators/")
    rows = phone.locator("#indicator-table tbody tr[data-indicator]")
    assert rows.count() >= 1
    assert phone.locator('tr[data-indicator="地区生产总值"]').count() == 0  # 市发改委's
    assert axe_violations(phone) == []
    phone.get_by_role("link", name="社会消费品零售总额").click()
    phone.wait_for_url(f"{live_server.url}/indicators/{retail.pk}/")
    assert axe_violations(phone) == []
    # Nothing wider than the phone but the tables, which scroll inside their frame.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # A number the page cannot read is refused in words, and nothing is saved.
    phone.get_by_label("月份").select_option(str(month))
    phone.get_by_role("textbox", name="实际值", exact=True).fill("四点五")
    phone.get_by_role("button", name="保存实际值").click()
    assert "实际值应为数字" in phone.locator("#enter-actual [role=alert]").inner_text()
    assert axe_violations(phone) == []
    before = IndicatorMonth.objects.get(indicator=retail, month=month).actual
    assert before != 4.5

    phone.get_by_role("textbox", name="实际值", exact=True).fill("4.5")
    phone.get_by_label("说明").fill("限额以上单位零售额回落")
    phone.get_by_role("button", name="保存实际值").click()
    phone.locator(".messages").wait_for()
    assert f"已更新{month}月实际值。" in phone.locator(".messages").inner_text()
    assert phone.locator(f'#months tr[data-month="{month}"] .actual').inner_text() == "4.5"
    assert "落后计划25%" in phone.locator(".facts").inner_text()
    phone.context.close()

    # 2. The office reads the table: the gap, the light it caused, the rank among peers.
    login(page, live_server, "office", PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="对标对表").click()
    page.wait_for_url(f"{live_server.url}/indicators/")
    row = page.locator('tr[data-indicator="社会消费品零售总额"]')
    assert row.get_attribute("data-light") == "red"
    assert "落后 25%" in row.locator(f'td[data-month="{month}"]').inner_text()
    assert "落后 25%" in row.locator("td.latest").inner_text()
    gdp = page.locator('tr[data-indicator="地区生产总值"]')
    assert "共4个城市" in gdp.locator("td.rank").inner_text()
    assert axe_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#indicator-table").screenshot(path=str(SCREENSHOTS / "indicators.png"))

    # 3. The office adds a peer city's figure for 社会消费品零售总额: now it has a rank.
    row.get_by_role("link", name="社会消费品零售总额").click()
    page.wait_for_url(f"{live_server.url}/indicators/{retail.pk}/")
    page.get_by_text("展开修改").click()
    assert axe_violations(page) == []
    form = page.locator("form", has=page.get_by_role("button", name="保存对标数值"))
    form.get_by_label("月份").select_option(str(month))
    form.get_by_label("对标城市").fill("北岭市")
    form.get_by_label("对标数值").fill("5.2")
    form.get_by_label("来源").fill("北岭市统计局月报")
    form.get_by_role("button", name="保存对标数值").click()
    page.locator(".messages").wait_for()
    assert f"已保存北岭市{month}月对标数值。" in page.locator(".messages").inner_text()
    assert f"第2名（共2个城市，{month}月）" in page.locator(".facts").inner_text()
    assert axe_violations(page) == []
