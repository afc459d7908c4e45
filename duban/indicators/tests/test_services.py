"""对标对表's rules: reading targets, indicators from tasks, actual values, peers, the gap."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from duban.core.errors import NotAllowed, NotFound
from duban.core.models import AuditEntry, ConflictError
from duban.indicators import services
from duban.indicators.choices import IndicatorKind, Qualifier
from duban.indicators.models import Indicator, IndicatorMonth, PeerValue
from duban.indicators.reading import read_target

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "value", "name", "measure", "kind", "target", "qualifier"),
    [
        ("地区生产总值增长6%左右", "6%", "地区生产总值", "%", "growth", "6", "about"),
        ("城镇新增就业4.2万人", "", "城镇新增就业", "万人", "cumulative", "4.2", "none"),
        ("城镇调查失业率5.5%以内", "", "城镇调查失业率", "%", "ceiling", "5.5", "at_most"),
        ("粮食产量稳定在125万吨以上", "", "粮食产量", "万吨", "level", "125", "at_least"),
        ("单位地区生产总值能耗降低2.5%", "", "单位地区生产总值能耗", "%", "ceiling", "-2.5", "none"),
        ("居民消费价格涨幅3%左右", "", "居民消费价格涨幅", "%", "ceiling", "3", "about"),
        # The task's target_value picks the clause in a long sentence.
        ("加快建设园区，完成投资30亿元，新增就业1.2万人", "1.2万人", "新增就业", "万人",
         "cumulative", "1.2", "none"),
    ],
)  # fmt: skip
def test_targets_are_read_into_indicators(text, value, name, measure, kind, target, qualifier):
    found = read_target(text, value)
    assert (found.name, found.measure, found.kind, found.qualifier) == (
        name,
        measure,
        kind,
        qualifier,
    )
    assert found.target == Decimal(target)


def test_a_sentence_without_a_number_and_unit_is_no_target():
    assert read_target("居民人均可支配收入增长与经济增长同步") is None


def test_indicators_are_made_once_from_the_tasks_with_a_target(target_plan, people, indicators):
    plan, tasks = target_plan
    assert set(indicators) == {"1.1", "1.2", "1.3"}  # 1.4 has no target
    gdp = indicators["1.1"]
    assert (gdp.name, gdp.kind, gdp.target, gdp.qualifier) == (
        "地区生产总值",
        IndicatorKind.GROWTH,
        Decimal("6"),
        Qualifier.ABOUT,
    )
    assert gdp.tolerance == services.ABOUT_TOLERANCE and gdp.year == plan.year
    assert indicators["1.3"].name == "完成固定资产投资"
    assert (
        AuditEntry.objects.filter(object_type="indicators.indicator", action="create").count() == 3
    )
    again = services.create_indicators_from_tasks(actor=people["office"])
    assert again == [] and Indicator.objects.count() == 3


def test_only_the_office_makes_indicators(target_plan, people):
    with pytest.raises(NotAllowed):
        services.create_indicators_from_tasks(actor=people["clerk"])
    assert not Indicator.objects.exists()


def test_the_default_plan_spreads_a_cumulative_target_and_keeps_a_rate(indicators):
    jobs, gdp = indicators["1.2"], indicators["1.1"]
    assert jobs.default_plan(3) == Decimal("1.05") and jobs.default_plan(12) == Decimal("4.2")
    assert gdp.default_plan(3) == gdp.default_plan(11) == Decimal("6")


@pytest.mark.parametrize(
    ("kind", "plan", "actual", "gap"),
    [
        ("growth", "6", "5.4", "10.0"),
        ("growth", "6", "6.6", "-10.0"),
        ("cumulative", "1.05", "0.84", "20.0"),
        ("ceiling", "5.5", "5.94", "8.0"),  # above a ceiling is behind
        ("ceiling", "-2.5", "-2.0", "20.0"),  # energy fell less than the plan
        ("ceiling", "-2.5", "-3.0", "-20.0"),
        ("growth", "0", "-1", "100"),
    ],
)
def test_the_gap_is_percent_of_the_plan_and_direction_aware(kind, plan, actual, gap):
    assert services.gap_percent(kind, Decimal(plan), Decimal(actual)) == Decimal(gap)


def test_the_rank_among_peers_is_direction_aware():
    peers = [Decimal("5.8"), Decimal("6.3"), Decimal("5.1")]
    assert services.rank_among("growth", Decimal("6.0"), peers) == (2, 4)
    assert services.rank_among("ceiling", Decimal("6.0"), peers) == (3, 4)
    assert services.rank_among("growth", Decimal("6.3"), peers) == (1, 4)  # a tie shares
    assert services.rank_among("growth", None, peers) is None
    assert services.rank_among("growth", Decimal("6"), []) is None


def test_the_lead_units_clerk_enters_a_month_and_a_second_entry_updates_it(indicators, people):
    gdp = indicators["1.1"]
    row, created = services.enter_actual(
        gdp, actor=people["clerk"], month=1, value="5.2", note="初步核算"
    )
    assert created and row.actual == Decimal("5.2") and row.entered_by == people["clerk"]
    gdp.refresh_from_db()
    assert (gdp.gap_month, gdp.gap_percent) == (1, Decimal("13.3"))
    row, created = services.enter_actual(gdp, actor=people["lead"], month=1, value="5.6")
    assert not created and IndicatorMonth.objects.filter(indicator=gdp).count() == 1
    update = AuditEntry.objects.filter(
        object_type="indicators.indicatormonth", object_id=str(row.pk), action="update"
    ).get()
    assert update.before["actual"] == "5.2000" and update.after["actual"] == "5.6000"
    assert update.actor == people["lead"]
    gdp.refresh_from_db()
    assert gdp.gap_percent == Decimal("6.7")


def test_the_office_may_enter_for_the_unit(indicators, people):
    row, created = services.enter_actual(
        indicators["1.2"], actor=people["office"], month=1, value="0.4"
    )
    assert created and row.entered_by == people["office"]


def test_a_co_unit_sees_but_does_not_enter_and_another_unit_finds_nothing(indicators, people):
    gdp = indicators["1.1"]
    with pytest.raises(NotAllowed):
        services.enter_actual(gdp, actor=people["co_clerk"], month=1, value="5")
    with pytest.raises(NotFound):
        services.enter_actual(gdp, actor=people["other"], month=1, value="5")
    with pytest.raises(NotAllowed):
        services.enter_actual(gdp, actor=people["viewer"], month=1, value="5")
    assert not IndicatorMonth.objects.exists()
    assert services.get_indicator(people["co_clerk"], gdp.pk) == gdp
    with pytest.raises(NotFound):
        services.get_indicator(people["other"], gdp.pk)


@pytest.mark.parametrize(
    ("month", "value", "message"),
    [
        (1, "abc", "实际值应为数字，例如 5.2 或 -2.5（收到“abc”）。"),
        (1, "", "请填写实际值。"),
        (1, "NaN", "实际值应为数字"),
        (1, "1e20", "实际值超出范围。"),
        (13, "5", "月份应为 1 到 12 之间的整数。"),
        ("三", "5", "月份应为 1 到 12 之间的整数。"),
    ],
)
def test_bad_input_gets_a_chinese_message_and_writes_nothing(
    indicators, people, month, value, message
):
    before = AuditEntry.objects.count()
    with pytest.raises(services.ValidationError) as caught:
        services.enter_actual(indicators["1.1"], actor=people["clerk"], month=month, value=value)
    assert message in str(caught.value)
    assert not IndicatorMonth.objects.exists() and AuditEntry.objects.count() == before


def test_a_month_still_to_come_is_refused(indicators, people):
    gdp = indicators["1.1"]
    today = dt.date(gdp.year, 4, 10)
    with pytest.raises(services.ValidationError, match="尚未到来"):
        services.enter_actual(gdp, actor=people["clerk"], month=5, value="6", today=today)
    services.enter_actual(gdp, actor=people["clerk"], month=4, value="6", today=today)


def test_numbers_as_people_type_them():
    assert services.parse_number("1,234.5", label="x") == Decimal("1234.5")
    assert services.parse_number(" 5.2% ", label="x") == Decimal("5.2")
    assert services.parse_number("-2.5", label="x") == Decimal("-2.5")


def test_peer_values_are_the_offices_and_rank_us(indicators, people):
    gdp = indicators["1.1"]
    with pytest.raises(NotAllowed):
        services.enter_peer_value(gdp, actor=people["clerk"], month=1, city="甲市", value="5")
    services.enter_actual(gdp, actor=people["clerk"], month=1, value="5.6")
    for city, value in (("甲市", "5.9"), ("乙市", "5.1"), ("丙市", "4.8")):
        services.enter_peer_value(
            gdp, actor=people["office"], month=1, city=city, value=value, source="统计公报"
        )
    peer, created = services.enter_peer_value(
        gdp, actor=people["office"], month=1, city="乙市", value="5.7"
    )
    assert not created and PeerValue.objects.count() == 3
    row = services.rows(people["office"])[0]
    assert row.indicator == gdp and (row.rank, row.rank_month) == ((3, 4), 1)
    with pytest.raises(services.ValidationError, match="请填写对标城市"):
        services.enter_peer_value(gdp, actor=people["office"], month=1, city=" ", value="5")
    with pytest.raises(services.ValidationError, match="对标数值应为数字"):
        services.enter_peer_value(gdp, actor=people["office"], month=1, city="丁市", value="五")
    assert PeerValue.objects.count() == 3


def test_the_table_is_filtered_by_unit_and_framework_and_visibility(
    target_plan, indicators, people, units
):
    plan, tasks = target_plan
    names = lambda rows: [r.indicator.task.code for r in rows]  # noqa: E731
    assert names(services.rows(people["office"])) == ["1.1", "1.2", "1.3"]
    assert names(services.rows(people["office"], unit=units["sw"].pk)) == ["1.1", "1.2"]
    assert names(services.rows(people["office"], unit=units["cz"].pk)) == ["1.3"]
    node = tasks["jobs"].framework_node_id
    assert names(services.rows(people["office"], framework=node)) == ["1.2"]
    assert names(services.rows(people["co_clerk"])) == ["1.1", "1.2"]
    assert names(services.rows(people["other"])) == ["1.3"]


def test_monthly_plans_are_edited_by_the_office_with_the_version(indicators, people):
    gdp = indicators["1.1"]
    services.enter_actual(gdp, actor=people["clerk"], month=1, value="5.4")
    services.update_indicator(gdp, actor=people["office"], version=gdp.version, plans={1: "5.5"})
    gdp.refresh_from_db()
    assert gdp.gap_percent == Decimal("1.8")  # (5.5 - 5.4) / 5.5
    stale = gdp.version - 1
    with pytest.raises(ConflictError):
        services.update_indicator(gdp, actor=people["office"], version=stale, name="改名")
    gdp = Indicator.objects.get(pk=gdp.pk)  # the refused edit left its values on the instance
    assert gdp.name == "地区生产总值"
    with pytest.raises(NotAllowed):
        services.update_indicator(gdp, actor=people["clerk"], name="改名")
    with pytest.raises(services.ValidationError, match="3月计划值应为数字"):
        services.update_indicator(gdp, actor=people["office"], plans={3: "x"})
    services.update_indicator(gdp, actor=people["office"], plans={1: ""})  # back to default
    gdp.refresh_from_db()
    assert gdp.gap_percent == Decimal("10.0")


def test_the_derived_gap_is_never_written_back_by_a_save(indicators, people):
    gdp = indicators["1.1"]
    loaded = Indicator.objects.get(pk=gdp.pk)
    services.enter_actual(gdp, actor=people["clerk"], month=1, value="3")
    loaded.name = "地区生产总值增速"
    loaded.save()
    assert Indicator.objects.get(pk=gdp.pk).gap_percent == Decimal("50.0")


def test_today_is_not_needed_for_the_gap(indicators):
    assert timezone.localdate()  # the gap comes from stored months only
    assert indicators["1.1"].gap_percent is None
