"""Withdrawal (撤回) within one instance: when the city takes a task away from a district
(assigns it elsewhere, drops the district's department from its co-units, cancels it),
the district's copy and its departments' sub-tasks are cancelled, audited, and count
nowhere; given back, the copy returns. The same 示例市 as test_cascade.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from duban.core.errors import InputError
from duban.core.models import AuditEntry
from duban.plans import access
from duban.plans.cascade import cascade_to_district
from duban.plans.choices import TaskStatus
from duban.plans.models import Task
from duban.plans.services import add_subtask, assign_task, cancel_task
from duban.plans.tests.test_cascade import build_world
from duban.supervision.models import ProgressReport
from duban.supervision.services import ValidationError, submit_report


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def split(world):
    """金水区 has its copy of 1.1, given to 金水区商务局, with two sub-tasks."""
    office, js_office = world["users"]["office"], world["users"]["js_office"]
    plan = cascade_to_district(world["plan"], world["units"]["jinshui"], actor=office).plan
    mine = plan.tasks.get(upstream=world["tasks"]["js"])
    assign_task(mine, lead_unit=world["units"]["js_sw"], actor=js_office)
    children = [add_subtask(mine, actor=js_office, text=t) for t in ("摸排", "签约")]
    return {"plan": plan, "mine": mine, "children": children}


def _statuses(*tasks):
    return [Task.objects.get(pk=t.pk).status for t in tasks]


def test_reassigning_away_from_the_district_withdraws_its_copy_and_sub_tasks(world, split):
    office = world["users"]["office"]
    mine, children = split["mine"], split["children"]
    assign_task(world["tasks"]["js"], lead_unit=world["units"]["city_dept"], actor=office)
    assert _statuses(mine, *children) == [TaskStatus.CANCELLED] * 3
    event = AuditEntry.objects.get(event="cascade_withdrawn", object_id=str(mine.pk))
    assert event.after["city_task"] == world["tasks"]["js"].pk and event.after["cancelled"] == 3
    assert "改派" in event.note and event.actor_name
    # Each sub-task's own change is on record too (before: confirmed, after: cancelled).
    child_log = AuditEntry.objects.filter(object_id=str(children[0].pk), action="update").last()
    assert child_log.before["status"] == "confirmed" and child_log.after["status"] == "cancelled"
    # The other district task (1.2, through its department) is untouched.
    other = split["plan"].tasks.get(upstream=world["tasks"]["js_dept"])
    assert other.status == TaskStatus.CONFIRMED


def test_a_withdrawn_copy_stops_counting(world, split):
    from duban.battlemap.services import Filters, overview
    from duban.supervision.lights import recompute_lights

    js_office, clerk = world["users"]["js_office"], world["users"]["js_sw_clerk"]
    today = dt.date(2026, 6, 1)
    before = overview(js_office, Filters(plan_id=split["plan"].pk), today=today).totals.total
    Task.objects.filter(pk=split["mine"].pk).update(deadline=dt.date(2020, 1, 1))
    assign_task(
        world["tasks"]["js"], lead_unit=world["units"]["city_dept"], actor=world["users"]["office"]
    )
    recompute_lights()
    assert Task.objects.get(pk=split["mine"].pk).light == "none"  # never lit, late or not
    after = overview(js_office, Filters(plan_id=split["plan"].pk), today=today).totals.total
    assert after == before - 3
    # Nobody reports on it any more, and nothing rolls up to the city.
    local = timezone.localdate()
    with pytest.raises(ValidationError, match="已撤销"):
        submit_report(
            Task.objects.get(pk=split["mine"].pk), actor=clerk, period_start=local - dt.timedelta(days=6),
            period_end=local, due_date=local, percent=50, progress="继续推进",
        )  # fmt: skip
    assert not ProgressReport.objects.filter(task__in=[split["mine"], world["tasks"]["js"]])


def test_dropping_the_districts_department_as_co_unit_withdraws_only_then(world, split):
    office, units = world["users"]["office"], world["units"]
    city = world["tasks"]["js_dept"]
    copy = split["plan"].tasks.get(upstream=city)
    # Another lead, the department still a co-unit: the district keeps its part.
    assign_task(city, lead_unit=units["erqi"], co_units=[units["js_sw"]], actor=office)
    assert _statuses(copy) == [TaskStatus.CONFIRMED]
    assign_task(city, lead_unit=units["erqi"], actor=office)
    assert _statuses(copy) == [TaskStatus.CANCELLED]
    # The task that stayed with the district is untouched.
    assert _statuses(split["mine"]) == [TaskStatus.CONFIRMED]


def test_given_back_the_copy_returns_and_its_old_sub_tasks_stay_withdrawn(world, split):
    office = world["users"]["office"]
    city = world["tasks"]["js"]
    assign_task(city, lead_unit=world["units"]["city_dept"], actor=office)
    assign_task(city, lead_unit=world["units"]["jinshui"], actor=office)
    again = cascade_to_district(world["plan"], world["units"]["jinshui"], actor=office)
    assert again.plan == split["plan"] and (again.created, again.updated) == (0, 1)
    assert _statuses(split["mine"], *split["children"]) == [
        TaskStatus.CONFIRMED, TaskStatus.CANCELLED, TaskStatus.CANCELLED,
    ]  # fmt: skip
    assert AuditEntry.objects.filter(event="cascade_restored", object_id=str(split["mine"].pk))


def test_cancelling_a_city_task_withdraws_every_districts_copy(world, split):
    office = world["users"]["office"]
    erqi = cascade_to_district(world["plan"], world["units"]["erqi"], actor=office).plan
    city = world["tasks"]["js"]
    cancel_task(city, actor=office, reason="年中调整，该项任务不再实施")
    assert _statuses(city, split["mine"], *split["children"]) == [TaskStatus.CANCELLED] * 4
    cancelled = AuditEntry.objects.get(event="task_cancelled", object_id=str(city.pk))
    assert cancelled.note == "年中调整，该项任务不再实施"
    withdrawn = AuditEntry.objects.get(event="cascade_withdrawn", object_id=str(split["mine"].pk))
    assert withdrawn.note == "年中调整，该项任务不再实施"
    # 二七区's copy of its own task (1.3) is not this task's: untouched.
    assert _statuses(*erqi.tasks.all()) == [TaskStatus.CONFIRMED]
    # A cancelled city task is not cascaded again.
    again = cascade_to_district(world["plan"], world["units"]["jinshui"], actor=office)
    assert (again.created, again.updated) == (0, 0)
    assert _statuses(split["mine"]) == [TaskStatus.CANCELLED]


@pytest.mark.parametrize(
    ("setup", "message"),
    [("no_reason", "写明原因"), ("twice", "已撤销"), ("closed", "已办结")],
)
def test_bad_cancellations_say_why_and_change_nothing(world, split, setup, message):
    office, city = world["users"]["office"], world["tasks"]["js"]
    reason = "调整"
    if setup == "no_reason":
        reason = "  "
    elif setup == "twice":
        cancel_task(city, actor=office, reason="调整")
    elif setup == "closed":
        Task.objects.filter(pk=city.pk).update(status=TaskStatus.CLOSED)
    city.refresh_from_db()
    statuses = _statuses(city, split["mine"], *split["children"])
    entries = AuditEntry.objects.count()
    with pytest.raises(InputError, match=message):
        cancel_task(city, actor=office, reason=reason)
    assert _statuses(city, split["mine"], *split["children"]) == statuses
    assert AuditEntry.objects.count() == entries


def test_only_the_office_cancels(world, split):
    city = world["tasks"]["js"]
    with pytest.raises(access.NotAllowed):
        cancel_task(city, actor=world["users"]["js_office"], reason="区里不想干了")
    with pytest.raises(access.NotFound):
        cancel_task(city, actor=world["users"]["city_clerk"], reason="越权")
    assert _statuses(city, split["mine"]) == [TaskStatus.CONFIRMED] * 2


def test_the_api_cancels_with_a_reason(client, world, split):
    city = world["tasks"]["js"]
    client.force_login(world["users"]["js_office"])
    refused = client.post(f"/api/tasks/{city.pk}/cancel/", {"text": "越权"})
    assert refused.status_code == 403
    client.force_login(world["users"]["office"])
    empty = client.post(f"/api/tasks/{city.pk}/cancel/", {"text": ""})
    assert empty.status_code == 400
    assert _statuses(city, split["mine"]) == [TaskStatus.CONFIRMED] * 2
    done = client.post(f"/api/tasks/{city.pk}/cancel/", {"text": "不再实施"})
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert _statuses(split["mine"]) == [TaskStatus.CANCELLED]
    again = client.post(f"/api/tasks/{city.pk}/cancel/", {"text": "不再实施"})
    assert again.status_code == 400 and "已撤销" in again.json()["error"]["message"]


def test_the_task_page_cancels_with_a_reason(client, world, split):
    city = world["tasks"]["js"]
    url = f"/tasks/{city.pk}/"
    client.force_login(world["users"]["js_office"])
    assert 'class="task-cancel"' not in client.get(url).content.decode()
    assert client.post(f"/tasks/{city.pk}/cancel/", {"reason": "越权"}).status_code == 403
    client.force_login(world["users"]["office"])
    assert f'action="/tasks/{city.pk}/cancel/"' in client.get(url).content.decode()
    empty = client.post(f"/tasks/{city.pk}/cancel/", {"reason": " "}, follow=True)
    assert "撤销任务时请写明原因" in empty.content.decode()
    assert _statuses(city, split["mine"]) == [TaskStatus.CONFIRMED] * 2
    done = client.post(f"/tasks/{city.pk}/cancel/", {"reason": "不再实施"}, follow=True)
    assert done.redirect_chain[-1][0] == url
    page = done.content.decode()
    assert "任务已撤销" in page and 'class="task-cancel"' not in page
    assert _statuses(city, split["mine"]) == [TaskStatus.CANCELLED] * 2
