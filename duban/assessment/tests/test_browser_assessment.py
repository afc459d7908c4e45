"""考核 in a real browser with the demo city: what-if, save, export; checked with axe-core."""

from __future__ import annotations

import io

import openpyxl
import pytest

from duban.conftest import axe_violations, login

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_office_tries_a_rule_then_saves_it(page, live_server):
    from decimal import Decimal

    from duban.assessment.models import AssessmentScheme
    from duban.demo.loader import DEMO_PASSWORD, load_demo
    from duban.supervision import services

    load_demo()
    services.run_chasing()
    login(page, live_server, "office", DEMO_PASSWORD)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="考核").click()
    page.wait_for_url(f"{live_server.url}/assessment/")
    assert page.locator("#ranking tbody tr").count() > 5
    assert axe_violations(page) == []

    page.get_by_label("未报送扣分（每期）").fill("10")
    page.get_by_role("button", name="试算").click()
    page.get_by_role("heading", name="试算排名（未保存）").wait_for()
    ranking = page.locator("#ranking")
    last = ranking.locator("tbody tr").last  # the most points taken off
    last.locator("summary").click()
    assert "未报送：" in last.locator("details").inner_text()
    assert " × 10 = " in last.locator("details").inner_text()
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
