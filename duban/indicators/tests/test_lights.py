"""The gap to the plan lights the task: one more fact for supervision.lights.compute_light,
read in the same query as the task's row, so the nightly run costs what it did."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from duban.indicators import services
from duban.indicators.models import Indicator
from duban.plans.models import Task
from duban.supervision.lights import (
    IndicatorFact,
    TaskFacts,
    Thresholds,
    compute_light,
    recompute_lights,
    recompute_task_light,
)
from duban.supervision.models import SupervisionSettings

pytestmark = pytest.mark.django_db


def light_of(task: Task) -> tuple[str, str]:
    task.refresh_from_db()
    return task.light, task.light_reason


def test_a_gap_turns_the_task_yellow_then_red_and_closing_it_turns_it_green(indicators, people):
    gdp = indicators["1.1"]  # 6 %左右: a tolerance of 2 % on top of the thresholds (5, 15)
    task = gdp.task
    clerk = people["clerk"]
    services.enter_actual(gdp, actor=clerk, month=1, value="5.7")  # 5 % behind, within
    assert light_of(task) == ("green", "按计划推进")
    services.enter_actual(gdp, actor=clerk, month=1, value="5.2")  # 13.3 % behind
    assert light_of(task) == ("yellow", "指标“地区生产总值”1月完成进度落后计划13.3%")
    services.enter_actual(gdp, actor=clerk, month=1, value="4.8")  # 20 % behind
    assert light_of(task) == ("red", "指标“地区生产总值”1月完成进度落后计划20%")
    services.enter_actual(gdp, actor=clerk, month=1, value="6.1")
    assert light_of(task) == ("green", "按计划推进")
    # The nightly run reads the same fact and agrees.
    services.enter_actual(gdp, actor=clerk, month=1, value="5.0")
    nightly = recompute_lights(Task.objects.filter(pk=task.pk), today=timezone.localdate())
    assert nightly["changed"] == 0 and nightly["yellow"] == 1


def test_a_ceiling_is_behind_when_above_and_the_rule_is_pure():
    facts = TaskFacts(
        status="in_progress",
        start_date=None,
        deadline=None,
        indicator=IndicatorFact(name="城镇调查失业率", month=3, gap_percent=16.0),
    )
    today = dt.date(2026, 4, 1)
    assert compute_light(facts, Thresholds(), today) == (
        "red",
        "指标“城镇调查失业率”3月完成进度落后计划16%",
    )
    loose = Thresholds(indicator_yellow_gap_percent=10, indicator_red_gap_percent=20)
    assert compute_light(facts, loose, today).light == "yellow"
    ahead = TaskFacts(
        status="in_progress",
        start_date=None,
        deadline=None,
        indicator=IndicatorFact(name="城镇调查失业率", month=3, gap_percent=-4.0),
    )
    assert compute_light(ahead, Thresholds(), today).light == "green"


def test_the_thresholds_are_the_offices(indicators, people):
    gdp = indicators["1.1"]
    services.enter_actual(gdp, actor=people["clerk"], month=1, value="5.2")
    assert gdp.task.light == "yellow"
    settings = SupervisionSettings.current()
    settings.indicator_yellow_gap_percent = 12
    settings.indicator_red_gap_percent = 30
    settings.save()
    recompute_task_light(gdp.task)
    assert light_of(gdp.task)[0] == "green"  # 13.3 % minus the 2 % tolerance is within 12


def test_the_settings_form_wants_red_above_yellow(db):
    from duban.supervision.forms import SupervisionSettingsForm

    current = SupervisionSettings.current()
    data = {f: getattr(current, f) for f in SupervisionSettingsForm.Meta.fields}
    data.update(indicator_yellow_gap_percent=20, indicator_red_gap_percent=10, version=1)
    form = SupervisionSettingsForm(data, instance=current)
    assert not form.is_valid()
    assert form.errors["indicator_red_gap_percent"] == ["红灯阈值应大于黄灯阈值。"]


def test_the_incremental_run_looks_again_at_a_task_whose_indicator_changed(indicators):
    gdp = indicators["1.1"]
    today = timezone.localdate()
    recompute_lights(today=today, incremental=True)
    assert light_of(gdp.task)[0] == "green"
    # A gap stored without a recompute (as a bulk fix of the months would leave it).
    Indicator.objects.filter(pk=gdp.pk).update(
        gap_month=2, gap_percent=40, updated_at=timezone.now() + dt.timedelta(seconds=1)
    )
    counts = recompute_lights(today=today, incremental=True)
    assert not counts["full"] and counts["tasks"] == 1
    assert light_of(gdp.task) == ("red", "指标“地区生产总值”2月完成进度落后计划40%")


def test_indicators_add_no_query_to_the_recompute(indicators, people):
    services.enter_actual(indicators["1.1"], actor=people["clerk"], month=1, value="4")
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as with_indicators:
        recompute_lights(today=today)
    Indicator.objects.all().delete()
    with CaptureQueriesContext(connection) as without:
        recompute_lights(today=today)

    # Each unit's red tasks of the day are written only when some task is red (the gap
    # makes one red here): that write is about lights, not indicators.
    def count(queries):
        return sum(
            1 for q in queries.captured_queries if "supervision_unitreddaily" not in q["sql"]
        )

    assert count(with_indicators) == count(without)
    # The indicator's columns come joined to the task's row, never from a query of their own.
    sqls = [q["sql"] for q in with_indicators.captured_queries]
    assert any('JOIN "indicators_indicator"' in sql for sql in sqls)
    assert not any('FROM "indicators_' in sql for sql in sqls)
