"""Reporting periods (报送周期) from a task's reporting schedule.

A schedule names a *report day*: a weekday (weekly, 1 = Monday … 7 = Sunday), a day of the
month (monthly) or a day of the last month of each quarter (quarterly); a day beyond the end
of a month means its last day (31 → 28 February). The rules:

* each period ends on a report day and starts the day after the previous report day, so a
  report covers "what was done since the last report" and periods never overlap or leave
  gaps; the first period is a full one ending on the first report day on or after
  ``starts_on``;
* periods run up to the schedule's ``ends_on``, or else the task's deadline (the days after
  the last report day are covered by the closing request, 销号申请);
* a *once* schedule has one period from ``starts_on`` to that end date;
* the report is due on the report day, but clerks cannot report on a rest day, so when the
  report day is a weekend or holiday the due date moves to the next working day (a report
  due on 2025-10-01 is due on 2025-10-09). ``period_end`` keeps the nominal report day, so a
  period's identity does not change when the office edits the calendar.
"""

from __future__ import annotations

import calendar as _monthcal
import datetime as dt
from collections.abc import Iterator
from typing import Any, NamedTuple

from duban.supervision.choices import Frequency
from duban.supervision.workdays import ONE_DAY, WorkCalendar, load_calendar

#: How far a due date may trail its report day: the rest days in between (the National Day
#: week and its 调休 move a report due on 1 October to the 9th). Periods up to this much
#: past a day include every one due by that day.
DUE_LAG = dt.timedelta(days=31)


class Period(NamedTuple):
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date


def _clip(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, _monthcal.monthrange(year, month)[1]))


def _report_days(frequency: str, day: int, since: dt.date) -> Iterator[dt.date]:
    """Nominal report days in order, starting with the last one before ``since``."""
    if frequency == Frequency.WEEKLY:
        if not 1 <= day <= 7:
            raise ValueError(f"weekly report day must be 1–7, not {day}")
        current = since - dt.timedelta(days=(since.weekday() - (day - 1)) % 7 or 7)
        while True:
            yield current
            current += dt.timedelta(days=7)
    if not 1 <= day <= 31:
        raise ValueError(f"report day of month must be 1–31, not {day}")
    step = 3 if frequency == Frequency.QUARTERLY else 1
    year, month = since.year, since.month
    if step == 3:
        month = ((month - 1) // 3) * 3 + 3  # last month of the quarter
    # Go back one step so that the first value yielded is before ``since``.
    month -= step
    while True:
        if month < 1:
            year, month = year - 1, month + 12
        if month > 12:
            year, month = year + 1, month - 12
        candidate = _clip(year, month, day)
        yield candidate
        month += step


def build_periods(
    frequency: str,
    day: int,
    starts_on: dt.date,
    end: dt.date,
    calendar: WorkCalendar,
) -> list[Period]:
    """The periods of one schedule (pure); see the module docstring for the rules."""
    if end < starts_on:
        return []
    if frequency == Frequency.ONCE:
        return [Period(starts_on, end, calendar.next_workday(end, inclusive=True))]
    if frequency not in (Frequency.WEEKLY, Frequency.MONTHLY, Frequency.QUARTERLY):
        raise ValueError(f"unknown reporting frequency {frequency!r}")
    periods: list[Period] = []
    previous: dt.date | None = None
    for report_day in _report_days(frequency, day, starts_on):
        if report_day > end:
            break
        if report_day >= starts_on and previous is not None:
            periods.append(
                Period(
                    previous + ONE_DAY,
                    report_day,
                    calendar.next_workday(report_day, inclusive=True),
                )
            )
        previous = report_day
    return periods


def schedule_end(schedule: Any) -> dt.date | None:
    """The last day a schedule covers: its own end date, else the task's deadline."""
    return schedule.ends_on or schedule.task.deadline


def schedule_periods(
    schedule: Any,
    *,
    calendar: WorkCalendar | None = None,
    until: dt.date | None = None,
    end: dt.date | None = None,
) -> list[Period]:
    """All periods of a :class:`~duban.supervision.models.ReportingSchedule`.

    ``until`` cuts the list for open-ended schedules (no end date and no deadline), which
    otherwise have no last period and raise ``ValueError``. ``end`` may be passed when the
    caller already knows the task's deadline, to avoid loading the task.
    """
    end = end or schedule_end(schedule)
    if until is not None and schedule.frequency != Frequency.ONCE:
        end = min(end, until) if end else until
    if end is None and schedule.frequency == Frequency.ONCE:
        return []  # a one-off report with no date yet is not due
    if end is None:
        raise ValueError("an open-ended reporting schedule needs `until`")
    return build_periods(
        schedule.frequency, schedule.day, schedule.starts_on, end, calendar or load_calendar()
    )


def periods_due_by(
    schedule: Any,
    day: dt.date,
    *,
    calendar: WorkCalendar | None = None,
    end: dt.date | None = None,
) -> list[Period]:
    """The periods whose report is due on or before ``day``, oldest first: the one rule
    the desk (what a unit owes), the chasing ladder and the demo use.

    Due dates never go backwards from one period to the next, so this is a prefix of the
    schedule's periods. Raises ``ValueError`` as :func:`schedule_periods` does.
    """
    periods = schedule_periods(schedule, calendar=calendar, until=day + DUE_LAG, end=end)
    return [p for p in periods if p.due_date <= day]


def due_periods(
    schedule: Any, today: dt.date, *, calendar: WorkCalendar | None = None
) -> list[Period]:
    """The periods whose report is due on or before ``today``, oldest first.

    A report due today is listed (it is expected today); it becomes *missing* only from the
    next day on.
    """
    return periods_due_by(schedule, today, calendar=calendar or load_calendar())
