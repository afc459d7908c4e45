"""The indicator pages: the table with the gap and the rank, filters, the export reopened,
a month entered from the page, bad numbers refused in Chinese, generation by the office."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest

from duban.indicators import services
from duban.indicators.models import Indicator, IndicatorMonth

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


def _with_figures(indicators, people):
    gdp = indicators["1.1"]
    services.enter_actual(gdp, actor=people["clerk"], month=1, value="5.1")
    for city, value in (("甲市", "5.8"), ("乙市", "4.9")):
        services.enter_peer_value(gdp, actor=people["office"], month=1, city=city, value=value)
    return gdp


def test_the_table_shows_plan_actual_gap_rank_and_light(client, indicators, people):
    _with_figures(indicators, people)
    page = logged_in(client, people["office"]).get("/indicators/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<tr data-indicator="地区生产总值" data-light="yellow">' in html
    assert '<span class="actual">5.1</span> / <span class="plan">6</span>' in html
    assert "落后 15%" in html
    assert "第2名（共3个城市，1月）" in html
    assert '<td class="target" title="地区生产总值增长6%左右">6%左右</td>' in html
    assert ">4.2万人</td>" in html
    assert "从任务目标生成指标" in html
    assert ">城镇新增就业</a>" in html and ">完成固定资产投资</a>" in html


def test_the_table_filters_by_unit_and_framework(client, target_plan, indicators, people, units):
    plan, tasks = target_plan
    c = logged_in(client, people["office"])
    html = c.get("/indicators/", {"unit": units["cz"].pk}).content.decode()
    assert "完成固定资产投资" in html and 'data-indicator="地区生产总值"' not in html
    html = c.get("/indicators/", {"framework": tasks["jobs"].framework_node_id}).content.decode()
    assert 'data-indicator="城镇新增就业"' in html and 'data-indicator="地区生产总值"' not in html
    assert c.get("/indicators/", {"unit": "abc"}).status_code == 400


def test_a_unit_sees_its_own_indicators_and_no_generate_button(client, indicators, people):
    html = logged_in(client, people["other"]).get("/indicators/").content.decode()
    assert 'data-indicator="完成固定资产投资"' in html
    assert 'data-indicator="地区生产总值"' not in html and "从任务目标生成指标" not in html
    assert client.get(f"/indicators/{indicators['1.1'].pk}/").status_code == 404
    assert client.post("/indicators/generate/").status_code == 403


def test_the_export_is_the_table_reopened(client, indicators, people):
    _with_figures(indicators, people)
    r = logged_in(client, people["office"]).get("/indicators/export.xlsx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    sheet = book["对标对表"]
    head = [c.value for c in sheet[1]]
    assert head[:6] == ["任务编号", "指标", "计量单位", "牵头单位", "年度目标", "年度"]
    assert head[6:8] == ["1月计划", "1月实际"] and head[-4:] == [
        "最新月份",
        "落后计划（%）",
        "对标排名",
        "亮灯",
    ]
    gdp = [c.value for c in sheet[2]]
    assert gdp[:5] == ["1.1", "地区生产总值", "%", "市发展和改革委员会", "地区生产总值增长6%左右"]
    assert gdp[6:8] == [6, 5.1] and gdp[8:10] == [6, None]
    assert gdp[-4:] == [1, 15, "2/3（1月）", "黄灯"]
    assert sheet.max_row == 4  # three indicators
    jobs = [c.value for c in sheet[3]]
    assert jobs[6] == 0.35 and jobs[28] == 4.2  # spread evenly: 4.2 × 1/12, and December
    peers = book["对标城市"]
    rows = [[c.value for c in r] for r in peers.iter_rows(min_row=2)]
    assert sorted(rows) == [
        ["地区生产总值", 1, "乙市", 4.9, None],
        ["地区生产总值", 1, "甲市", 5.8, None],
    ]


def test_the_clerk_enters_a_month_on_the_page_and_a_bad_number_is_refused(
    client, indicators, people
):
    gdp = indicators["1.1"]
    c = logged_in(client, people["clerk"])
    page = c.get(f"/indicators/{gdp.pk}/")
    assert "填报实际值" in page.content.decode() and "录入对标数值" not in page.content.decode()
    bad = c.post(f"/indicators/{gdp.pk}/", {"actual": "1", "month": "1", "value": "很好"})
    assert bad.status_code == 400
    assert "实际值应为数字，例如 5.2 或 -2.5（收到“很好”）。" in bad.content.decode()
    assert not IndicatorMonth.objects.exists()
    ok = c.post(
        f"/indicators/{gdp.pk}/", {"actual": "1", "month": "1", "value": "5.9", "note": "快报"}
    )
    assert ok.status_code == 302
    assert IndicatorMonth.objects.get(indicator=gdp, month=1).note == "快报"
    html = c.get(f"/indicators/{gdp.pk}/").content.decode()
    assert "已填报1月实际值。" in html
    # A peer figure is the office's: the clerk's post is refused.
    assert (
        c.post(
            f"/indicators/{gdp.pk}/", {"peer": "1", "month": "1", "city": "甲", "value": "1"}
        ).status_code
        == 403
    )


def test_a_co_unit_reads_the_page_without_the_form(client, indicators, people):
    gdp = indicators["1.1"]
    c = logged_in(client, people["co_clerk"])
    assert "填报实际值" not in c.get(f"/indicators/{gdp.pk}/").content.decode()
    assert (
        c.post(f"/indicators/{gdp.pk}/", {"actual": "1", "month": "1", "value": "5"}).status_code
        == 403
    )


def test_the_office_generates_from_the_page_and_enters_peers(client, target_plan, people):
    c = logged_in(client, people["office"])
    r = c.post("/indicators/generate/")
    assert r.status_code == 302 and Indicator.objects.count() == 3
    assert "已从任务目标生成 3 个指标。" in c.get("/indicators/").content.decode()
    gdp = Indicator.objects.get(task__code="1.1")
    r = c.post(
        f"/indicators/{gdp.pk}/",
        {"peer": "1", "month": "1", "city": "甲市", "value": "6.1", "source": "公报"},
    )
    assert r.status_code == 302 and gdp.peers.get().city == "甲市"


def test_the_table_reads_a_fixed_number_of_queries(
    client, indicators, people, django_assert_max_num_queries
):
    _with_figures(indicators, people)
    c = logged_in(client, people["office"])
    c.get("/indicators/")
    with django_assert_max_num_queries(9):
        c.get("/indicators/")


def _edit(indicator, **changes):
    data = {
        "edit": "1",
        "version": indicator.version,
        "name": indicator.name,
        "measure": indicator.measure,
        "kind": indicator.kind,
        "target": "6",
        "qualifier": indicator.qualifier,
        "tolerance": "2",
        **{f"plan_{m}": "" for m in range(1, 13)},
    }
    data.update(changes)
    return data


def test_the_office_edits_the_monthly_plan_on_the_page(client, indicators, people):
    gdp = indicators["1.1"]
    services.enter_actual(gdp, actor=people["clerk"], month=1, value="5.4")
    c = logged_in(client, people["office"])
    page = c.get(f"/indicators/{gdp.pk}/").content.decode()
    assert "修改指标与逐月计划" in page and 'placeholder="6"' in page
    r = c.post(f"/indicators/{gdp.pk}/", _edit(gdp, plan_1="5.5", tolerance="0"))
    assert r.status_code == 302, r.content.decode()[:2000]
    gdp.refresh_from_db()
    assert gdp.gap_percent == Decimal("1.8") and gdp.tolerance == 0
    assert IndicatorMonth.objects.get(indicator=gdp, month=1).plan == Decimal("5.5")
    assert 'name="plan_1" value="5.5"' in c.get(f"/indicators/{gdp.pk}/").content.decode()


def test_a_bad_or_stale_edit_changes_nothing(client, indicators, people):
    gdp = indicators["1.1"]
    c = logged_in(client, people["office"])
    bad = c.post(f"/indicators/{gdp.pk}/", _edit(gdp, plan_3="三"))
    assert bad.status_code == 400 and "3月计划值应为数字" in bad.content.decode()
    stale = c.post(f"/indicators/{gdp.pk}/", _edit(gdp, version=gdp.version - 1, name="改名"))
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()
    assert 'value="改名"' in stale.content.decode()  # what was typed is kept
    assert Indicator.objects.get(pk=gdp.pk).name == "地区生产总值"
    assert not IndicatorMonth.objects.exists()
    clerk = logged_in(client, people["clerk"])
    assert clerk.post(f"/indicators/{gdp.pk}/", _edit(gdp, name="x")).status_code == 403


def test_the_task_page_links_to_its_indicator(client, target_plan, indicators, people):
    plan, tasks = target_plan
    c = logged_in(client, people["office"])
    html = c.get(f"/tasks/{tasks['gdp'].pk}/").content.decode()
    assert f'<a href="/indicators/{indicators["1.1"].pk}/">地区生产总值</a>' in html
    assert (
        "/indicators/"
        not in c.get(f"/tasks/{tasks['plain'].pk}/").content.decode().split("<main")[1]
    )
