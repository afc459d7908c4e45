"""The district cascade (区县): the role's permission matrix, the cascade itself, the
breakdown by the district office, the roll-up to the city task, and the pages.

Named example: 示例市 has the city office, 市商务局, and two districts, 金水区 (with its
departments 金水区商务局 and 金水区财政局) and 二七区 (with 二七区商务局).
"""

from __future__ import annotations

import pytest
from django.core.cache import caches

from duban.core.errors import InputError
from duban.core.models import AuditEntry
from duban.org.models import Unit
from duban.org.services import create_user
from duban.plans import access
from duban.plans.cascade import cascade_to_district
from duban.plans.choices import PlanStatus, TaskStatus
from duban.plans.models import Plan, Task
from duban.plans.services import add_subtask, assign_task
from duban.supervision.choices import ReportStatus
from duban.supervision.models import ProgressReport
from duban.supervision.services import (
    decide_closure,
    request_closure,
    review_report,
    submit_report,
)

ALLOW, DENY, HIDDEN = "allow", "403", "404"

# On the city's task assigned to its district, the district office is the district's
# leader (单位负责人) for a lead unit.
AS_LEAD_LEADER = {
    "view", "comment", "report", "approve_report", "reply_notice",
    "request_coordination", "split", "schedule", "request_closure",
}  # fmt: skip


@pytest.fixture
def world(db):
    return build_world()


def build_world() -> dict:
    """示例市 with its office, 市商务局, 金水区 and 二七区 and their departments, and four
    city tasks (test_cascade_withdrawal.py builds the same city)."""
    root = Unit.objects.create(name="示例市", kind="root")
    office = Unit.objects.create(name="市委督查室", kind="office", parent=root)
    city_dept = Unit.objects.create(name="市商务局", kind="government", parent=root)
    jinshui = Unit.objects.create(name="金水区", kind="district", parent=root, sort_order=1)
    js_sw = Unit.objects.create(name="金水区商务局", kind="government", parent=jinshui)
    js_cz = Unit.objects.create(name="金水区财政局", kind="government", parent=jinshui)
    erqi = Unit.objects.create(name="二七区", kind="district", parent=root, sort_order=2)
    eq_sw = Unit.objects.create(name="二七区商务局", kind="government", parent=erqi)
    users = {
        "office": create_user("c_office", password="x", unit=office, role="office"),
        "js_office": create_user("js_office", password="x", unit=jinshui, role="district_office"),
        "eq_office": create_user("eq_office", password="x", unit=erqi, role="district_office"),
        "js_leader": create_user("js_leader", password="x", unit=jinshui, role="unit_leader"),
        "js_sw_clerk": create_user("js_sw_clerk", password="x", unit=js_sw, role="clerk"),
        "js_sw_leader": create_user("js_sw_leader", password="x", unit=js_sw, role="unit_leader"),
        "city_clerk": create_user("c_clerk", password="x", unit=city_dept, role="clerk"),
    }
    plan = Plan.objects.create(title="2026年工作要点", year=2026, status=PlanStatus.CONFIRMED)

    def city_task(code, lead, co=()):
        task = Task.objects.create(
            plan=plan, code=code, text=f"任务{code}", status=TaskStatus.CONFIRMED, sort_order=10
        )
        assign_task(task, lead_unit=lead, co_units=co, actor=users["office"])
        return task

    tasks = {
        "js": city_task("1.1", jinshui),
        "js_dept": city_task("1.2", city_dept, [js_sw]),  # a district department co-operates
        "eq": city_task("1.3", erqi),
        "city": city_task("1.4", city_dept),
    }
    units = {"jinshui": jinshui, "js_sw": js_sw, "js_cz": js_cz, "erqi": erqi}
    units.update({"eq_sw": eq_sw, "city_dept": city_dept})
    return {"plan": plan, "tasks": tasks, "units": units, "users": users}


def outcome(user, action, task) -> str:
    try:
        access.get_task(user, task.pk, action)
    except access.NotFound:
        return HIDDEN
    except access.NotAllowed:
        return DENY
    return ALLOW


