"""Stored texts (light reasons, notice reasons) are written in the site's language, even
when an English-speaking user triggers the recompute or the chasing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from duban.org.services import create_user
from duban.plans.models import Assignment, Plan, Task
from duban.supervision import services
from duban.supervision.lights import recompute_lights
from duban.supervision.models import Notice


@pytest.mark.django_db
def test_an_english_session_still_stores_chinese_reasons(units):
    plan = Plan.objects.create(title="语言方案")
    task = Task.objects.create(
        plan=plan, code="1.1", text="推进老旧小区改造", status="confirmed",
        start_date=dt.date(2026, 3, 1), deadline=dt.date(2026, 12, 31),
    )  # fmt: skip
    Assignment.objects.create(task=task, lead_unit=units["sw"])
    office = create_user("office", password="x", unit=units["office"], role="office")
    with time_machine.travel(dt.datetime(2026, 5, 8, 10, 0), tick=False):
        services.set_reporting_schedule(
            task, actor=office, frequency="monthly", day=25, starts_on=dt.date(2026, 3, 1)
        )
        with translation.override("en"):
            recompute_lights()
            services.run_chasing()
    task.refresh_from_db()
    assert "未报送" in task.light_reason
    reasons = list(Notice.objects.filter(task=task).values_list("reason", flat=True))
    assert reasons and all("未报送" in r or "亮红灯" in r for r in reasons)
