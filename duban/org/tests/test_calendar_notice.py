"""The calendar after the package's last year: the pasted notice, its preview and save, and
one warning per missing year."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.test import Client

from duban.core.models import AuditEntry
from duban.org.services import create_user
from duban.supervision import services
from duban.supervision.holidays import parse_holiday_notice
from duban.supervision.models import CalendarDay
from duban.supervision.tests.test_holidays import NOTICE_2027
from duban.supervision.workdays import (
    WARNED_ENV,
    forget_warned_years,
    load_calendar,
    package_years,
    warn_missing_year,
)

D = dt.date.fromisoformat
# A year the package will never cover, so these tests do not depend on today's date or on
# the installed chinese_calendar.
FAR = 2091


@pytest.fixture
def office(office_user) -> Client:
    c = Client()
    c.force_login(office_user)
    return c


def test_preview_lists_every_day_and_saves_nothing(office):
    r = office.post("/manage/calendar/notice/", {"text": NOTICE_2027, "preview": "1"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "共放假29天，调休上班6天" in html
    assert 'data-date="2027-02-14"' in html and 'data-date="2027-10-07"' in html
    assert "保存2027年节假日安排" in html
    assert CalendarDay.objects.count() == 0


def test_saving_the_notice_writes_the_days_and_the_calendar_follows(office):
    r = office.post("/manage/calendar/notice/", {"text": NOTICE_2027, "save": "1"})
    assert r.status_code == 302
    assert r["Location"].endswith("/manage/calendar/?year=2027")
    assert CalendarDay.objects.count() == 29 + 6
    feb14 = CalendarDay.objects.get(date=D("2027-02-14"))
    assert feb14.is_workday and feb14.note == "春节调休上班"
    assert CalendarDay.objects.get(date=D("2027-02-08")).note == "春节"
    # Who saved it is in the audit trail, row by row.
    assert (
        AuditEntry.objects.filter(
            action="create", object_type="supervision.calendarday", actor__username="office"
        ).count()
        == 35
    )
    calendar = load_calendar()
    assert calendar.is_workday(D("2027-02-14"))  # a Sunday, worked
    assert not calendar.is_workday(D("2027-02-08"))  # a Monday of the Spring Festival
    assert calendar.workdays_between(D("2027-02-04"), D("2027-02-15")) == 2  # 02-14, 02-15
    assert 2027 not in calendar.coverage().uncovered_years_used
    follow = office.get(r["Location"]).content.decode()
    assert "已保存2027年节假日安排：放假29天，调休上班6天（新增35条，修改0条）" in follow


def test_saving_again_replaces_the_same_dates_and_keeps_local_days(office):
    CalendarDay.objects.create(date=D("2027-02-14"), is_workday=False, note="本地调整")
    CalendarDay.objects.create(date=D("2027-03-08"), is_workday=False, note="本地节日")
    preview = office.post("/manage/calendar/notice/", {"text": NOTICE_2027, "preview": "1"})
    assert "将替换：本地调整" in preview.content.decode()
    office.post("/manage/calendar/notice/", {"text": NOTICE_2027, "save": "1"})
    assert CalendarDay.objects.get(date=D("2027-02-14")).is_workday
    assert CalendarDay.objects.get(date=D("2027-03-08")).note == "本地节日"
    again = office.post("/manage/calendar/notice/", {"text": NOTICE_2027, "save": "1"})
    assert "新增0条，修改0条" in office.get(again["Location"]).content.decode()


def test_a_notice_with_a_mistake_is_refused_whole(office):
    wrong = NOTICE_2027.replace("2月14日（周日）", "2月14日（周六）")
    r = office.post("/manage/calendar/notice/", {"text": wrong, "save": "1"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "2月14日写的是周六，但2027年2月14日是周日" in html
    assert "保存2027年节假日安排" not in html
    assert CalendarDay.objects.count() == 0


def test_an_empty_paste_is_a_clear_message(office):
    r = office.post("/manage/calendar/notice/", {"text": "", "preview": "1"})
    assert r.status_code == 400
    assert "请粘贴通知正文。" in r.content.decode()
    r = office.post("/manage/calendar/notice/", {"text": "一、元旦：1月1日放假。", "year": "99"})
    assert r.status_code == 400
    assert "年份应在2000到2100之间。" in r.content.decode()


def test_the_service_is_office_only_and_all_or_nothing(units):
    from duban.plans.access import NotAllowed

    clerk = create_user("clerk", password="pw", unit=units["sw"], role="clerk")
    with pytest.raises(NotAllowed):
        services.save_holiday_notice(parse_holiday_notice(NOTICE_2027), actor=clerk)
    office = create_user("office", password="pw", unit=units["office"], role="office")
    bad = parse_holiday_notice(NOTICE_2027.replace("共9天", "共8天"))
    with pytest.raises(services.ValidationError, match="写明共8天"):
        services.save_holiday_notice(bad, actor=office)
    assert CalendarDay.objects.count() == 0


def test_clerks_cannot_open_the_notice_page(units):
    c = Client()
    c.force_login(create_user("clerk", password="pw", unit=units["sw"], role="clerk"))
    assert c.get("/manage/calendar/notice/").status_code == 403
    assert c.post("/manage/calendar/notice/", {"text": NOTICE_2027, "save": "1"}).status_code == 403
    assert CalendarDay.objects.count() == 0


def test_the_calendar_page_names_the_years_without_holiday_data(office, office_user):
    last = package_years()[1]
    with time_machine.travel(dt.datetime(last + 5, 6, 1, 12), tick=False):
        office.force_login(office_user)  # the earlier session has expired by then
        html = office.get("/manage/calendar/").content.decode()
        assert f"内置节假日数据不含{last + 5}、{last + 6}年" in html
        CalendarDay.objects.create(date=dt.date(last + 5, 10, 1), is_workday=False, note="国庆节")
        html = office.get("/manage/calendar/notice/").content.decode()
        assert f"内置节假日数据不含{last + 6}年" in html
        # The page proposes the missing year for a notice without a year in its title.
        assert f'value="{last + 6}"' in html


# -- one warning per missing year -----------------------------------------------------------


@pytest.fixture
def fresh_warnings(monkeypatch):
    forget_warned_years()
    monkeypatch.delenv(WARNED_ENV, raising=False)
    yield
    forget_warned_years()


def _calendar_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "working-day calendar" in r.getMessage()]


@pytest.mark.django_db
def test_many_calendars_warn_once_per_missing_year(caplog, fresh_warnings):
    caplog.set_level(logging.WARNING, logger="duban.supervision.workdays")
    for _i in range(5):
        calendar = load_calendar()
        calendar.workdays_between(dt.date(FAR, 1, 1), dt.date(FAR + 1, 3, 1))
        assert calendar.coverage().uncovered_years_used == (FAR, FAR + 1)
    lines = _calendar_warnings(caplog)
    assert len(lines) == 2
    assert f"no holiday data for {FAR}" in lines[0]
    assert "/manage/calendar/" in lines[0]


def test_a_year_the_parent_process_warned_about_is_not_repeated(
    caplog, fresh_warnings, monkeypatch
):
    caplog.set_level(logging.WARNING, logger="duban.supervision.workdays")
    monkeypatch.setenv(WARNED_ENV, f"{FAR},{FAR + 3}")
    assert warn_missing_year(FAR) is False
    assert warn_missing_year(FAR + 1) is True
    assert warn_missing_year(FAR + 1) is False
    assert len(_calendar_warnings(caplog)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("years_ahead", [1, 7])
def test_the_demo_loads_whatever_the_date_with_one_warning_a_year(
    caplog, fresh_warnings, media_root, years_ahead
):
    """A year after the package's last one (and seven after), the demo city still loads."""
    from duban.demo.loader import load_demo
    from duban.plans.models import Task

    caplog.set_level(logging.WARNING)
    year = package_years()[1] + years_ahead
    with time_machine.travel(dt.datetime(year, 3, 16, 9), tick=False):
        summary = load_demo(lifelike=True)
    assert summary["tasks"] > 0
    assert Task.objects.exclude(light="none").exists()
    lines = _calendar_warnings(caplog)
    years = [line.split("no holiday data for ")[1][:4] for line in lines]
    assert len(years) == len(set(years)) >= 1
    assert str(year) in years
    # Nothing else was logged at warning level or above.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == lines
