"""Backward scheduling: templates, placement on working days, and the audited service."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.core.models import AuditEntry
from duban.plans.models import Milestone, Task
from duban.supervision.scheduling import (
    MilestoneTemplate,
    PlannedMilestone,
    SchedulingError,
    milestone_templates,
    plan_milestones,
    schedule_task,
)
from duban.supervision.workdays import WorkCalendar

D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar()


def test_the_shipped_templates():
    templates = milestone_templates()
    assert [s for s in templates["standard"].stages] == [
        ("方案制定", 20),
        ("推进实施", 60),
        ("验收销号", 20),
    ]
    assert [n for n, _p in templates["project"].stages] == ["前期准备", "组织实施", "总结评估"]
    assert templates["indicator"].placement == "quarterly"
    for tpl in templates.values():
        if tpl.placement == "proportional":
            assert sum(p for _n, p in tpl.stages) == 100


@pytest.mark.parametrize(
    ("start", "deadline", "template", "expected"),
    [
        # Deadline Fri 2025-10-03 is inside National Day (10-01 … 10-08): the last milestone
        # moves to Tue 09-30. 67 working days from 07-01 (the make-up Sunday 09-28 counts);
        # the 20 % stage ends 54 working days before 09-30, the 60 % one 13 before.
        (
            "2025-07-01",
            "2025-10-03",
            "standard",
            [
                ("方案制定", "2025-07-17", 20),
                ("推进实施", "2025-09-12", 60),
                ("验收销号", "2025-09-30", 20),
            ],
        ),
        # Deadline Mon 2026-10-05, National Day 2026 (10-01 … 10-07): last working day 09-30.
        (
            "2026-01-05",
            "2026-10-05",
            "project",
            [
                ("前期准备", "2026-03-02", 20),
                ("组织实施", "2026-08-10", 60),
                ("总结评估", "2026-09-30", 20),
            ],
        ),
        # Across Spring Festival 2026: 38 working days, 8 before the holiday's make-up days.
        (
            "2026-02-02",
            "2026-03-31",
            "standard",
            [
                ("方案制定", "2026-02-11", 20),
                ("推进实施", "2026-03-19", 60),
                ("验收销号", "2026-03-31", 20),
            ],
        ),
        # Quarter ends on a Sunday (2024-03-31, 2024-06-30) move back to the Friday.
        (
            "2024-01-01",
            "2024-12-31",
            "indicator",
            [
                ("2024年第一季度监测", "2024-03-29", 24),
                ("2024年第二季度监测", "2024-06-28", 25),
                ("2024年第三季度监测", "2024-09-30", 26),
                ("完成目标值", "2024-12-31", 25),
            ],
        ),
        # A start on a rest day counts from the next working day; one working day only.
        (
            "2025-10-04",
            "2025-10-09",
            "standard",
            [
                (n, "2025-10-09", p)
                for n, p in [("方案制定", 20), ("推进实施", 60), ("验收销号", 20)]
            ],
        ),
    ],
)
def test_backward_placement(cal, start, deadline, template, expected):
    planned = plan_milestones(D(start), D(deadline), template, cal)
    assert planned == [PlannedMilestone(n, D(d), p) for n, d, p in expected]


def test_every_due_date_is_a_working_day_and_in_order(cal):
    start = D("2025-01-02")
    for days in range(1, 400, 7):
        deadline = start + dt.timedelta(days=days)
        for key in ("standard", "project", "rectification", "indicator"):
            planned = plan_milestones(start, deadline, key, cal)
            dues = [p.due_date for p in planned]
            assert all(cal.is_workday(d) for d in dues)
            assert dues == sorted(dues)
            assert dues[-1] == cal.previous_workday(deadline, inclusive=True)
            assert dues[0] >= start
            assert sum(p.proportion for p in planned) == 100


def test_a_milestone_whose_calendar_date_is_a_holiday_moves_before_it(cal):
    # 2025-09-22 … 2025-10-17 is 26 calendar days; split by calendar days, the half-way
    # milestone would fall on 10-04, inside National Day. Counted in working days (8 before
    # the holiday incl. the make-up Sunday 09-28, 8 after incl. the make-up Saturday 10-11)
    # it lands on the last working day before the holiday.
    tpl = MilestoneTemplate("half", "对半", "proportional", (("上半程", 50), ("下半程", 50)))
    start, deadline = D("2025-09-22"), D("2025-10-17")
    assert not cal.is_workday(start + (deadline - start) / 2)
    planned = plan_milestones(start, deadline, tpl, cal)
    assert [p.due_date for p in planned] == [D("2025-09-30"), D("2025-10-17")]
    # Without the holiday the same split is a plain calendar half.
    plain = plan_milestones(start, deadline, tpl, WorkCalendar(use_package=False))
    assert plain[0].due_date == D("2025-10-03")


@pytest.mark.parametrize(
    ("start", "deadline", "template"),
    [
        ("2025-10-10", "2025-10-01", "standard"),  # start after the deadline
        ("2025-10-02", "2025-10-05", "standard"),  # nothing but holiday in between
        ("2025-07-01", "2025-10-03", "no-such-template"),
    ],
)
def test_impossible_schedules_are_refused(cal, start, deadline, template):
    with pytest.raises(SchedulingError):
        plan_milestones(D(start), D(deadline), template, cal)


@pytest.fixture
def dated_task(plan):
    return Task.objects.create(
        plan=plan,
        code="2.1",
        text="推进老旧小区改造",
        start_date=D("2025-07-01"),
        deadline=D("2025-10-03"),
        status="in_progress",
    )


def test_schedule_task_creates_audited_milestones(dated_task, office_user):
    milestones = schedule_task(dated_task, actor=office_user, calendar=WorkCalendar())
    assert [(m.name, m.due_date, m.proportion) for m in milestones] == [
        ("方案制定", D("2025-07-17"), 20),
        ("推进实施", D("2025-09-12"), 60),
        ("验收销号", D("2025-09-30"), 20),
    ]
    created = AuditEntry.objects.filter(object_type="plans.milestone", action="create")
    assert created.count() == 3
    assert {e.actor_id for e in created} == {office_user.pk}
    event = AuditEntry.objects.get(object_type="plans.task", event="milestones_scheduled")
    assert event.after["template"] == "standard"
    assert event.after["milestones"][2] == ["验收销号", "2025-09-30", 20]


def test_rescheduling_replaces_undone_milestones_and_keeps_done_ones(dated_task, office_user):
    first = schedule_task(dated_task, actor=office_user, calendar=WorkCalendar())
    done = first[0]
    done.done_at = D("2025-07-15")
    done.save()
    dated_task.refresh_from_db()
    dated_task.deadline = D("2025-12-31")
    dated_task.save()

    again = schedule_task(dated_task, actor=office_user, calendar=WorkCalendar())

    assert [m.name for m in again] == ["方案制定", "推进实施", "验收销号"]
    assert again[0].pk == done.pk and again[0].due_date == D("2025-07-17")
    assert again[2].due_date == D("2025-12-31")
    assert Milestone.objects.filter(task=dated_task).count() == 3
    deleted = AuditEntry.objects.filter(object_type="plans.milestone", action="delete")
    assert sorted(e.before["name"] for e in deleted) == ["推进实施", "验收销号"]


def test_schedule_task_sets_a_missing_start_date(plan, office_user):
    task = Task.objects.create(plan=plan, code="3", text="x", deadline=D("2025-12-31"))
    schedule_task(task, start=D("2025-11-03"), actor=office_user, calendar=WorkCalendar())
    task.refresh_from_db()
    assert task.start_date == D("2025-11-03")


def test_a_task_without_deadline_cannot_be_scheduled(task, office_user):
    with pytest.raises(SchedulingError):
        schedule_task(task, actor=office_user)
    assert not Milestone.objects.filter(task=task).exists()


def test_a_failed_schedule_changes_nothing(dated_task, office_user):
    schedule_task(dated_task, actor=office_user, calendar=WorkCalendar())
    before = list(Milestone.objects.filter(task=dated_task).values_list("pk", flat=True))
    with pytest.raises(SchedulingError):
        schedule_task(dated_task, template="nope", actor=office_user)
    assert list(Milestone.objects.filter(task=dated_task).values_list("pk", flat=True)) == before
