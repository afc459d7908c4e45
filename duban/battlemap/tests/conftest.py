"""A small hand-made plan whose every number on the battle map is known in advance.

pillar 创新 (with item 创新·一)   pillar 开放                  no pillar
t1 item, U1, green, leader L     t3 U2, yellow, due in 5 days  t5 U1, not lit yet
t2 pillar, U1, red (overdue)     t4 U2, closed
                                 t7 U2 lead, U1 co-unit, red
t6 is a proposal (not counted); a second plan holds t8 (green, U3).
"""

from __future__ import annotations

import datetime as dt

import pytest

TODAY = dt.date(2026, 11, 20)
RED_REASON = "已超过完成时限3个工作日"


@pytest.fixture
def small(db):
    from duban.org.models import Unit
    from duban.org.services import create_user
    from duban.plans.models import Assignment, FrameworkNode, Milestone, Plan, Task
    from duban.supervision.models import LightDaily

    office = Unit.objects.create(name="市委督查室", kind="office")
    u1 = Unit.objects.create(name="市发展和改革委员会", short_name="市发改委", kind="government")
    u2 = Unit.objects.create(name="市商务局", kind="government")
    u3 = Unit.objects.create(name="市财政局", kind="government")
    users = {
        "office": create_user("office", password="pw-office-1", unit=office, role="office"),
        "leader": create_user("leader", password="pw-leader-1", unit=office, role="leader"),
        "clerk": create_user("clerk", password="pw-clerk-1", unit=u1, role="clerk"),
        "clerk3": create_user("clerk3", password="pw-clerk-3", unit=u3, role="clerk"),
    }
    users["leader"].display_name = "李市长"
    users["leader"].save()
    plan = Plan.objects.create(
        title="2026年重点工作", year=2026, status="confirmed", period_start=dt.date(2026, 1, 1)
    )
    other = Plan.objects.create(title="另一方案", year=2026, status="confirmed")
    innov = FrameworkNode.objects.create(plan=plan, name="创新之城", kind="section", sort_order=1)
    innov_item = FrameworkNode.objects.create(
        plan=plan, parent=innov, name="创新·一", kind="item", sort_order=1
    )
    open_ = FrameworkNode.objects.create(plan=plan, name="开放之城", kind="section", sort_order=2)

    def task(
        code,
        node,
        unit,
        light,
        status="in_progress",
        deadline=None,
        co=(),
        leader=None,
        reason="",
        plan_=plan,
        progress=0,
        start=None,
    ):
        t = Task.objects.create(
            plan=plan_,
            code=code,
            text=f"任务{code}",
            framework_node=node,
            status=status,
            deadline=deadline,
            start_date=start,
            progress=progress,
        )
        Task.objects.filter(pk=t.pk).update(light=light, light_reason=reason)
        if unit is not None:
            a = Assignment.objects.create(task=t, lead_unit=unit, leader_in_charge=leader)
            a.co_units.set(co)
        t.refresh_from_db()
        return t

    t = {
        "t1": task(
            "1.1",
            innov_item,
            u1,
            "green",
            leader=users["leader"],
            deadline=dt.date(2026, 12, 31),
            reason="按计划推进",
            start=dt.date(2026, 3, 1),
            progress=60,
        ),
        "t2": task("1.2", innov, u1, "red", deadline=dt.date(2026, 11, 15), reason=RED_REASON),
        "t3": task(
            "2.1",
            open_,
            u2,
            "yellow",
            deadline=TODAY + dt.timedelta(days=5),
            leader=users["leader"],
            reason="进度滞后计划12个百分点",
        ),
        "t4": task(
            "2.2",
            open_,
            u2,
            "none",
            status="closed",
            deadline=TODAY + dt.timedelta(days=3),
            reason="已办结",
            progress=100,
        ),
        "t5": task("3.1", None, u1, "none", status="confirmed"),
        "t6": task("3.2", None, u1, "none", status="proposed"),
        "t7": task(
            "2.3", open_, u2, "red", co=[u1], deadline=dt.date(2026, 10, 31), reason="连续2期未报送"
        ),
        "t8": task("9.1", None, u3, "green", plan_=other, reason="按计划推进"),
    }
    Milestone.objects.create(
        task=t["t1"], name="完成招标", due_date=dt.date(2026, 6, 30), done_at=dt.date(2026, 6, 28)
    )
    Milestone.objects.create(task=t["t1"], name="开工建设", due_date=dt.date(2026, 12, 1))
    LightDaily.objects.create(date=dt.date(2026, 11, 18), plan=plan, green=3, yellow=1, red=1)
    LightDaily.objects.create(
        date=dt.date(2026, 11, 19), plan=plan, green=2, yellow=1, red=2, closed=1
    )
    LightDaily.objects.create(date=dt.date(2026, 11, 19), plan=other, green=1)
    return {
        "users": users,
        "plan": plan,
        "other": other,
        "units": {"u1": u1, "u2": u2, "u3": u3},
        "pillars": {"innov": innov, "open": open_, "innov_item": innov_item},
        "tasks": t,
    }
