"""The task page and its actions through the Django test client, as each role uses them.

A small city (a lead bureau, a co-unit, a bureau with no part in the task) and one task
assigned through the services. ``world`` is shared with the desk tests.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from duban.core.models import AuditEntry
from duban.org.models import Unit
from duban.org.services import create_user
from duban.plans.choices import TaskKind, TaskStatus
from duban.plans.models import Assignment, Milestone, Task
from duban.plans.services import assign_task, update_task
from duban.supervision import services
from duban.supervision.choices import NoticeLevel, ReportStatus
from duban.supervision.models import (
    ClosureRequest,
    Comment,
    Notice,
    ReportingSchedule,
)

TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 3, 16)  # a Monday
PW = "pw-1"
SOURCE = "一、总体要求\n\n今年要坚持稳中求进，加快建设城市数据中心，确保年底前建成投用。其他内容。"


@pytest.fixture
def frozen():
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(10), tzinfo=TZ), tick=False):
        yield TODAY


@pytest.fixture
def world(units, media_root, frozen):
    """Units, one user per role, and task 1.1 led by 市商务局 with 市财政局 co-operating."""
    from duban.documents.models import Document

    jy = Unit.objects.create(name="市教育局", kind="government", parent=units["root"])
    people = {
        "office": create_user("office", password=PW, unit=units["office"], role="office"),
        "leader": create_user("leader", password=PW, unit=units["root"], role="leader"),
        "viewer": create_user("viewer", password=PW, unit=units["root"], role="viewer"),
        "unitlead": create_user("unitlead", password=PW, unit=units["sw"], role="unit_leader"),
        "clerk": create_user("clerk", password=PW, unit=units["sw"], role="clerk"),
        "coclerk": create_user("coclerk", password=PW, unit=units["cz"], role="clerk"),
        "colead": create_user("colead", password=PW, unit=units["cz"], role="unit_leader"),
        "clerk2": create_user("clerk2", password=PW, unit=jy, role="clerk"),
    }
    from duban.plans.models import Plan

    plan = Plan.objects.create(title="示例方案", year=2026, status="confirmed")
    doc = Document.objects.create(title="示例市工作报告", normalized_text=SOURCE)
    start = SOURCE.index("加快建设")
    task = Task.objects.create(
        plan=plan,
        code="1.1",
        text="加快建设城市数据中心",
        status=TaskStatus.CONFIRMED,
        start_date=dt.date(2026, 1, 5),
        deadline=dt.date(2026, 12, 31),
        source_document=doc,
        source_start=start,
        source_end=start + len("加快建设城市数据中心"),
        lead_suggestions=[{"unit": "市财政局", "score": 3}, {"unit": "市商务局", "score": 2}],
    )
    assign_task(task, lead_unit=units["sw"], co_units=[units["cz"]], actor=people["office"])
    services.set_reporting_schedule(
        task,
        actor=people["office"],
        frequency="weekly",
        day=5,
        starts_on=dt.date(2026, 3, 1),
    )
    return {"units": {**units, "jy": jy}, "people": people, "task": task, "plan": plan}


def client_for(world, name: str) -> Client:
    c = Client()
    c.force_login(world["people"][name])
    return c


def url(task, suffix: str = "") -> str:
    return f"/tasks/{task.pk}/{suffix}"


# --- reading ---------------------------------------------------------------------------


def test_office_sees_the_whole_task_page(world):
    task = world["task"]
    r = client_for(world, "office").get(url(task))
    assert r.status_code == 200
    html = r.content.decode()
    assert "1.1" in html and "加快建设城市数据中心" in html
    assert f'<mark id="span-{task.pk}">加快建设城市数据中心</mark>' in html
    assert "坚持稳中求进" in html  # the sentence in context
    assert "牵头单位" in html and "市商务局" in html and "市财政局" in html
    # The reassignment form is fetched on demand, not carried by every page.
    assert 'id="assign_lead_unit"' not in html
    assert f'hx-get="/tasks/{task.pk}/assign/"' in html
    for form in ("task-assign", "task-milestones", "task-reporting", "task-notice", "task-edit"):
        assert f"/tasks/{task.pk}/{form.split('-')[1]}/" in html


def test_the_reassignment_form_comes_on_demand(world):
    task = world["task"]
    office = client_for(world, "office")
    fragment = office.get(url(task, "assign/"), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "<html" not in html and 'name="csrfmiddlewaretoken"' in html
    # The engine's suggestion comes first in the lead unit list; the current lead is chosen.
    select = html[html.index('id="assign_lead_unit"') :]
    assert select.index("市财政局（3）") < select.index("全部单位")
    lead = task.assignment.lead_unit_id
    assert f'<option value="{lead}" selected>' in html
    # Without htmx (a link opened in a new tab): the whole task page, the form open.
    page = office.get(url(task, "assign/")).content.decode()
    assert "<html" in page and 'id="assign_lead_unit"' in page
    assert "<details open>\n    <summary>重新交办" in page
    # Whoever may not assign gets what they get for the POST.
    for name in ("clerk", "unitlead", "leader"):
        assert client_for(world, name).get(url(task, "assign/")).status_code in (403, 404)
    assert client_for(world, "clerk2").get(url(task, "assign/")).status_code == 404


def test_an_unassigned_task_carries_its_assignment_form(world):
    from duban.plans.models import Assignment

    task = world["task"]
    Assignment.objects.filter(task=task).delete()
    html = client_for(world, "office").get(url(task)).content.decode()
    assert (
        'id="assign_lead_unit"' in html and "hx-get=" not in html.split('id="assignment"')[1][:2000]
    )


@pytest.mark.parametrize("name", ["clerk", "unitlead", "coclerk", "leader", "viewer"])
def test_who_may_read_the_task_page(world, name):
    assert client_for(world, name).get(url(world["task"])).status_code == 200


def test_another_units_clerk_gets_404_never_403(world):
    c = client_for(world, "clerk2")
    task = world["task"]
    assert c.get(url(task)).status_code == 404
    assert c.post(url(task, "comment/"), {"text": "x"}).status_code == 404
    assert c.get(f"/desk/report/{task.pk}/").status_code == 404
    assert c.get("/tasks/999999/").status_code == 404


def test_anonymous_is_sent_to_login(world):
    r = Client().get(url(world["task"]))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_unit_clerk_sees_no_office_forms(world):
    html = client_for(world, "clerk").get(url(world["task"])).content.decode()
    assert 'id="assign_lead_unit"' not in html
    assert "/milestones/" not in html and "/notice/" not in html
    assert f"/desk/report/{world['task'].pk}/" in html  # the report button


# --- a viewer changes nothing ----------------------------------------------------------------


def test_a_viewer_cannot_post_anything(world, units):
    c = client_for(world, "viewer")
    task = world["task"]
    audit_before = AuditEntry.objects.count()
    posts = {
        "edit/": {"text": "改", "version": task.version},
        "assign/": {"lead_unit": units["cz"].pk},
        "milestones/": {"template": "standard"},
        "reporting/": {"frequency": "monthly", "day": 25, "starts_on": "2026-03-01"},
        "comment/": {"text": "看看"},
        "closure/": {"note": "完成"},
        "notice/": {"level": "supervise", "reason": "慢"},
    }
    for suffix, data in posts.items():
        assert c.post(url(task, suffix), data).status_code == 403, suffix
    assert c.post("/office/chase/").status_code == 403
    assert c.get(f"/desk/report/{task.pk}/").status_code == 403
    # Nothing changed; each refusal is itself on record.
    new = list(AuditEntry.objects.order_by("id")[audit_before:].values_list("event", flat=True))
    assert new == ["permission_denied"] * (len(posts) + 2)


# --- the office's actions ---------------------------------------------------------------------


def test_office_reassigns_the_task(world, units):
    task = world["task"]
    assignment = Assignment.objects.get(task=task)
    r = client_for(world, "office").post(
        url(task, "assign/"),
        {
            "lead_unit": units["cz"].pk,
            "co_units": [units["sw"].pk, units["fgw"].pk],
            "leader": world["people"]["leader"].pk,
            "version": assignment.version,
        },
    )
    assert r.status_code == 302
    assignment.refresh_from_db()
    assert assignment.lead_unit == units["cz"]
    assert {u.name for u in assignment.co_units.all()} == {"市商务局", "市发展和改革委员会"}
    assert assignment.leader_in_charge == world["people"]["leader"]
    # The history names the units, with the field's label and before → after.
    html = client_for(world, "office").get(url(task)).content.decode()
    history = html[html.index('id="history"') :]
    assert "牵头单位：<del>市商务局</del> → <ins>市财政局</ins>" in history
    assert "交办" in history


def test_schedule_milestones_checks_permission(world):
    task = world["task"]
    data = {"template": "standard", "version": task.version}
    assert client_for(world, "clerk").post(url(task, "milestones/"), data).status_code == 403
    assert client_for(world, "colead").post(url(task, "milestones/"), data).status_code == 403
    assert not Milestone.objects.filter(task=task).exists()
    r = client_for(world, "unitlead").post(url(task, "milestones/"), data)
    assert r.status_code == 302
    assert list(Milestone.objects.filter(task=task).values_list("name", flat=True)) == [
        "方案制定",
        "推进实施",
        "验收销号",
    ]


def test_schedule_milestones_without_deadline_shows_the_reason(world):
    task = world["task"]
    Task.objects.filter(pk=task.pk).update(deadline=None)
    task.refresh_from_db()
    r = client_for(world, "office").post(
        url(task, "milestones/"), {"template": "standard", "version": task.version}
    )
    assert r.status_code == 400
    assert "没有完成时限" in r.content.decode()


def test_office_sets_the_reporting_schedule(world):
    task = world["task"]
    schedule = ReportingSchedule.objects.get(task=task)
    r = client_for(world, "office").post(
        url(task, "reporting/"),
        {
            "frequency": "monthly",
            "day": 25,
            "starts_on": "2026-04-01",
            "version": schedule.version,
        },
    )
    assert r.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.frequency, schedule.day) == ("monthly", 25)
    bad = client_for(world, "office").post(
        url(task, "reporting/"),
        {"frequency": "weekly", "day": 9, "starts_on": "2026-04-01", "version": schedule.version},
    )
    assert bad.status_code == 400 and "1 到 7" in bad.content.decode()


def test_office_issues_a_notice_from_the_task_page(world):
    task = world["task"]
    r = client_for(world, "office").post(
        url(task, "notice/"), {"level": "supervise", "reason": "进度滞后，请说明。"}
    )
    assert r.status_code == 302
    notice = Notice.objects.get(task=task, level=NoticeLevel.SUPERVISE)
    assert notice.unit == world["units"]["sw"]


# --- the units' actions -----------------------------------------------------------------


def test_clerk_comments_and_replies_to_a_notice(world):
    task = world["task"]
    notice, _ = services.issue_notice(
        task, level="chase", reason="请报送", actor=world["people"]["office"]
    )
    c = client_for(world, "clerk")
    assert c.post(url(task, "comment/"), {"text": "已在推进"}).status_code == 302
    assert Comment.objects.get(task=task).text == "已在推进"
    assert c.post(url(task, "comment/"), {"text": "  "}).status_code == 400
    r = c.post(f"/notices/{notice.pk}/reply/", {"reply": "本周补报", "version": notice.version})
    assert r.status_code == 302
    notice.refresh_from_db()
    assert notice.reply == "本周补报"
    # A unit outside the task cannot even see the notice.
    assert (
        client_for(world, "clerk2").post(f"/notices/{notice.pk}/reply/", {"reply": "x"}).status_code
        == 404
    )


def test_a_co_unit_cannot_request_closure(world):
    task = world["task"]
    r = client_for(world, "colead").post(url(task, "closure/"), {"note": "完成了"})
    assert r.status_code == 403
    assert not ClosureRequest.objects.exists()


def test_closure_request_and_decision(world):
    task = world["task"]
    task.refresh_from_db()
    r = client_for(world, "unitlead").post(
        url(task, "closure/"), {"note": "已建成投用", "version": task.version}
    )
    assert r.status_code == 302
    closure = ClosureRequest.objects.get(task=task)
    office = client_for(world, "office")
    # Returning needs a reason.
    r = office.post(
        f"/closures/{closure.pk}/decide/", {"decision": "return", "version": closure.version}
    )
    assert r.status_code == 400 and "写明原因" in r.content.decode()
    r = office.post(
        f"/closures/{closure.pk}/decide/",
        {"decision": "approve", "note": "同意", "version": closure.version},
    )
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED and task.progress == 100


def test_rectification_closes_only_with_a_verification_note(world):
    task = world["task"]
    Task.objects.filter(pk=task.pk).update(kind=TaskKind.RECTIFICATION)
    closure = services.request_closure(
        Task.objects.get(pk=task.pk), actor=world["people"]["unitlead"], note="整改完成"
    )
    office = client_for(world, "office")
    page = office.get(url(task)).content.decode()
    assert "整改核验意见" in page
    r = office.post(
        f"/closures/{closure.pk}/decide/", {"decision": "approve", "version": closure.version}
    )
    assert r.status_code == 400 and "核验意见" in r.content.decode()
    r = office.post(
        f"/closures/{closure.pk}/decide/",
        {"decision": "approve", "verification_note": "现场核查到位", "version": closure.version},
    )
    assert r.status_code == 302
    closure.refresh_from_db()
    assert closure.status == ClosureRequest.Status.APPROVED


# --- conflicts -----------------------------------------------------------------------------


def test_a_stale_edit_is_a_409_that_keeps_the_users_text(world):
    task = world["task"]
    task.refresh_from_db()
    loaded = task.version
    # Someone else saves first.
    update_task(task, actor=world["people"]["office"], version=loaded, measures="他人的修改")
    r = client_for(world, "office").post(
        url(task, "edit/"),
        {"text": "我的新表述：加快建设城市数据中心二期", "version": loaded},
    )
    assert r.status_code == 409
    html = r.content.decode()
    assert "已被他人修改" in html
    assert "我的新表述：加快建设城市数据中心二期" in html
    # The form now carries the current version, so a resubmit succeeds.
    task.refresh_from_db()
    assert f'name="version" value="{task.version}"' in html
    assert task.text == "加快建设城市数据中心" and task.measures == "他人的修改"


def test_a_stale_reassignment_is_a_409(world, units):
    task = world["task"]
    assignment = Assignment.objects.get(task=task)
    r = client_for(world, "office").post(
        url(task, "assign/"), {"lead_unit": units["cz"].pk, "version": assignment.version - 1}
    )
    assert r.status_code == 409 and "已被他人修改" in r.content.decode()
    assert Assignment.objects.get(task=task).lead_unit == units["sw"]


# --- query budget ------------------------------------------------------------------------


def _grow_history(world, n: int) -> None:
    task = Task.objects.get(pk=world["task"].pk)
    office = world["people"]["office"]
    for i in range(n):
        update_task(task, actor=office, version=task.version, measures=f"措施第{i}版")
        services.add_comment(task, actor=office, text=f"批示{i}")
    for week in range(n // 4):
        end = dt.date(2026, 1, 2) + dt.timedelta(days=7 * week)
        report = services.submit_report(
            task,
            actor=world["people"]["clerk"],
            period_start=end - dt.timedelta(days=6),
            period_end=end,
            due_date=end,
            percent=week,
            progress=f"第{week}周进展",
            files=[(f"佐证{week}.txt", b"evidence")],
        )
        assert report.status == ReportStatus.SUBMITTED


def test_task_page_query_count_does_not_grow_with_history(world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    office = client_for(world, "office")
    task = world["task"]
    _grow_history(world, 4)
    with CaptureQueriesContext(connection) as small:
        assert office.get(url(task)).status_code == 200
    _grow_history(world, 40)
    assert AuditEntry.objects.filter(object_type="plans.task", object_id=str(task.pk)).count() > 40
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = office.get(url(task))
    assert r.status_code == 200
    assert len(small.captured_queries) <= 30
    html = r.content.decode()
    assert "措施第39版" in html and "第9周进展" in html and "佐证9.txt" in html


def test_history_keeps_milestones_replaced_by_a_new_schedule(world):
    task = world["task"]
    office = client_for(world, "office")
    for template in ("standard", "project"):
        task.refresh_from_db()
        r = office.post(url(task, "milestones/"), {"template": template, "version": task.version})
        assert r.status_code == 302
    html = office.get(url(task)).content.decode()
    history = html[html.index('id="history"') :]
    assert "删除阶段目标" in history and "方案制定" in history  # the replaced stage
    assert "新建阶段目标" in history and "前期准备" in history
    assert "倒排工期" in history


def test_history_shows_times_in_local_time(world):
    html = client_for(world, "office").get(url(world["task"])).content.decode()
    history = html[html.index('id="history"') :]
    # Assigned at 10:00 Shanghai time (02:00 UTC) by the fixture.
    assert "2026-03-16 10:00" in history and "2026-03-16 02:00" not in history


def test_the_lead_units_leader_splits_a_task_into_measures(world):
    task = world["task"]
    lead = client_for(world, "unitlead")
    page = lead.get(url(task)).content.decode()
    assert "添加分解任务" in page
    r = lead.post(url(task, "subtask/"), {"text": "制定实施方案", "responsible": "张科长"})
    assert r.status_code == 302
    child = Task.objects.get(parent=task)
    assert child.code == f"{task.code}.1" and child.assignment.lead_unit_id == (
        task.assignment.lead_unit_id
    )
    assert child.assignment.responsible_text == "张科长"
    late = lead.post(url(task, "subtask/"), {"text": "晚了", "deadline": "2099-01-01"})
    assert late.status_code == 400 and "不能晚于上级任务" in late.content.decode()
    # A clerk of the same unit sees the task but cannot split it.
    clerk = client_for(world, "clerk")
    assert "添加分解任务" not in clerk.get(url(task)).content.decode()
    assert clerk.post(url(task, "subtask/"), {"text": "x"}).status_code == 403
    assert Task.objects.filter(parent=task).count() == 1


def test_the_lead_unit_ticks_a_milestone_and_the_co_unit_cannot(world):
    task = world["task"]
    office = client_for(world, "office")
    office.post(url(task, "milestones/"), {"template": "standard", "version": task.version})
    milestone = task.milestones.order_by("due_date").first()
    assert milestone is not None
    clerk = client_for(world, "clerk")
    assert "标记完成" in clerk.get(url(task)).content.decode()
    assert clerk.post(f"/milestones/{milestone.pk}/done/").status_code == 302
    milestone.refresh_from_db()
    assert milestone.done_at is not None
    coclerk = client_for(world, "coclerk")
    assert "标记完成" not in coclerk.get(url(task)).content.decode()
    assert coclerk.post(f"/milestones/{milestone.pk}/done/", {"undo": "1"}).status_code == 403
    assert client_for(world, "clerk2").post(f"/milestones/{milestone.pk}/done/").status_code == 404
    milestone.refresh_from_db()
    assert milestone.done_at is not None
    assert clerk.post(f"/milestones/{milestone.pk}/done/", {"undo": "1"}).status_code == 302
    milestone.refresh_from_db()
    assert milestone.done_at is None
