"""The working-day calendar against the State Council's 2025 and 2026 holiday tables."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duban.supervision.models import CalendarDay
from duban.supervision.workdays import WorkCalendar, load_calendar, package_years

D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar()


@pytest.mark.parametrize(
    ("day", "workday", "why"),
    [
        ("2025-01-01", False, "元旦"),
        ("2025-01-26", True, "春节调休上班（周日）"),
        ("2025-01-28", False, "春节（除夕）"),
        ("2025-02-04", False, "春节最后一天"),
        ("2025-02-05", True, "春节后第一个工作日"),
        ("2025-02-08", True, "春节调休上班（周六）"),
        ("2025-04-04", False, "清明节"),
        ("2025-04-27", True, "劳动节调休上班（周日）"),
        ("2025-05-05", False, "劳动节"),
        ("2025-06-02", False, "端午节（周一）"),
        ("2025-09-28", True, "国庆节调休上班（周日）"),
        ("2025-10-01", False, "国庆节"),
        ("2025-10-06", False, "中秋节"),
        ("2025-10-08", False, "国庆节最后一天"),
        ("2025-10-09", True, "国庆节后第一个工作日"),
        ("2025-10-11", True, "国庆节调休上班（周六）"),
        ("2025-10-12", False, "普通周日"),
        ("2026-01-02", False, "元旦（周五）"),
        ("2026-01-04", True, "元旦调休上班（周日）"),
        ("2026-02-14", True, "春节调休上班（周六）"),
        ("2026-02-16", False, "春节（除夕）"),
        ("2026-02-23", False, "春节最后一天（周一）"),
        ("2026-02-24", True, "春节后第一个工作日"),
        ("2026-02-28", True, "春节调休上班（周六）"),
        ("2026-04-06", False, "清明节（周一）"),
        ("2026-05-09", True, "劳动节调休上班（周六）"),
        ("2026-06-19", False, "端午节（周五）"),
        ("2026-09-20", True, "国庆节调休上班（周日）"),
        ("2026-09-25", False, "中秋节（周五）"),
        ("2026-10-07", False, "国庆节最后一天"),
        ("2026-10-08", True, "国庆节后第一个工作日"),
        ("2026-10-10", True, "国庆节调休上班（周六）"),
        ("2026-11-30", True, "普通周一"),
    ],
)
def test_2025_and_2026_tables(cal, day, workday, why):
    assert cal.is_workday(D(day)) is workday, why


def test_the_installed_package_covers_2004_to_at_least_2026():
    first, last = package_years()
    assert first == 2004
    assert last >= 2026


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # National Day 2025: Tue 09-30 is the last working day before the break.
        ("2025-09-26", 1, "2025-09-28"),  # Fri → the make-up Sunday
        ("2025-09-30", 1, "2025-10-09"),
        ("2025-09-30", 3, "2025-10-11"),  # 10-09, 10-10, make-up Saturday 10-11
        ("2025-10-09", -1, "2025-09-30"),
        ("2025-10-05", -1, "2025-09-30"),  # from inside the holiday
        ("2025-10-05", 1, "2025-10-09"),
        # Spring Festival 2026: 02-15 … 02-23 off; 02-14 and 02-28 (Saturdays) worked.
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-14", 1, "2026-02-24"),
        ("2026-02-24", -1, "2026-02-14"),
        ("2026-02-27", 1, "2026-02-28"),
        ("2026-02-28", 1, "2026-03-02"),
        ("2026-02-10", 10, "2026-03-02"),
        ("2026-03-02", -10, "2026-02-10"),
        ("2025-10-12", 0, "2025-10-12"),  # zero leaves the day alone, even a rest day
    ],
)
def test_add_workdays_across_holidays(cal, start, n, expected):
    assert cal.add_workdays(D(start), n) == D(expected)


@pytest.mark.parametrize(
    ("a", "b", "count"),
    [
        ("2025-09-26", "2025-10-10", 5),  # 09-28, 09-29, 09-30, 10-09, 10-10
        ("2025-10-10", "2025-09-26", -5),
        ("2025-10-01", "2025-10-08", 0),
        ("2026-02-13", "2026-02-28", 6),  # 02-14, 02-24 … 02-27, 02-28
        ("2025-12-31", "2026-12-31", 248),  # 2026 has 248 working days
        ("2025-01-01", "2025-01-01", 0),
    ],
)
def test_workdays_between(cal, a, b, count):
    assert cal.workdays_between(D(a), D(b)) == count


def test_previous_and_next_workday(cal):
    assert cal.previous_workday(D("2025-10-03")) == D("2025-09-30")
    assert cal.previous_workday(D("2025-09-30"), inclusive=True) == D("2025-09-30")
    assert cal.previous_workday(D("2025-09-30")) == D("2025-09-29")
    assert cal.next_workday(D("2025-10-03")) == D("2025-10-09")
    assert cal.next_workday(D("2025-10-09"), inclusive=True) == D("2025-10-09")
    assert cal.next_workday(D("2025-09-27"), inclusive=True) == D("2025-09-28")


@settings(deadline=None)  # no timing in unit tests
@given(
    st.dates(min_value=dt.date(2003, 1, 1), max_value=dt.date(2028, 12, 31)),
    st.integers(min_value=-400, max_value=400),
)
def test_counting_and_adding_agree(d, n):
    cal = WorkCalendar()
    target = cal.add_workdays(d, n)
    if n >= 0:  # working days in (d, target]
        assert cal.workdays_between(d, target) == n
    else:  # working days in [target, d)
        assert cal.workdays_between(target - dt.timedelta(days=1), d - dt.timedelta(days=1)) == -n
    if n:
        assert cal.is_workday(target)


@settings(deadline=None)  # no timing in unit tests
@given(
    st.dates(min_value=dt.date(2024, 6, 1), max_value=dt.date(2027, 6, 30)),
    st.dates(min_value=dt.date(2024, 6, 1), max_value=dt.date(2027, 6, 30)),
)
def test_the_fast_count_equals_walking_the_days(a, b):
    cal = WorkCalendar({dt.date(2026, 3, 2): False, dt.date(2027, 1, 2): True})
    lo, hi = min(a, b), max(a, b)
    walked = sum(cal.is_workday(lo + dt.timedelta(days=i + 1)) for i in range((hi - lo).days))
    assert cal.workdays_between(lo, hi) == walked


def test_an_office_exception_overrides_the_package():
    cal = WorkCalendar({D("2025-10-08"): True, D("2025-10-09"): False, D("2025-10-12"): True})
    assert cal.is_workday(D("2025-10-08"))  # package: National Day
    assert not cal.is_workday(D("2025-10-09"))  # package: ordinary Thursday
    assert cal.is_workday(D("2025-10-12"))  # package: ordinary Sunday
    assert cal.add_workdays(D("2025-09-30"), 1) == D("2025-10-08")
    assert cal.add_workdays(D("2025-10-08"), 1) == D("2025-10-10")


def test_a_year_beyond_the_package_follows_the_weekend_rule_and_is_reported():
    last = package_years()[1]
    cal = WorkCalendar()
    assert cal.coverage().warning == ""
    jan1 = dt.date(last + 1, 1, 1)
    expected = jan1.weekday() < 5  # New Year's Day unknown: a plain weekday works
    assert cal.is_workday(jan1) is expected
    report = cal.coverage()
    assert report.uncovered_years_used == (last + 1,)
    assert str(last + 1) in report.warning and "工作日历调整" in report.warning


def test_counting_across_an_uncovered_year_is_reported():
    last = package_years()[1]
    cal = WorkCalendar()
    cal.workdays_between(dt.date(last, 12, 1), dt.date(last + 2, 1, 31))
    assert cal.coverage().uncovered_years_used == (last + 1, last + 2)


def test_a_year_the_office_entered_is_not_reported():
    last = package_years()[1]
    spring = dt.date(last + 1, 2, 8)
    cal = WorkCalendar({spring: False})
    assert not cal.is_workday(spring)
    assert cal.coverage().uncovered_years_used == ()
    assert cal.coverage().office_years == (last + 1,)


def test_without_the_package_only_weekends_and_exceptions_count():
    cal = WorkCalendar({D("2025-10-06"): False}, use_package=False)
    assert cal.is_workday(D("2025-10-01"))
    assert not cal.is_workday(D("2025-10-06"))
    assert not cal.is_workday(D("2025-09-28"))


@pytest.mark.django_db
def test_load_calendar_reads_the_office_rows():
    CalendarDay.objects.create(date=D("2025-10-09"), is_workday=False, note="本地节日")
    CalendarDay.objects.create(date=D("2025-10-12"), is_workday=True, note="集中办公")
    cal = load_calendar()
    assert not cal.is_workday(D("2025-10-09"))
    assert cal.is_workday(D("2025-10-12"))
    assert cal.is_workday(D("2025-10-10"))
