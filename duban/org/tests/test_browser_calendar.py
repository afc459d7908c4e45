"""The office pastes the State Council's holiday notice in a real browser, previews, saves.

Checked with axe-core on the way: the calendar page, the paste page and its preview.
"""

from __future__ import annotations

import datetime as dt

import pytest

from duban.conftest import axe_violations, login
from duban.supervision.models import CalendarDay
from duban.supervision.tests.test_holidays import NOTICE_2027

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_office_enters_a_year_from_the_pasted_notice(page, live_server):
    from duban.demo.loader import DEMO_PASSWORD, load_demo

    load_demo(lifelike=False)
    login(page, live_server, "office", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/manage/calendar/?year=2027")
    assert axe_violations(page) == []
    page.get_by_role("link", name="粘贴国务院节假日安排通知").click()
    page.wait_for_url(f"{live_server.url}/manage/calendar/notice/")
    assert axe_violations(page) == []

    # A typo in a weekday is caught before anything is saved.
    page.get_by_label("通知正文").fill(NOTICE_2027.replace("5月8日（周六）", "5月8日（周五）"))
    page.get_by_role("button", name="预览").click()
    alert = page.get_by_role("alert")
    assert "5月8日写的是周五，但2027年5月8日是周六" in alert.inner_text()
    assert page.get_by_role("button", name="保存2027年节假日安排").count() == 0

    page.get_by_label("通知正文").fill(NOTICE_2027)
    page.get_by_role("button", name="预览").click()
    preview = page.locator("#preview")
    assert "共放假29天，调休上班6天" in preview.inner_text()
    row = preview.locator('tr[data-date="2027-02-20"]')
    assert "周六" in row.inner_text() and "调休上班" in row.inner_text()
    assert axe_violations(page) == []
    assert CalendarDay.objects.count() == 0

    page.get_by_role("button", name="保存2027年节假日安排").click()
    page.wait_for_url(f"{live_server.url}/manage/calendar/?year=2027")
    assert "已保存2027年节假日安排" in page.locator(".messages").inner_text()
    assert "春节调休上班" in page.locator("table").inner_text()
    assert axe_violations(page) == []
    assert CalendarDay.objects.get(date=dt.date(2027, 2, 20)).is_workday
    assert CalendarDay.objects.filter(is_workday=False, date__year=2027).count() == 29
