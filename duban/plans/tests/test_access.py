"""The permission matrix: every role × every action × own / co-operating / other unit.

Another unit's task is "not found" (404), never "forbidden", so ids do not leak; a task the
user may see but not act on is "not allowed" (403).
"""

from __future__ import annotations

import pytest

from duban.org.models import Unit
from duban.org.services import create_user
from duban.plans import access
from duban.plans.models import Assignment, Task

ALLOW, DENY, HIDDEN = "allow", "403", "404"

UNIT_ACTIONS_LEAD_LEADER = {
    "view", "comment", "report", "approve_report", "reply_notice",
    "request_coordination", "split", "schedule", "request_closure",
}  # fmt: skip
UNIT_ACTIONS_CO_LEADER = {
    "view", "comment", "report", "approve_report", "reply_notice", "request_coordination",
}  # fmt: skip
CLERK_ACTIONS = {"view", "comment", "report", "reply_notice"}

EXPECTED = {
    "office": dict.fromkeys(access.ACTIONS, ALLOW),
    "leader": {a: ALLOW if a in {"view", "comment", "praise", "decide_coordination"} else DENY
               for a in access.ACTIONS},
    "viewer": {a: ALLOW if a == "view" else DENY for a in access.ACTIONS},
    "lead_leader": {a: ALLOW if a in UNIT_ACTIONS_LEAD_LEADER else DENY for a in access.ACTIONS},
    "lead_clerk": {a: ALLOW if a in CLERK_ACTIONS else DENY for a in access.ACTIONS},
    "co_leader": {a: ALLOW if a in UNIT_ACTIONS_CO_LEADER else DENY for a in access.ACTIONS},
    "co_clerk": {a: ALLOW if a in CLERK_ACTIONS else DENY for a in access.ACTIONS},
    "other_leader": dict.fromkeys(access.ACTIONS, HIDDEN),
    "other_clerk": dict.fromkeys(access.ACTIONS, HIDDEN),
    "nobody": dict.fromkeys(access.ACTIONS, HIDDEN),
}  # fmt: skip


@pytest.fixture
def world(db):
    root = Unit.objects.create(name="示例市", kind="root")
    office = Unit.objects.create(name="市委督查室", kind="office", parent=root)
    lead = Unit.objects.create(name="市商务局", kind="government", parent=root)
    co = Unit.objects.create(name="市财政局", kind="government", parent=root)
    other = Unit.objects.create(name="市教育局", kind="government", parent=root)
    from duban.plans.models import Plan

    plan = Plan.objects.create(title="矩阵方案")
    task = Task.objects.create(plan=plan, code="1.1", text="促进消费扩容提质")
    a = Assignment.objects.create(task=task, lead_unit=lead)
    a.co_units.set([co])
    users = {
        "office": create_user("u_office", password="x", unit=office, role="office"),
        "leader": create_user("u_leader", password="x", unit=root, role="leader"),
        "viewer": create_user("u_viewer", password="x", unit=root, role="viewer"),
        "lead_leader": create_user("u_ll", password="x", unit=lead, role="unit_leader"),
        "lead_clerk": create_user("u_lc", password="x", unit=lead, role="clerk"),
        "co_leader": create_user("u_cl", password="x", unit=co, role="unit_leader"),
        "co_clerk": create_user("u_cc", password="x", unit=co, role="clerk"),
        "other_leader": create_user("u_ol", password="x", unit=other, role="unit_leader"),
        "other_clerk": create_user("u_oc", password="x", unit=other, role="clerk"),
        "nobody": create_user("u_nobody", password="x"),
    }
    return task, users


def outcome(user, action, task) -> str:
    try:
        access.get_task(user, task.pk, action)
    except access.NotFound:
        return HIDDEN
    except access.NotAllowed:
        return DENY
    return ALLOW


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_permission_matrix(world, persona):
    task, users = world
    user = users[persona]
    got = {action: outcome(user, action, task) for action in access.ACTIONS}
    assert got == EXPECTED[persona]


def test_lists_show_only_own_units_tasks(world):
    task, users = world
    from duban.plans.models import Plan

    hidden = Task.objects.create(plan=Plan.objects.get(), code="1.2", text="别人的任务")
    assert set(access.visible_tasks(users["office"])) == {task, hidden}
    assert set(access.visible_tasks(users["viewer"])) == {task, hidden}
    assert list(access.visible_tasks(users["co_clerk"])) == [task]
    assert list(access.visible_tasks(users["other_clerk"])) == []
    assert list(access.visible_tasks(users["nobody"])) == []


def test_a_missing_and_a_hidden_task_look_the_same(world):
    task, users = world
    for pk in (task.pk, 999999, "not-a-number"):
        with pytest.raises(access.NotFound):
            access.get_task(users["other_clerk"], pk)


def test_unknown_action_is_a_programming_error(world):
    task, users = world
    with pytest.raises(ValueError):
        access.can(users["office"], "destroy", task)