def _district_task(world, key="js"):
    cascade = cascade_to_district(
        world["plan"], world["units"]["jinshui"], actor=world["users"]["office"]
    )
    return cascade.plan.tasks.get(upstream=world["tasks"][key])


# --- the permission matrix -----------------------------------------------------------------


@pytest.mark.parametrize("action", access.ACTIONS)
def test_the_district_office_acts_as_the_district_on_the_citys_task(world, action):
    js_office = world["users"]["js_office"]
    expected = ALLOW if action in AS_LEAD_LEADER else DENY
    assert outcome(js_office, action, world["tasks"]["js"]) == expected
    # The city's other tasks, another district's included, do not exist for it.
    assert outcome(js_office, action, world["tasks"]["eq"]) == HIDDEN
    assert outcome(js_office, action, world["tasks"]["city"]) == HIDDEN


@pytest.mark.parametrize("action", access.ACTIONS)
def test_the_district_office_is_the_office_in_its_own_plan_only(world, action):
    mine = _district_task(world)
    theirs = cascade_to_district(
        world["plan"], world["units"]["erqi"], actor=world["users"]["office"]
    ).plan.tasks.get()
    assert outcome(world["users"]["js_office"], action, mine) == ALLOW
    assert outcome(world["users"]["js_office"], action, theirs) == HIDDEN
    assert outcome(world["users"]["eq_office"], action, mine) == HIDDEN
    # The district's plain leader is not its office: an unassigned district task is hidden.
    assert outcome(world["users"]["js_leader"], action, mine) == HIDDEN
    assert outcome(world["users"]["office"], action, mine) == ALLOW


def test_the_district_sees_only_its_own_plans(world):
    mine = _district_task(world).plan
    theirs = cascade_to_district(
        world["plan"], world["units"]["erqi"], actor=world["users"]["office"]
    ).plan
    js_office = world["users"]["js_office"]
    assert set(access.visible_plans(js_office)) == {world["plan"], mine}
    assert set(access.visible_plans(world["users"]["office"])) == {world["plan"], mine, theirs}
    assert set(access.visible_plans(world["users"]["city_clerk"])) == {world["plan"]}
    assert access.runs_plan(js_office, mine) and not access.runs_plan(js_office, theirs)
    assert not access.runs_plan(js_office, world["plan"])
    seen = set(access.visible_tasks(js_office).values_list("pk", flat=True))
    assert seen == {world["tasks"]["js"].pk, *mine.tasks.values_list("pk", flat=True)}


def test_the_audience_tells_a_district_office_from_the_office_and_the_leader(world):
    users = world["users"]
    kinds = {access.audience(users[k]) for k in ("office", "js_office", "eq_office", "js_leader")}
    assert len(kinds) == 4


# --- the cascade ---------------------------------------------------------------------------


