"""Class 3: the API no longer trusts the reporting period or due date a client sends.

The probe filed 2026-12-31..2026-01-31 due 2099-01-01 through the API and it counted as on
time; a period starting in 1900 was accepted too. The server now takes the period from
the task's reporting schedule, as the report page does.
"""

# ruff: noqa: F811 - the shared fixtures are imported by name and used as arguments
from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from duban.plans.tests.test_views import frozen, world  # noqa: F401 - fixtures
from duban.supervision.models import ProgressReport, ReportingSchedule
from duban.supervision.periods import schedule_periods


def post(world, **fields):
    c = APIClient()
    c.force_authenticate(world["people"]["clerk"])
    body = {"percent": 40, "progress": "完成选址", **fields}
    return c.post(f"/api/tasks/{world['task'].pk}/report/", body, format="json")


def owed(world):
    schedule = ReportingSchedule.objects.get(task=world["task"])
    return {p.period_end: p for p in schedule_periods(schedule, until=dt.date(2026, 4, 30))}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"period_start": "2026-12-31", "period_end": "2026-01-31", "due_date": "2099-01-01"},
            "period_start",
            "报送周期的开始日期晚于结束日期。",
        ),
        ({"period_end": "2026-12-31", "due_date": "2099-01-01"}, "period_end", "没有这个报送周期"),
        ({"period_start": "1900-01-01", "period_end": "1900-01-31"}, "period_end", "没有这个"),
        ({"period_end": "2026-03-13", "due_date": "2099-01-01"}, "due_date", "应为 2026-03-1"),
        ({"period_start": "1900-01-01", "period_end": "2026-03-13"}, "period_start", "应为 2026"),
    ],
)
def test_a_period_the_schedule_does_not_owe_is_400_and_nothing_is_filed(
    world, fields, field, message
):
    r = post(world, **fields)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "invalid" and message in error["message"][field][0]
    assert not ProgressReport.objects.exists()


def test_the_server_fills_in_the_period_and_due_date_from_the_schedule(world):
    periods = owed(world)
    chosen = periods[dt.date(2026, 3, 13)]
    r = post(world, period_end="2026-03-13")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["period_start"] == chosen.period_start.isoformat()
    assert body["due_date"] == chosen.due_date.isoformat()
    # Sending the schedule's own dates is fine.
    r = post(
        world,
        period_start=chosen.period_start.isoformat(),
        period_end="2026-03-13",
        due_date=chosen.due_date.isoformat(),
        version=body["version"],
    )
    assert r.status_code == 201, r.json()


def test_without_a_period_the_report_is_for_the_next_one_due(world):
    r = post(world)
    assert r.status_code == 201, r.json()
    report = ProgressReport.objects.get()
    due = sorted(p for p in owed(world).values() if p.due_date >= dt.date(2026, 3, 16))[0]
    assert (report.period_start, report.period_end, report.due_date) == tuple(due)
