"""Backward scheduling (倒排工期): milestones placed back from the deadline on working days.

The office gives each task a *template* of stages — 「方案制定 → 推进实施 → 验收销号」 with
20/60/20 — and duban turns it into dated milestones (the roadmap, 路线图):

* the last milestone falls on the deadline, or on the last working day before it when the
  deadline is a rest day (a deadline of 2025-10-03, inside the National Day holiday, means
  the work is handed in on Tuesday 2025-09-30);
* counting back from there, each earlier milestone is due when its cumulative proportion of
  the task's working days (start to deadline) has elapsed, so a 20 % stage of a 100-working
  day task ends 80 working days before the last one. Counting working days rather than
  calendar days keeps a stage from "using up" the Spring Festival; every due date is
  therefore a working day.

Templates are data (``data/milestone_templates.json``); a *quarterly* template (indicator
tasks) puts a monitoring milestone on the last working day of each quarter instead.
:func:`plan_milestones` is pure; :func:`schedule_task` is the audited service.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import audit
from duban.plans.models import Milestone, Task
from duban.supervision.workdays import ONE_DAY, WorkCalendar, load_calendar

_QUARTER_NUMERALS = {1: "一", 2: "二", 3: "三", 4: "四"}


class SchedulingError(ValueError):
    """The task cannot be scheduled as asked (no deadline, start after deadline, bad template)."""


class PlannedMilestone(NamedTuple):
    name: str
    due_date: dt.date
    proportion: int


@dataclass(frozen=True)
class MilestoneTemplate:
    key: str
    label: str
    placement: str  # "proportional" or "quarterly"
    stages: tuple[tuple[str, int], ...] = ()
    quarter_name: str = ""
    final_name: str = ""


@functools.cache
def milestone_templates() -> dict[str, MilestoneTemplate]:
    """The templates shipped in ``data/milestone_templates.json``, checked on load."""
    raw = json.loads(
        resources.files("duban.supervision")
        .joinpath("data/milestone_templates.json")
        .read_text(encoding="utf-8")
    )
    result = {}
    for key, spec in raw["templates"].items():
        stages = tuple((m["name"], int(m["proportion"])) for m in spec.get("milestones", []))
        if spec["placement"] == "proportional" and sum(p for _n, p in stages) != 100:
            raise SchedulingError(f"milestone template {key!r}: proportions must add up to 100")
        result[key] = MilestoneTemplate(
            key=key,
            label=spec["label"],
            placement=spec["placement"],
            stages=stages,
            quarter_name=spec.get("quarter_name", ""),
            final_name=spec.get("final_name", ""),
        )
    return result


def _template(template: str | MilestoneTemplate) -> MilestoneTemplate:
    if isinstance(template, MilestoneTemplate):
        return template
    try:
        return milestone_templates()[template]
    except KeyError:
        raise SchedulingError(_("没有名为“{name}”的阶段目标模板。").format(name=template)) from None


def plan_milestones(
    start: dt.date,
    deadline: dt.date,
    template: str | MilestoneTemplate,
    calendar: WorkCalendar,
) -> list[PlannedMilestone]:
    """Dated milestones for a task running from ``start`` to ``deadline`` (pure)."""
    tpl = _template(template)
    first = calendar.next_workday(start, inclusive=True)
    last = calendar.previous_workday(deadline, inclusive=True)
    if last < first:
        raise SchedulingError(
            _("开始日期 {start} 与完成时限 {deadline} 之间没有工作日，无法倒排工期。").format(
                start=start, deadline=deadline
            )
        )
    total = calendar.workdays_between(first - ONE_DAY, last)  # working days in [first, last]
    if tpl.placement == "quarterly":
        return _quarterly(tpl, first, last, total, calendar)

    planned = []
    cumulative = 0
    for name, proportion in tpl.stages:
        cumulative += proportion
        # Working days left after this stage, rounded half up; never before the first day.
        back = min((total * (100 - cumulative) + 50) // 100, total - 1)
        planned.append(PlannedMilestone(name, calendar.add_workdays(last, -back), proportion))
    return planned


def _quarterly(
    tpl: MilestoneTemplate, first: dt.date, last: dt.date, total: int, calendar: WorkCalendar
) -> list[PlannedMilestone]:
    points: list[tuple[str, dt.date]] = []
    for year in range(first.year, last.year + 1):
        for quarter, (month, day) in enumerate([(3, 31), (6, 30), (9, 30), (12, 31)], start=1):
            due = calendar.previous_workday(dt.date(year, month, day), inclusive=True)
            if first <= due < last:
                name = tpl.quarter_name.format(year=year, quarter=_QUARTER_NUMERALS[quarter])
                points.append((name, due))
    points.append((tpl.final_name, last))
    # Each milestone weighs its share of the working days; rounding the running total keeps
    # the weights adding up to exactly 100.
    planned, previous_cum, elapsed, before = [], 0, 0, first - ONE_DAY
    for name, due in points:
        elapsed += calendar.workdays_between(before, due)
        cum = (elapsed * 100 + total // 2) // total
        planned.append(PlannedMilestone(name, due, cum - previous_cum))
        previous_cum, before = cum, due
    return planned


@transaction.atomic
def schedule_task(
    task: Task,
    *,
    template: str | MilestoneTemplate = "standard",
    start: dt.date | None = None,
    actor: Any,
    calendar: WorkCalendar | None = None,
) -> list[Milestone]:
    """倒排工期: replace the task's open milestones by the template's, dated backwards.

    Milestones already done are kept as they are (a stage of the same name is not planned
    again); every other milestone is deleted and the new ones are created, each change in
    the audit log, plus one ``milestones_scheduled`` event. ``start`` defaults to the task's
    start date, else today; a task without a start date gets it. Returns all milestones.
    """
    if task.deadline is None:
        raise SchedulingError(_("任务“{task}”没有完成时限，无法倒排工期。").format(task=task))
    start = start or task.start_date or timezone.localdate()
    calendar = calendar or load_calendar()
    tpl = _template(template)
    planned = plan_milestones(start, task.deadline, tpl, calendar)

    with audit.acting_as(actor):
        existing = list(Milestone.objects.filter(task=task))
        kept = [m for m in existing if m.done_at is not None]
        for milestone in existing:
            if milestone.done_at is None:
                milestone.delete()
        done_names = {m.name for m in kept}
        created = [
            Milestone.objects.create(
                task=task, name=p.name, due_date=p.due_date, proportion=p.proportion, sort_order=i
            )
            for i, p in enumerate(planned, start=1)
            if p.name not in done_names
        ]
        if task.start_date is None:
            task.start_date = start
            task.save()
        audit.record_event(
            task,
            "milestones_scheduled",
            data={
                "template": tpl.key,
                "start": start,
                "deadline": task.deadline,
                "milestones": [list(p) for p in planned],
                "kept_done": [m.name for m in kept],
            },
        )
        from duban.supervision.lights import recompute_task_light

        recompute_task_light(task, calendar=calendar)
    return sorted(kept + created, key=lambda m: (m.due_date, m.sort_order))
