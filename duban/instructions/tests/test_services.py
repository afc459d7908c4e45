"""The rules of 领导批示件: registration, replies, tasks, 报结, the chase and the counts.

Each test sets up state through the services, as the pages and the API do, and checks
both what changed and what was written to the audit log; refused input changes nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from duban.core.errors import NotAllowed
from duban.core.models import AuditEntry, ConflictError
from duban.instructions import access, services
from duban.instructions.models import Instruction, InstructionPage, InstructionReply
from duban.plans.models import Assignment, FrameworkNode, Plan, Task
from duban.supervision.models import Notice, SupervisionSettings
from duban.supervision.services import run_chasing

pytestmark = pytest.mark.django_db


def _events(obj) -> list[str]:
    return list(AuditEntry.for_object(obj).filter(action="event").values_list("event", flat=True))


def test_registering_writes_the_instruction_its_units_and_audit_rows(register, units):
    instruction = register()
    assert instruction.status == "open" and instruction.lead_unit == units["sw"]
    assert [u.name for u in instruction.co_units.all()] == ["市财政局"]
    assert "instruction_registered" in _events(instruction)
    created = AuditEntry.for_object(instruction).get(action="create")
    assert created.actor.username == "office"
    assert created.after["leader_name"] == "王明"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"content": "  "}, "请填写批示内容。"),
        ({"leader_name": ""}, "请填写批示领导。"),
        ({"source_title": ""}, "请填写来文标题。"),
        ({"reply_by": dt.date.today() - dt.timedelta(days=30)}, "反馈时限不能早于批示日期。"),
        ({"instructed_on": dt.date.today() + dt.timedelta(days=2)}, "批示日期不能晚于今天。"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(register, change, message):
    before = AuditEntry.objects.count()
    with pytest.raises(services.ValidationError, match=message):
        register(**change)
    assert Instruction.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_only_the_office_registers(register, people):
    for name in ("sw_clerk", "sw_lead", "leader"):
        with pytest.raises(NotAllowed):
            register(actor=people[name])
    assert Instruction.objects.count() == 0


def test_units_see_only_what_they_lead_or_co_handle(register, people, units):
    mine = register()
    other = register(lead_unit=units["fgw"], co_units=[])

    def seen(name):
        return set(access.visible_instructions(people[name]).values_list("pk", flat=True))

    assert seen("sw_clerk") == {mine.pk}
    assert seen("cz_clerk") == {mine.pk}  # co-handles
    assert seen("fgw_clerk") == {other.pk}
    assert seen("leader") == seen("office") == {mine.pk, other.pk}
    with pytest.raises(access.NotFound):
        access.get_instruction(people["fgw_clerk"], mine.pk)


def test_an_edit_with_a_stale_version_changes_nothing(register, people):
    instruction = register()
    services.update_instruction(
        instruction, actor=people["office"], version=instruction.version, content="改正后的批示"
    )
    stale = Instruction.objects.get(pk=instruction.pk)
    stale.version -= 1
    with pytest.raises(ConflictError):
        services.update_instruction(
            stale, actor=people["office"], version=stale.version, content="x"
        )
    assert Instruction.objects.get(pk=instruction.pk).content == "改正后的批示"
    update = AuditEntry.for_object(instruction).filter(action="update").latest("id")
    assert (
        update.before["content"].startswith("请商务局牵头")
        and update.after["content"] == "改正后的批示"
    )


def test_units_reply_for_their_own_unit_only(register, people, units, media_root):
    instruction = register()
    reply = services.add_reply(
        instruction,
        actor=people["sw_clerk"],
        unit=units["sw"],
        text="已召开外贸企业座谈会，形成支持措施初稿。",
        attachment=("措施.docx", b"PK\x03\x04 draft"),
    )
    assert reply.attachment.read() == b"PK\x03\x04 draft" and reply.attachment_name == "措施.docx"
    assert "instruction_reply_added" in _events(instruction)
    with pytest.raises(NotAllowed):  # 市商务局's clerk cannot reply for 市财政局
        services.add_reply(instruction, actor=people["sw_clerk"], unit=units["cz"], text="代答")
    with pytest.raises(NotAllowed):  # not a unit of this instruction
        services.add_reply(instruction, actor=people["fgw_clerk"], unit=units["fgw"], text="x")
    with pytest.raises(services.ValidationError, match="请填写办理情况"):
        services.add_reply(instruction, actor=people["cz_clerk"], unit=units["cz"], text=" ")
    with pytest.raises(services.ValidationError, match="是空的"):
        services.add_reply(
            instruction,
            actor=people["cz_clerk"],
            unit=units["cz"],
            text="配合",
            attachment=("a.pdf", b""),
        )
    assert InstructionReply.objects.count() == 1


def test_overdue_until_a_reply_is_accepted(register, people, units):
    today = dt.date.today()
    instruction = register(reply_by=today - dt.timedelta(days=1))
    assert services.is_overdue(instruction)
    reply = services.add_reply(instruction, actor=people["sw_lead"], unit=units["sw"], text="已办")
    assert services.is_overdue(Instruction.objects.get(pk=instruction.pk))  # not accepted yet
    with pytest.raises(NotAllowed):
        services.accept_reply(reply, actor=people["sw_lead"])
    services.accept_reply(reply, actor=people["office"])
    assert not services.is_overdue(Instruction.objects.get(pk=instruction.pk))
    assert "instruction_reply_accepted" in _events(instruction)


def test_turning_into_a_task_in_a_confirmed_plan_assigns_it(register, people, units):
    plan = Plan.objects.create(title="市政府重点工作", year=2026, status="confirmed")
    node = FrameworkNode.objects.create(plan=plan, name="稳外贸", code="3", kind="section")
    instruction = register()
    task = services.create_task(instruction, actor=people["office"], plan=plan, framework_node=node)
    task = Task.objects.select_related("assignment").get(pk=task.pk)
    assert task.status == "confirmed" and task.framework_node == node
    assert task.deadline == instruction.reply_by
    assert task.text.startswith("落实王明同志批示：请商务局牵头")
    assert task.assignment.lead_unit == units["sw"]
    assert [u.name for u in task.assignment.co_units.all()] == ["市财政局"]
    assert Instruction.objects.get(pk=instruction.pk).task == task
    assert "instruction_task_created" in _events(instruction)
    assert "instruction_linked" in _events(task)
    with pytest.raises(services.ValidationError, match="已关联任务"):
        services.create_task(instruction, actor=people["office"], plan=plan)


def test_a_node_of_another_plan_is_refused_and_nothing_is_created(register, people):
    plan = Plan.objects.create(title="甲", year=2026, status="confirmed")
    other = Plan.objects.create(title="乙", year=2026)
    node = FrameworkNode.objects.create(plan=other, name="别的", code="1", kind="section")
    instruction = register()
    with pytest.raises(services.ValidationError, match="同一方案"):
        services.create_task(instruction, actor=people["office"], plan=plan, framework_node=node)
    assert Task.objects.count() == 0
    assert Instruction.objects.get(pk=instruction.pk).task is None


def test_closing_records_who_and_when_and_locks_it(register, people, units):
    instruction = register()
    with pytest.raises(services.ValidationError, match="还没有任何单位反馈"):
        services.close_instruction(instruction, actor=people["office"])
    services.add_reply(instruction, actor=people["sw_clerk"], unit=units["sw"], text="已办结")
    with pytest.raises(NotAllowed):
        services.close_instruction(instruction, actor=people["sw_lead"])
    services.close_instruction(instruction, actor=people["office"], note="已向王市长报告")
    instruction.refresh_from_db()
    assert instruction.status == "closed" and instruction.closed_by == people["office"]
    assert timezone.localdate(instruction.closed_at) == timezone.localdate()
    assert services.closed_on_time(instruction)
    assert "instruction_closed" in _events(instruction)
    with pytest.raises(services.ValidationError, match="已报结"):
        services.add_reply(instruction, actor=people["cz_clerk"], unit=units["cz"], text="补充")


def test_the_region_must_lie_within_the_image(register, people):
    instruction = register()
    with pytest.raises(services.ValidationError, match="没有扫描图像"):
        services.set_region(
            instruction, actor=people["office"], region={"x": 0, "y": 0, "w": 1, "h": 1}
        )
    for number in (1, 2):  # as if kept from a two-page scan
        InstructionPage.objects.create(
            instruction=instruction, number=number, image="instructions/x.jpg", width=9, height=9
        )
    with pytest.raises(services.ValidationError, match="超出了图像范围"):
        services.set_region(
            instruction, actor=people["office"], region={"x": 0.5, "y": 0.1, "w": 0.7, "h": 0.2}
        )
    with pytest.raises(services.ValidationError, match="没有第 3 页"):
        services.set_region(
            instruction,
            actor=people["office"],
            region={"x": 0.5, "y": 0.1, "w": 0.4, "h": 0.2},
            page=3,
        )
    services.set_region(
        instruction,
        actor=people["office"],
        region={"x": 0.5, "y": 0.1, "w": 0.4, "h": 0.2},
        page=2,
    )
    regions = dict(instruction.pages.values_list("number", "region"))
    assert regions == {1: None, 2: {"x": 0.5, "y": 0.1, "w": 0.4, "h": 0.2}}
    assert "instruction_region_marked" in _events(instruction)


def test_an_overdue_instruction_climbs_the_tasks_ladder_once_per_rung(register, people, units):
    """Days late in working days, the office's thresholds, one notice per rung, on the task."""
    limits = SupervisionSettings.current()
    plan = Plan.objects.create(title="批示任务", year=2026, status="confirmed")
    today = dt.date.today()
    instruction = register(
        instructed_on=today - dt.timedelta(days=60), reply_by=today - dt.timedelta(days=40)
    )
    unlinked = register(
        instructed_on=today - dt.timedelta(days=60), reply_by=today - dt.timedelta(days=40)
    )
    task = services.create_task(instruction, actor=people["office"], plan=plan)
    counts = run_chasing()
    # 40 calendar days late is past every threshold: straight to 通报 (criticism).
    assert limits.criticize_after_days <= 20
    assert counts["criticism"] == 2  # the linked one on its task, the other on itself
    notice = Notice.objects.get(task=task)
    assert notice.level == "criticism" and notice.unit == units["sw"]
    assert "王明同志" in notice.reason and "逾期" in notice.reason
    assert run_chasing()["criticism"] == 0  # a rerun adds nothing
    assert Notice.objects.count() == 2
    # Accepted: the chase stops (no new rung for these instructions).
    for each in (instruction, unlinked):
        reply = services.add_reply(each, actor=people["sw_clerk"], unit=units["sw"], text="已办")
        services.accept_reply(reply, actor=people["office"])
    limits.criticize_after_days = 200
    limits.save()
    assert run_chasing()["supervise"] == 0
    assert Notice.objects.count() == 2
    assert unlinked.task is None


