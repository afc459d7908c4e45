"""The battle map's numbers on the hand-made plan (see conftest.py for the picture)."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.battlemap import services
from duban.battlemap.services import Filters
from duban.battlemap.tests.conftest import TODAY
from duban.core.params import BadParameter

pytestmark = pytest.mark.django_db


def mixes(rows):
    return {row.label: row.mix.as_dict() for row in rows}


def test_office_sees_every_active_task_counted_once(small):
    ov = services.overview(small["users"]["office"], Filters(), today=TODAY)
    # t1..t5, t7 of the plan and t8 of the other plan; t6 is a proposal.
    assert ov.totals.as_dict() == {
        "closed": 1,
        "green": 2,
        "yellow": 1,
        "red": 2,
        "none": 1,
        "total": 7,
    }
    assert round(ov.totals.completion, 2) == round(100 / 7, 2)
    assert round(ov.totals.share("red"), 2) == round(200 / 7, 2)


def test_pillars_roll_items_up_and_keep_the_plans_order(small):
    ov = services.overview(small["users"]["office"], Filters(plan_id=small["plan"].pk), today=TODAY)
    assert [row.label for row in ov.pillars] == ["创新之城", "开放之城", "未归入框架"]
    assert mixes(ov.pillars) == {
        "创新之城": {"closed": 0, "green": 1, "yellow": 0, "red": 1, "none": 0, "total": 2},
        "开放之城": {"closed": 1, "green": 0, "yellow": 1, "red": 1, "none": 0, "total": 3},
        "未归入框架": {"closed": 0, "green": 0, "yellow": 0, "red": 0, "none": 1, "total": 1},
    }
    assert ov.totals.total == 6


def test_units_best_completion_first(small):
    ov = services.overview(small["users"]["office"], Filters(plan_id=small["plan"].pk), today=TODAY)
    assert [row.label for row in ov.units] == ["市商务局", "市发改委"]
    assert mixes(ov.units)["市商务局"] == {
        "closed": 1,
        "green": 0,
        "yellow": 1,
        "red": 1,
        "none": 0,
        "total": 3,
    }
    assert mixes(ov.units)["市发改委"]["total"] == 3
    assert [row.label for row in services.most_red(ov.units)] == ["市发改委", "市商务局"]


def test_red_list_by_deadline_with_reasons_and_due_soon(small):
    t = small["tasks"]
    ov = services.overview(small["users"]["office"], Filters(), today=TODAY)
    assert [task.pk for task in ov.red_list] == [t["t7"].pk, t["t2"].pk]
    assert ov.red_list[1].light_reason == "已超过完成时限3个工作日"
    assert ov.red_list[0].assignment.lead_unit.short_name == ""
    assert ov.red_more == 0
    # t3 is due in 5 days; t4 is due in 3 days but already closed.
    assert [task.pk for task in ov.due_soon] == [t["t3"].pk]


def test_trend_sums_plans_per_day(small):
    ov = services.overview(small["users"]["office"], Filters(), today=TODAY)
    assert [(p.date, p.green, p.yellow, p.red, p.closed) for p in ov.trend] == [
        (dt.date(2026, 11, 18), 3, 1, 1, 0),
        (dt.date(2026, 11, 19), 3, 1, 2, 1),
    ]
    only = services.overview(
        small["users"]["office"], Filters(plan_id=small["other"].pk), today=TODAY
    )
    assert [(p.date, p.green) for p in only.trend] == [(dt.date(2026, 11, 19), 1)]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"pillar": "innov"}, {"1.1", "1.2"}),
        ({"pillar": "open"}, {"2.1", "2.2", "2.3"}),
        ({"unit": "u2"}, {"2.1", "2.2", "2.3"}),
        ({"leader": "leader"}, {"1.1", "2.1"}),
        ({"from": "2026-11-01", "to": "2026-11-30"}, {"1.2", "2.1", "2.2"}),
        ({"light": "red"}, {"1.2", "2.3"}),
        ({"plan": "other"}, {"9.1"}),
    ],
)
def test_filters(small, params, expected):
    from duban.plans.models import Task

    lookup = {
        "innov": small["pillars"]["innov"].pk,
        "open": small["pillars"]["open"].pk,
        "u2": small["units"]["u2"].pk,
        "leader": small["users"]["leader"].pk,
        "other": small["other"].pk,
    }
    query = {k: str(lookup.get(v, v)) for k, v in params.items()}
    filters = Filters.from_query(query)
    nodes = services.node_index(filters.plan_id)
    qs = services.apply_filters(services.scoped_tasks(small["users"]["office"]), filters, nodes)
    assert set(qs.values_list("code", flat=True)) == expected
    assert (
        set(Task.objects.filter(pk__in=qs.values("pk")).values_list("code", flat=True)) == expected
    )


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"plan": "x"}, "plan"),
        ({"from": "2026-13-01"}, "from"),
        ({"unit": "-3"}, "unit"),
        ({"leader": "9" * 30}, "leader"),
        ({"light": "pink"}, "light"),
    ],
)
def test_garbage_filters_are_refused_by_name(query, named):
    # Refused, not ignored (issue 14): the views answer 400 with this message.
    with pytest.raises(BadParameter, match=f"“{named}”"):
        Filters.from_query(query)


def test_blank_filters_are_ignored():
    assert Filters.from_query({"plan": "", "from": " ", "light": ""}) == Filters()
    assert Filters.from_query({"plan": "4", "to": "2026-06-30"}).querystring() == (
        "plan=4&to=2026-06-30"
    )


def test_a_clerk_counts_only_own_unit_tasks_once(small):
    """U1's clerk sees t1, t2, t5 (lead) and t7 (co-unit): four tasks, no double count."""
    ov = services.overview(small["users"]["clerk"], Filters(), today=TODAY)
    assert ov.totals.as_dict() == {
        "closed": 0,
        "green": 1,
        "yellow": 0,
        "red": 2,
        "none": 1,
        "total": 4,
    }
    assert {row.label: row.mix.total for row in ov.units} == {"市发改委": 3, "市商务局": 1}
    assert ov.trend is None  # the trend is per plan, so it would tell other units' numbers
    assert ov.choices.units == [(small["units"]["u1"].pk, "市发改委")]
    assert ov.choices.leaders == []
    assert {t.code for t in ov.red_list} == {"1.2", "2.3"}


