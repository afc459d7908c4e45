"""Midnight in Beijing, not in UTC: a deadline passes at 00:00 Asia/Shanghai (16:00 UTC the
day before), and a report sent at 23:59 on its due day is on time (issue "Security and
reliability", point 6: clock and time-zone edges)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from duban.plans.models import Assignment, Plan, Task
from duban.supervision.lights import _FactLoader, recompute_task_light
from duban.supervision.workdays import load_calendar

BEIJING = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int, mm: int) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=BEIJING)


@pytest.fixture
def task(units):
    plan = Plan.objects.create(title="午夜方案", year=2026, period_start=dt.date(2026, 1, 1))
    task = Task.objects.create(
        plan=plan, code="1", text="按期完成", status="in_progress", deadline=dt.date(2026, 3, 31)
    )
    Assignment.objects.create(task=task, lead_unit=units["sw"])
    return task


@pytest.mark.django_db
def test_a_deadline_passes_at_midnight_beijing_time(task, settings):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    with time_machine.travel(at(2026, 3, 31, 23, 59), tick=False):
        before = recompute_task_light(task)
    assert "已超过完成时限" not in before.reason
    # 00:01 in Beijing is still 31 March in UTC: the date that counts is Beijing's.
    with time_machine.travel(at(2026, 4, 1, 0, 1), tick=False):
        assert dt.datetime.now(dt.UTC).date() == dt.date(2026, 3, 31)
        after = recompute_task_light(task)
    assert after.light == "red" and "已超过完成时限1个工作日" in after.reason


@pytest.mark.django_db
def test_a_report_sent_at_23_59_on_its_due_day_is_on_time():
    loader = _FactLoader(dt.date(2026, 4, 2), load_calendar(), _thresholds())
    due = dt.date(2026, 3, 31)
    on_time = ("submitted", at(2026, 3, 31, 23, 59).astimezone(dt.UTC), False)
    late = ("submitted", at(2026, 4, 1, 0, 1).astimezone(dt.UTC), False)
    assert loader._state(on_time, due) == "on_time"
    assert loader._state(late, due) == "late"


def _thresholds():
    from duban.supervision.lights import Thresholds
    from duban.supervision.models import SupervisionSettings

    return Thresholds.from_settings(SupervisionSettings.current())


@pytest.mark.django_db
def test_the_same_edge_holds_for_reports_read_from_the_database(task, units):
    """The nightly run reads report times past the ORM (as SQLite's stored text there):
    23:59 on the due day is on time, 00:01 the next day is late, on either database."""
    from duban.supervision.models import ProgressReport

    due = dt.date(2026, 3, 31)
    for end, sent in ((dt.date(2026, 3, 30), at(2026, 3, 31, 23, 59)),
                      (dt.date(2026, 3, 31), at(2026, 4, 1, 0, 1))):  # fmt: skip
        ProgressReport.objects.create(
            task=task, unit=units["sw"], period_start=end, period_end=end, due_date=due,
            progress="按期推进", percent=50, status="submitted", submitted_at=sent,
        )  # fmt: skip
    loader = _FactLoader(dt.date(2026, 4, 2), load_calendar(), _thresholds())
    found = loader._reports([task.pk], since=dt.date(2026, 3, 1))[task.pk]
    states = {end: loader._state(r, due) for (_unit, end), r in found.items()}
    assert states == {dt.date(2026, 3, 30): "on_time", dt.date(2026, 3, 31): "late"}
    # A time written by another tool in ISO form ("T", an offset) is read whole.
    assert loader._state(("submitted", "2026-03-31T16:01:00+00:00", False), due) == "late"
    assert loader._state(("submitted", "2026-03-31T15:59:00", False), due) == "on_time"