def test_an_overdue_instruction_with_no_task_is_chased_on_itself(register, people, units):
    """No task: the notice is about the instruction, addressed to its lead unit, in the
    unit's inbox and on the instruction's history; linking a task later issues no second
    notice of the same rung; the unit answers it."""
    from duban.supervision.choices import NoticeStatus
    from duban.supervision.services import reply_notice

    today = dt.date.today()
    instruction = register(
        instructed_on=today - dt.timedelta(days=60), reply_by=today - dt.timedelta(days=40)
    )
    assert run_chasing()["criticism"] == 1
    notice = Notice.objects.get()
    assert notice.task is None and notice.instruction == instruction
    assert notice.unit == units["sw"] and notice.level == "criticism"
    assert "王明同志" in notice.reason and "《关于外贸企业订单情况的调研报告》" in notice.reason
    assert "notice_criticism" in _events(instruction)
    assert str(notice).startswith("通报") and f"批示{instruction.pk}" in str(notice)
    # The unit's people get it in their inbox.
    from duban.supervision.models import Notification

    assert Notification.objects.filter(user=people["sw_clerk"]).exists()
    assert not Notification.objects.filter(user=people["fgw_clerk"]).exists()
    # Linked to a task afterwards: the same rung is not issued again on the task.
    plan = Plan.objects.create(title="批示任务", year=2026, status="confirmed")
    services.create_task(instruction, actor=people["office"], plan=plan)
    assert run_chasing()["criticism"] == 0 and Notice.objects.count() == 1
    # Only the addressed unit's people answer it.
    with pytest.raises(NotAllowed):
        reply_notice(notice, actor=people["fgw_clerk"], reply="不是我们的")
    reply_notice(notice, actor=people["sw_clerk"], reply="已召开专题会研究，三日内书面反馈。")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.REPLIED