def test_cascade_takes_the_districts_tasks_and_is_idempotent(world):
    office = world["users"]["office"]
    first = cascade_to_district(world["plan"], world["units"]["jinshui"], actor=office)
    assert (first.created, first.updated) == (2, 0)
    plan = first.plan
    assert plan.owner_unit == world["units"]["jinshui"] and plan.upstream == world["plan"]
    assert set(plan.tasks.values_list("upstream_id", flat=True)) == {
        world["tasks"]["js"].pk,
        world["tasks"]["js_dept"].pk,
    }
    again = cascade_to_district(world["plan"], world["units"]["jinshui"], actor=office)
    assert (again.plan, again.created, again.updated) == (plan, 0, 0)
    # A new task for the district and an edited one: added once, brought in step.
    extra = Task.objects.create(
        plan=world["plan"], code="1.5", text="新任务", status=TaskStatus.CONFIRMED
    )
    assign_task(extra, lead_unit=world["units"]["js_cz"], actor=office)
    Task.objects.filter(pk=world["tasks"]["js"].pk).update(text="改过的任务")
    third = cascade_to_district(world["plan"], world["units"]["jinshui"], actor=office)
    assert (third.created, third.updated) == (1, 1)
    assert plan.tasks.count() == 3
    assert plan.tasks.get(upstream=world["tasks"]["js"]).text == "改过的任务"
    assert Plan.objects.filter(owner_unit=world["units"]["jinshui"]).count() == 1
    events = AuditEntry.objects.filter(event="plan_cascaded", object_id=str(plan.pk))
    assert events.count() == 3


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("not_district", "不是区县"),
        ("draft", "尚未立项"),
        ("empty", "没有交办给"),
        ("district_plan", "不能再分解"),
    ],
)
def test_bad_cascades_say_why_and_write_nothing(world, setup, message):
    office = world["users"]["office"]
    plan, unit = world["plan"], world["units"]["jinshui"]
    if setup == "not_district":
        unit = world["units"]["js_sw"]
    elif setup == "draft":
        Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.DRAFT)
        plan.refresh_from_db()
    elif setup == "empty":
        plan = Plan.objects.create(title="空方案", status=PlanStatus.CONFIRMED)
    elif setup == "district_plan":
        plan = cascade_to_district(plan, unit, actor=office).plan
    plans, tasks = Plan.objects.count(), Task.objects.count()
    with pytest.raises(InputError, match=message):
        cascade_to_district(plan, unit, actor=office)
    assert (Plan.objects.count(), Task.objects.count()) == (plans, tasks)


def test_only_the_city_office_cascades(world):
    for who in ("js_office", "js_leader", "city_clerk"):
        with pytest.raises(access.NotAllowed):
            cascade_to_district(world["plan"], world["units"]["jinshui"], actor=world["users"][who])
    assert not Plan.objects.filter(owner_unit__isnull=False).exists()


# --- the breakdown by the district office ----------------------------------------------------


def test_the_district_office_assigns_and_splits_within_its_district(world):
    js_office = world["users"]["js_office"]
    mine = _district_task(world)
    assign_task(
        mine, lead_unit=world["units"]["js_sw"], co_units=[world["units"]["js_cz"]], actor=js_office
    )
    child = add_subtask(mine, actor=js_office, text="摸排重点商贸企业")
    assert child.plan == mine.plan and child.assignment.lead_unit == world["units"]["js_sw"]
    # The department now sees its task; the department of another district does not.
    assert outcome(world["users"]["js_sw_clerk"], "report", mine) == ALLOW
    for unit in ("city_dept", "eq_sw"):
        with pytest.raises(InputError, match="本区县"):
            assign_task(mine, lead_unit=world["units"][unit], actor=js_office)
    mine.assignment.refresh_from_db()
    assert mine.assignment.lead_unit == world["units"]["js_sw"]


def test_the_district_office_cannot_touch_another_districts_plan(world):
    theirs = cascade_to_district(
        world["plan"], world["units"]["erqi"], actor=world["users"]["office"]
    ).plan.tasks.get()
    js_office = world["users"]["js_office"]
    with pytest.raises(access.NotFound):
        assign_task(theirs, lead_unit=world["units"]["eq_sw"], actor=js_office)
    with pytest.raises(access.NotFound):
        add_subtask(theirs, actor=js_office, text="越权分解")
    assert not Task.objects.filter(parent=theirs).exists()


# --- the roll-up -----------------------------------------------------------------------------


def _report(task, user, percent, text="完成摸排"):
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    return submit_report(
        task,
        actor=user,
        period_start=today - dt.timedelta(days=6),
        period_end=today,
        due_date=today,
        percent=percent,
        progress=text,
    )


@pytest.fixture
def broken_down(world):
    mine = _district_task(world)
    assign_task(mine, lead_unit=world["units"]["js_sw"], actor=world["users"]["js_office"])
    return mine


