"""Reporting periods: weekly, monthly, quarterly and one-off schedules, due dates off holidays."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.plans.models import Task
from duban.supervision.models import ReportingSchedule
from duban.supervision.periods import (
    Period,
    build_periods,
    due_periods,
    periods_due_by,
    schedule_periods,
)
from duban.supervision.workdays import WorkCalendar

D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar()


def P(start, end, due=None):
    return Period(D(start), D(end), D(due or end))


@pytest.mark.parametrize(
    ("frequency", "day", "starts_on", "end", "expected"),
    [
        # Weekly on Friday (5): each period is Saturday … Friday.
        (
            "weekly",
            5,
            "2025-11-03",
            "2025-11-21",
            [
                P("2025-11-01", "2025-11-07"),
                P("2025-11-08", "2025-11-14"),
                P("2025-11-15", "2025-11-21"),
            ],
        ),
        # starts_on is itself a report day: the first period ends that day.
        (
            "weekly",
            1,
            "2025-11-03",
            "2025-11-10",
            [P("2025-10-28", "2025-11-03"), P("2025-11-04", "2025-11-10")],
        ),
        # Weekly on Friday across National Day 2025: Fri 10-03 is a holiday → due Thu 10-09.
        (
            "weekly",
            5,
            "2025-09-26",
            "2025-10-10",
            [
                P("2025-09-20", "2025-09-26"),
                P("2025-09-27", "2025-10-03", "2025-10-09"),
                P("2025-10-04", "2025-10-10"),
            ],
        ),
        # Weekly on Sunday: due Monday, except the make-up Sunday 2025-09-28, a working day.
        (
            "weekly",
            7,
            "2025-09-21",
            "2025-10-05",
            [
                P("2025-09-15", "2025-09-21", "2025-09-22"),
                P("2025-09-22", "2025-09-28"),
                P("2025-09-29", "2025-10-05", "2025-10-09"),
            ],
        ),
        # Monthly on the 25th, first period a full month ending on the first 25th.
        (
            "monthly",
            25,
            "2026-01-10",
            "2026-04-30",
            [
                P("2025-12-26", "2026-01-25", "2026-01-26"),  # Sunday → Monday
                P("2026-01-26", "2026-02-25"),
                P("2026-02-26", "2026-03-25"),
                P("2026-03-26", "2026-04-25", "2026-04-27"),  # Saturday → Monday
            ],
        ),
        # Monthly on the 31st: clipped to each month's last day (2028 is a leap year).
        (
            "monthly",
            31,
            "2027-01-01",
            "2027-05-31",
            [
                P("2027-01-01", "2027-01-31", "2027-02-01"),
                P("2027-02-01", "2027-02-28", "2027-03-01"),
                P("2027-03-01", "2027-03-31"),
                P("2027-04-01", "2027-04-30"),
                P("2027-05-01", "2027-05-31"),
            ],
        ),
        (
            "monthly",
            30,
            "2028-02-01",
            "2028-03-31",
            [P("2028-01-31", "2028-02-29"), P("2028-03-01", "2028-03-30")],
        ),
        # Monthly on the 1st: 2026-10-01 is National Day → due 10-08.
        ("monthly", 1, "2026-09-15", "2026-10-20", [P("2026-09-02", "2026-10-01", "2026-10-08")]),
        # Quarterly on the 20th of the quarter's last month.
        (
            "quarterly",
            20,
            "2026-01-01",
            "2026-12-31",
            [
                P("2025-12-21", "2026-03-20"),
                P("2026-03-21", "2026-06-20", "2026-06-22"),  # Saturday, Dragon Boat → Mon
                P("2026-06-21", "2026-09-20"),  # Sunday 09-20 is a make-up working day
                P("2026-09-21", "2026-12-20", "2026-12-21"),
            ],
        ),
        # Quarterly on the 31st: June and September clip to the 30th.
        (
            "quarterly",
            31,
            "2025-05-01",
            "2025-12-31",
            [
                P("2025-04-01", "2025-06-30"),
                P("2025-07-01", "2025-09-30"),
                P("2025-10-01", "2025-12-31"),
            ],
        ),
        # Once: one period up to the end; due on the next working day if that is a rest day.
        ("once", 25, "2025-09-01", "2025-10-03", [P("2025-09-01", "2025-10-03", "2025-10-09")]),
        # Nothing when the end is before the start or before the first report day.
        ("monthly", 25, "2025-09-01", "2025-08-01", []),
        ("monthly", 25, "2025-09-01", "2025-09-24", []),
    ],
)
def test_period_tables(cal, frequency, day, starts_on, end, expected):
    assert build_periods(frequency, day, D(starts_on), D(end), cal) == expected


def test_an_office_rest_day_moves_the_due_date(cal):
    local = WorkCalendar({D("2025-11-25"): False})
    assert build_periods("monthly", 25, D("2025-11-01"), D("2025-11-30"), local) == [
        P("2025-10-26", "2025-11-25", "2025-11-26")
    ]


@pytest.mark.parametrize(
    ("frequency", "day"),
    [("weekly", 0), ("weekly", 8), ("monthly", 0), ("quarterly", 32), ("yearly", 1)],
)
def test_bad_schedules_are_refused(cal, frequency, day):
    with pytest.raises(ValueError):
        build_periods(frequency, day, D("2025-01-01"), D("2025-12-31"), cal)


@pytest.mark.django_db
def test_schedule_periods_end_at_the_task_deadline_or_ends_on(plan):
    task = Task.objects.create(plan=plan, code="1", text="x", deadline=D("2026-03-31"))
    schedule = ReportingSchedule.objects.create(
        task=task, frequency="monthly", day=25, starts_on=D("2026-01-01")
    )
    cal = WorkCalendar()
    assert [p.period_end for p in schedule_periods(schedule, calendar=cal)] == [
        D("2026-01-25"),
        D("2026-02-25"),
        D("2026-03-25"),
    ]
    schedule.ends_on = D("2026-02-28")
    assert len(schedule_periods(schedule, calendar=cal)) == 2
    open_ended = ReportingSchedule(frequency="weekly", day=5, starts_on=D("2026-01-01"))
    open_ended.task = Task(plan=plan, text="y")
    with pytest.raises(ValueError):
        schedule_periods(open_ended, calendar=cal)
    assert len(schedule_periods(open_ended, calendar=cal, until=D("2026-01-31"))) == 5


@pytest.mark.django_db
def test_due_periods_include_today_and_follow_the_moved_due_date(plan):
    task = Task.objects.create(plan=plan, code="1", text="x", deadline=D("2025-12-31"))
    schedule = ReportingSchedule.objects.create(
        task=task, frequency="weekly", day=5, starts_on=D("2025-09-19")
    )
    cal = WorkCalendar()
    ends = lambda today: [p.period_end for p in due_periods(schedule, D(today), calendar=cal)]  # noqa: E731
    assert ends("2025-09-18") == []
    assert ends("2025-09-19") == [D("2025-09-19")]
    # The 10-03 report is due 10-09: on 10-08 it is not due yet.
    assert ends("2025-10-08") == [D("2025-09-19"), D("2025-09-26")]
    assert ends("2025-10-09")[-1] == D("2025-10-03")


@pytest.mark.django_db
def test_due_periods_load_the_office_calendar(plan):
    from duban.supervision.models import CalendarDay

    task = Task.objects.create(plan=plan, code="1", text="x", deadline=D("2025-12-31"))
    schedule = ReportingSchedule.objects.create(
        task=task, frequency="monthly", day=25, starts_on=D("2025-11-01")
    )
    assert due_periods(schedule, D("2025-11-25"))[-1].due_date == D("2025-11-25")
    CalendarDay.objects.create(date=D("2025-11-25"), is_workday=False)
    assert due_periods(schedule, D("2025-11-25")) == []


@pytest.mark.django_db
def test_periods_due_by_a_day_reach_past_it_for_due_dates_moved_by_holidays(plan):
    # The desk's "due now and soon" and the chasing ladder's reminders both ask this.
    task = Task.objects.create(plan=plan, code="1", text="x", deadline=D("2026-06-30"))
    schedule = ReportingSchedule.objects.create(
        task=task, frequency="monthly", day=1, starts_on=D("2025-08-01")
    )
    cal = WorkCalendar()
    ends = lambda day, **kw: [  # noqa: E731
        p.period_end for p in periods_due_by(schedule, D(day), calendar=cal, **kw)
    ]
    # The report of 1 October is due on the 9th (the National Day week and its 调休).
    assert ends("2025-10-08") == [D("2025-08-01"), D("2025-09-01")]
    assert ends("2025-10-09") == [D("2025-08-01"), D("2025-09-01"), D("2025-10-01")]
    # ``end`` stands for the task's deadline when the caller has it already.
    assert ends("2025-10-09", end=D("2025-09-30")) == [D("2025-08-01"), D("2025-09-01")]
    assert periods_due_by(schedule, D("2025-11-03"), calendar=cal) == due_periods(
        schedule, D("2025-11-03"), calendar=cal
    )