def test_a_notice_is_about_a_task_or_an_instruction_never_both(register, people, units):
    from django.db import IntegrityError, transaction

    plan = Plan.objects.create(title="批示任务", year=2026, status="confirmed")
    task = Task.objects.create(plan=plan, code="1", text="稳外贸", status="in_progress")
    instruction = register()
    for about in ({}, {"task": task, "instruction": instruction}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Notice.objects.create(
                unit=units["sw"], level="chase", reason="x", dedup_key=f"k{len(about)}", **about
            )


def test_a_few_days_late_is_a_chase_not_a_criticism(register, people):
    plan = Plan.objects.create(title="批示任务", year=2026, status="confirmed")
    today = dt.date.today()
    # Late by the chase threshold in working days, whatever today's weekday.
    from duban.supervision.workdays import load_calendar

    calendar = load_calendar()
    limits = SupervisionSettings.current()
    due = today - dt.timedelta(days=1)
    while calendar.workdays_between(due, today) < limits.chase_after_days:
        due -= dt.timedelta(days=1)
    instruction = register(instructed_on=due - dt.timedelta(days=5), reply_by=due)
    services.create_task(instruction, actor=people["office"], plan=plan)
    counts = run_chasing()
    assert counts["chase"] == 1 and counts["supervise"] == counts["criticism"] == 0


def test_counts_by_leader_and_by_unit(register, people, units):
    today = dt.date.today()
    register()  # 王明, open, due in 4 days
    late = register(
        reply_by=today - dt.timedelta(days=1), instructed_on=today - dt.timedelta(days=9)
    )
    done = register(leader_name="李华", lead_unit=units["fgw"], co_units=[])
    services.add_reply(done, actor=people["fgw_clerk"], unit=units["fgw"], text="已办")
    services.close_instruction(done, actor=people["office"])
    found = services.tallies(people["office"])
    leaders = {t.name: (t.total, t.open, t.overdue, t.closed_on_time) for t in found["leaders"]}
    assert leaders == {"王明": (2, 2, 1, 0), "李华": (1, 0, 0, 1)}
    by_unit = {t.name: (t.total, t.open, t.overdue, t.closed_on_time) for t in found["units"]}
    assert by_unit == {
        "市商务局": (2, 2, 1, 0),
        "市财政局": (2, 2, 1, 0),
        "市发展和改革委员会": (1, 0, 0, 1),
    }
    # A unit counts only what it sees.
    mine = services.tallies(people["fgw_clerk"])
    assert [(t.name, t.total) for t in mine["leaders"]] == [("李华", 1)]
    assert late.pk not in services.filter_instructions(people["fgw_clerk"], {}, today).values_list(
        "pk", flat=True
    )


def test_coming_due_counts_the_next_seven_days_of_what_the_user_sees(register, people, units):
    today = dt.date.today()
    register(reply_by=today + dt.timedelta(days=7))
    register(reply_by=today + dt.timedelta(days=8))
    register(reply_by=today - dt.timedelta(days=1), instructed_on=today - dt.timedelta(days=5))
    register(lead_unit=units["fgw"], co_units=[], reply_by=today)
    assert services.coming_due(people["office"]) == 2
    assert services.coming_due(people["cz_clerk"]) == 1
    assert services.coming_due(people["fgw_clerk"]) == 1


def test_in_a_draft_plan_the_task_is_a_proposal_with_its_lead_chosen(register, people, units):
    plan = Plan.objects.create(title="草拟方案", year=2026)
    instruction = register()
    task = services.create_task(
        instruction, actor=people["office"], plan=plan, text="  研究稳外贸支持措施  "
    )
    task.refresh_from_db()
    assert task.status == "proposed" and task.text == "研究稳外贸支持措施"
    assert task.extracted["lead_choice"] == {"id": units["sw"].pk, "name": "市商务局"}
    assert task.extracted["instruction"] == instruction.pk
    assert not Assignment.objects.filter(task=task).exists()  # assigned on 立项


def test_moving_the_reply_by_date_moves_the_deadline_it_gave_the_task(register, people):
    """A task made from the instruction is due on its reply-by date: a new date moves it
    (audited on the task). An attached task with a deadline of its own keeps it, and its
    history says why."""
    plan = Plan.objects.create(title="批示任务", year=2026, status="confirmed")
    today = dt.date.today()
    instruction = register()
    task = services.create_task(instruction, actor=people["office"], plan=plan)
    later = instruction.reply_by + dt.timedelta(days=10)
    services.update_instruction(
        instruction, actor=people["office"], version=instruction.version, reply_by=later
    )
    task.refresh_from_db()
    assert task.deadline == later and later.isoformat() in task.deadline_text
    moved = AuditEntry.objects.filter(
        object_type="plans.task", object_id=str(task.pk), event="instruction_reply_by_changed"
    ).get()
    assert moved.after["deadline_moved"] is True and moved.after["after"] == later.isoformat()
    assert AuditEntry.objects.filter(
        object_type="plans.task", object_id=str(task.pk), action="update", actor=people["office"]
    ).exists()  # the deadline's own row diff
    # An existing task with the work report's deadline keeps it.
    own = Task.objects.create(
        plan=plan, code="9", text="稳外贸", status="in_progress", deadline=today + dt.timedelta(90)
    )
    other = register()
    services.link_task(other, actor=people["office"], task=own)
    services.update_instruction(
        other, actor=people["office"], version=other.version, reply_by=later
    )
    own.refresh_from_db()
    assert own.deadline == today + dt.timedelta(90)
    kept = AuditEntry.objects.get(
        object_type="plans.task", object_id=str(own.pk), event="instruction_reply_by_changed"
    )
    assert kept.after["deadline_moved"] is False and "未调整" in kept.note
    # Another edit that keeps the date writes no such event.
    services.update_instruction(
        other, actor=people["office"], version=other.version, content="请加快办理。"
    )
    assert AuditEntry.objects.filter(event="instruction_reply_by_changed").count() == 2