def test_an_accepted_department_report_rolls_up_to_the_city_task(world, broken_down):
    users, city = world["users"], world["tasks"]["js"]
    report = _report(broken_down, users["js_sw_clerk"], 40, "完成重点企业摸排")
    assert not ProgressReport.objects.filter(task=city).exists()  # not before acceptance
    review_report(report, actor=users["js_office"], accept=True)
    rolled = ProgressReport.objects.get(task=city)
    assert rolled.unit == world["units"]["jinshui"]
    assert rolled.status == ReportStatus.UNIT_APPROVED
    assert rolled.percent == 40
    assert "金水区商务局：40%" in rolled.progress and "完成重点企业摸排" in rolled.progress
    assert AuditEntry.objects.filter(event="report_rolled_up", object_id=str(rolled.pk)).exists()
    from django.test import Client

    office = Client()
    office.force_login(users["office"])
    history = office.get(f"/tasks/{city.pk}/").content.decode().split('id="history"')[-1]
    assert "区县进展汇总上报" in history and "report_rolled_up" not in history
    # A second acceptance in the same period updates the one report.
    second = submit_report(
        broken_down,
        actor=users["js_sw_clerk"],
        period_start=report.period_start,
        period_end=report.period_end + __import__("datetime").timedelta(days=1),
        due_date=report.due_date,
        percent=70,
        progress="签约三家企业",
    )
    review_report(second, actor=users["js_office"], accept=True)
    assert ProgressReport.objects.filter(task=city).count() == 1
    rolled.refresh_from_db()
    assert rolled.percent == 70 and "签约三家企业" in rolled.progress
    # The city office accepts the district's report: the city task's progress follows.
    review_report(rolled, actor=users["office"], accept=True)
    city.refresh_from_db()
    assert city.progress == 70


def test_a_period_the_city_accepted_is_not_rewritten(world, broken_down):
    users, city = world["users"], world["tasks"]["js"]
    review_report(
        _report(broken_down, users["js_sw_clerk"], 30), actor=users["js_office"], accept=True
    )
    rolled = ProgressReport.objects.get(task=city)
    review_report(rolled, actor=users["office"], accept=True)
    rolled.refresh_from_db()
    version = rolled.version
    # A later acceptance at the district leaves the city's accepted report alone.
    Task.objects.filter(pk=broken_down.pk).update(progress=0)
    broken_down.refresh_from_db()
    from duban.supervision.services import roll_up_to_city

    roll_up_to_city(broken_down, actor=users["js_office"])
    rolled.refresh_from_db()
    assert (rolled.version, rolled.status, rolled.percent) == (version, "accepted", 30)


def test_a_closed_sub_task_rolls_up(world, broken_down):
    users, city = world["users"], world["tasks"]["js"]
    first = add_subtask(broken_down, actor=users["js_office"], text="摸排")
    add_subtask(broken_down, actor=users["js_office"], text="签约")
    closure = request_closure(first, actor=users["js_sw_leader"], note="摸排完成")
    decide_closure(closure, actor=users["js_office"], approve=True)
    rolled = ProgressReport.objects.get(task=city, unit=world["units"]["jinshui"])
    assert rolled.percent == 50  # one of two sub-tasks done
    assert "已办结" in rolled.progress


def test_the_roll_up_writes_nothing_when_nothing_changed(world, broken_down):
    from duban.supervision.services import roll_up_to_city

    users = world["users"]
    review_report(
        _report(broken_down, users["js_sw_clerk"], 20), actor=users["js_office"], accept=True
    )
    rolled = ProgressReport.objects.get(task=world["tasks"]["js"])
    events = AuditEntry.objects.filter(event="report_rolled_up").count()
    roll_up_to_city(broken_down, actor=users["js_office"])
    rolled_again = ProgressReport.objects.get(task=world["tasks"]["js"])
    assert rolled_again.version == rolled.version
    assert AuditEntry.objects.filter(event="report_rolled_up").count() == events


# --- the pages -------------------------------------------------------------------------------


