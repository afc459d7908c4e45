"""Fixtures of the indicator tests: the conftest units, one user per role that matters, and
a confirmed plan whose tasks carry targets as the engine leaves them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from duban.plans.choices import TaskKind, TaskStatus
from duban.plans.models import FrameworkNode, Plan, Task


@pytest.fixture
def people(units):
    from duban.org.services import create_user

    return {
        "office": create_user(
            "office", password="pw-office-1", unit=units["office"], role="office"
        ),
        # 市发改委 leads the indicator tasks, 市商务局 co-handles them, 市财政局 has none.
        "clerk": create_user("clerk", password="pw-clerk-1", unit=units["fgw"], role="clerk"),
        "lead": create_user("lead", password="pw-lead-1", unit=units["fgw"], role="unit_leader"),
        "co_clerk": create_user("co", password="pw-co-1", unit=units["sw"], role="clerk"),
        "other": create_user("other", password="pw-other-1", unit=units["cz"], role="clerk"),
        "viewer": create_user("viewer", password="pw-viewer-1", unit=units["root"], role="viewer"),
    }


@pytest.fixture
def target_plan(units, people):
    """A confirmed plan of this year: two indicator tasks led by 市发改委 (co-unit 市商务局),
    an ordinary task with a target in its sentence led by 市财政局, and one without any."""
    from duban.plans.services import assign_task

    today = timezone.localdate()
    plan = Plan.objects.create(title="指标方案", year=today.year, status="confirmed")
    node = FrameworkNode.objects.create(plan=plan, name="稳增长", kind="section", code="1")
    other_node = FrameworkNode.objects.create(plan=plan, name="惠民生", kind="section", code="2")
    deadline = dt.date(today.year, 12, 31) + dt.timedelta(days=30)

    def task(code, text, target, *, kind=TaskKind.INDICATOR, node=node, order=0):
        return Task.objects.create(
            plan=plan,
            framework_node=node,
            code=code,
            text=text,
            target_value=target,
            kind=kind,
            status=TaskStatus.IN_PROGRESS,
            deadline=deadline,
            sort_order=order,
        )

    tasks = {
        "gdp": task("1.1", "地区生产总值增长6%左右", "6%", order=1),
        "jobs": task("1.2", "城镇新增就业4.2万人", "4.2万人", node=other_node, order=2),
        "invest": task(
            "1.3",
            "加快重大项目建设，全年完成固定资产投资300亿元",
            "300亿元",
            kind=TaskKind.TASK,
            order=3,
        ),
        "plain": task("1.4", "深化营商环境改革", "", kind=TaskKind.TASK, order=4),
    }
    office = people["office"]
    for name in ("gdp", "jobs"):
        assign_task(tasks[name], lead_unit=units["fgw"], co_units=[units["sw"]], actor=office)
    assign_task(tasks["invest"], lead_unit=units["cz"], actor=office)
    assign_task(tasks["plain"], lead_unit=units["cz"], actor=office)
    return plan, tasks


@pytest.fixture
def indicators(target_plan, people):
    """The plan's indicators, made the way the office makes them (the button's service)."""
    from duban.indicators.services import create_indicators_from_tasks

    made = create_indicators_from_tasks(actor=people["office"])
    return {i.task.code: i for i in made}