def test_roadmap_positions_bars_and_milestones(small):
    rm = services.roadmap(
        small["users"]["office"], Filters(plan_id=small["plan"].pk), group_by="node", today=TODAY
    )
    assert [g.label for g in rm.groups] == ["创新之城", "开放之城", "未归入框架"]
    assert rm.start == dt.date(2026, 1, 1) and rm.end == dt.date(2027, 1, 1)
    bar = next(b for g in rm.groups for b in g.bars if b.code == "1.1")
    span = (rm.end - rm.start).days
    assert bar.left == round((dt.date(2026, 3, 1) - rm.start).days * 100 / span, 3)
    assert bar.left + bar.width == pytest.approx(
        (dt.date(2026, 12, 31) - rm.start).days * 100 / span, abs=0.01
    )
    assert [(m.name, m.done) for m in bar.milestones] == [("完成招标", True), ("开工建设", False)]
    # A task without dates starts with the plan and runs open to the end of the range.
    t5 = next(b for g in rm.groups for b in g.bars if b.code == "3.1")
    assert (t5.left, t5.end, t5.left + t5.width) == (0.0, None, 100.0)
    assert rm.today_left == round((TODAY - rm.start).days * 100 / span, 3)
    assert rm.total == rm.shown == 6
    assert rm.months[0] == ("2026", 0.0) and rm.months[1][0] == "2月" and len(rm.months) == 12

    by_unit = services.roadmap(
        small["users"]["office"], Filters(plan_id=small["plan"].pk), group_by="unit", today=TODAY
    )
    assert [(g.label, len(g.bars)) for g in by_unit.groups] == [("市发改委", 3), ("市商务局", 3)]


def test_roadmap_caps_the_number_of_bars(small):
    rm = services.roadmap(small["users"]["office"], Filters(), today=TODAY, limit=4)
    assert (rm.shown, rm.total) == (4, 7)


def test_public_plan_only_when_public(small):
    assert services.public_plan(small["plan"].pk) is None
    small["plan"].is_public = True
    small["plan"].save()
    pub = services.public_plan(small["plan"].pk)
    assert (pub.total, pub.closed) == (6, 1)
    assert [a.label for a in pub.areas] == ["创新之城", "开放之城", "其他任务"]
    # closed counts as 100 %: (60 + 0 + 0 + 100 + 0 + 0) / 6
    assert pub.average_progress == 27
    assert not hasattr(pub.areas[0].tasks[0], "light_reason")