def test_the_city_office_cascades_from_the_plan_page(client, world):
    client.force_login(world["users"]["office"])
    page = client.get(f"/plans/{world['plan'].pk}/").content.decode()
    assert "分解到区县" in page and 'name="district"' in page
    response = client.post(
        f"/plans/{world['plan'].pk}/cascade/", {"district": world["units"]["jinshui"].pk}
    )
    assert response.status_code == 302
    mine = Plan.objects.get(owner_unit=world["units"]["jinshui"])
    assert mine.tasks.count() == 2
    bad = client.post(f"/plans/{world['plan'].pk}/cascade/", {"district": "x"}, follow=True)
    assert "请选择区县" in bad.content.decode() or "有效" in bad.content.decode()
    assert Plan.objects.filter(owner_unit__isnull=False).count() == 1


def test_the_district_office_sees_its_plan_and_nothing_else(client, world):
    mine = _district_task(world).plan
    theirs = cascade_to_district(
        world["plan"], world["units"]["erqi"], actor=world["users"]["office"]
    ).plan
    client.force_login(world["users"]["js_office"])
    page = client.get(f"/plans/{mine.pk}/").content.decode()
    assert "任务1.1" in page and "任务1.3" not in page
    assert client.get(f"/plans/{theirs.pk}/").status_code == 404
    city_page = client.get(f"/plans/{world['plan'].pk}/").content.decode()
    assert 'name="district"' not in city_page and "任务1.4" not in city_page
    assert (
        client.post(
            f"/plans/{world['plan'].pk}/cascade/", {"district": world["units"]["erqi"].pk}
        ).status_code
        == 403
    )
    assert Plan.objects.filter(owner_unit=world["units"]["erqi"]).count() == 1


def test_the_city_task_page_shows_the_breakdown_and_the_roll_up(client, world, broken_down):
    users = world["users"]
    report = _report(broken_down, users["js_sw_clerk"], 60)
    client.force_login(users["js_office"])
    page = client.get(f"/tasks/{broken_down.pk}/").content.decode()
    assert 'class="review-here"' in page and f"/tasks/{world['tasks']['js'].pk}/" in page
    response = client.post(
        f"/office/review/{report.pk}/",
        {"decision": "accept", "reason": "", "version": report.version,
         "next": f"/tasks/{broken_down.pk}/"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == f"/tasks/{broken_down.pk}/"
    client.force_login(users["office"])
    city_page = client.get(f"/tasks/{world['tasks']['js'].pk}/").content.decode()
    assert "cascade-line" in city_page and "60%" in city_page and "金水区商务局" in city_page


def test_a_district_office_never_gets_the_city_offices_kept_page(client, world, broken_down):
    city = world["tasks"]["js"]
    client.force_login(world["users"]["office"])
    office_page = client.get(f"/tasks/{city.pk}/").content.decode()
    assert f'"/tasks/{city.pk}/assign/"' in office_page
    assert len(caches["pages"]._list_cache_files()) >= 1
    client.force_login(world["users"]["js_office"])
    district_page = client.get(f"/tasks/{city.pk}/").content.decode()
    assert f'"/tasks/{city.pk}/assign/"' not in district_page
    assert f'action="/tasks/{city.pk}/edit/"' not in district_page


def test_the_district_task_page_offers_only_the_districts_units(client, world):
    mine = _district_task(world)
    client.force_login(world["users"]["js_office"])
    page = client.get(f"/tasks/{mine.pk}/").content.decode()
    assert 'id="assign_lead_unit"' in page
    assert ">金水区商务局</option>" in page and ">金水区财政局</option>" in page
    assert ">市商务局</option>" not in page and ">二七区商务局</option>" not in page
    # Posting another unit anyway is refused and changes nothing.
    response = client.post(
        f"/tasks/{mine.pk}/assign/",
        {"lead_unit": world["units"]["city_dept"].pk, "version": ""},
    )
    assert response.status_code == 400
    assert not Task.objects.filter(pk=mine.pk, assignment__isnull=False).exists()


def test_the_citys_battle_map_counts_a_cascaded_task_once(world):
    import datetime as dt

    from duban.battlemap.services import Filters, overview

    office = world["users"]["office"]
    before = overview(office, Filters(), today=dt.date(2026, 6, 1)).totals.total
    mine = _district_task(world).plan
    assert overview(office, Filters(), today=dt.date(2026, 6, 1)).totals.total == before
    chosen = overview(office, Filters(plan_id=mine.pk), today=dt.date(2026, 6, 1))
    assert chosen.totals.total == 2
    # The district office's own battle map keeps its plan.
    js = overview(world["users"]["js_office"], Filters(), today=dt.date(2026, 6, 1))
    assert js.totals.total == 3  # the city's task it leads and its plan's two


def test_a_district_office_returning_without_a_reason_is_told_and_nothing_changes(
    client, world, broken_down
):
    report = _report(broken_down, world["users"]["js_sw_clerk"], 10)
    client.force_login(world["users"]["js_office"])
    back = f"/tasks/{broken_down.pk}/"
    response = client.post(
        f"/office/review/{report.pk}/",
        {"decision": "return", "reason": "", "version": report.version, "next": back},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == back
    assert "退回报告时请写明原因" in response.content.decode()
    report.refresh_from_db()
    assert report.status == "submitted"
    # Reports on the city's task are the city office's to review, not the district's.
    city_report = _report(world["tasks"]["js"], world["users"]["js_office"], 5)
    refused = client.post(
        f"/office/review/{city_report.pk}/",
        {"decision": "accept", "reason": "", "version": city_report.version, "next": back},
    )
    assert refused.status_code == 403
    city_report.refresh_from_db()
    assert city_report.status != "accepted"


def test_the_api_lists_a_districts_plan_to_the_city_and_that_district_only(client, world):
    mine = _district_task(world).plan
    theirs = cascade_to_district(
        world["plan"], world["units"]["erqi"], actor=world["users"]["office"]
    ).plan
    client.force_login(world["users"]["js_office"])
    listed = {p["id"]: p for p in client.get("/api/plans/").json()["results"]}
    assert set(listed) == {world["plan"].pk, mine.pk}
    assert listed[mine.pk]["owner_unit"] == world["units"]["jinshui"].pk
    assert listed[mine.pk]["upstream"] == world["plan"].pk
    assert client.get(f"/api/plans/{theirs.pk}/").status_code == 404
    client.force_login(world["users"]["office"])
    assert client.get("/api/plans/").json()["count"] == 3


def test_the_citys_assessment_counts_its_own_plans_not_a_districts_breakdown(world):
    import datetime as dt

    from django.utils import timezone

    from duban.assessment.models import AssessmentScheme
    from duban.assessment.services import score_units
    from duban.supervision.lights import recompute_lights
    from duban.supervision.models import UnitRedDaily
    from duban.supervision.services import issue_notice

    district_plan = cascade_to_district(
        world["plan"], world["units"]["jinshui"], actor=world["users"]["office"]
    )
    js_task = district_plan.plan.tasks.get(upstream=world["tasks"]["js"])
    assign_task(js_task, lead_unit=world["units"]["js_sw"], actor=world["users"]["js_office"])
    issue_notice(js_task, level="supervise", reason="区里督办", actor=world["users"]["js_office"])
    Task.objects.filter(pk__in=[js_task.pk, world["tasks"]["city"].pk]).update(
        status=TaskStatus.IN_PROGRESS,
        deadline=dt.date(2020, 1, 1),
        start_date=dt.date(2019, 1, 1),
    )
    recompute_lights()
    assert Task.objects.get(pk=js_task.pk).light == "red"
    today = timezone.localdate()
    scores = {
        s.unit.name: s
        for s in score_units(
            AssessmentScheme.current(), start=today - dt.timedelta(days=30), end=today
        )
    }
    # The district's department answers to the district; the city scores its own units.
    assert "金水区商务局" not in scores
    assert {"金水区", "二七区", "市商务局"} <= set(scores)
    red = {line.rule: line for line in scores["市商务局"].lines}["deduct_red_task"]
    assert red.items == ["1.4"]
    assert not UnitRedDaily.objects.filter(unit=world["units"]["js_sw"]).exists()
    assert UnitRedDaily.objects.filter(unit=world["units"]["city_dept"]).exists()
