"""What a unit owes: for each unit a user acts for, the reports due now and soon, the
returned ones, the notices to answer and (for its leader) the reports to approve.

The unit desk draws it (``desk.py``); it is a service so that whatever else needs to know a
unit's debts asks one place. A period counts as owed until a report for it has been sent
(submitted, approved or accepted); a period the chasing ladder recorded as missing stays
owed even after the schedule changed. Everything is read in a fixed number of queries
whatever the number of tasks.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone

from duban.org.choices import Role
from duban.org.models import Unit
from duban.plans import access
from duban.plans.choices import WORKING_STATUSES
from duban.plans.models import Task
from duban.supervision.choices import NoticeLevel, NoticeStatus, ReportStatus
from duban.supervision.models import (
    Evidence,
    Notice,
    ProgressReport,
    ReportingSchedule,
    SupervisionSettings,
)
from duban.supervision.periods import Period, periods_due_by
from duban.supervision.workdays import load_calendar

UNIT_ROLES = frozenset({Role.UNIT_LEADER, Role.CLERK})
ACTIVE = WORKING_STATUSES
SENT = (ReportStatus.SUBMITTED, ReportStatus.UNIT_APPROVED, ReportStatus.ACCEPTED)
# "Soon" on the unit desk: at least a week ahead, more when the office reminds earlier.
MIN_HORIZON_DAYS = 7


def schedule_of(task: Task) -> ReportingSchedule | None:
    """The task's reporting schedule, or None (no exception)."""
    try:
        return task.reporting_schedule
    except ReportingSchedule.DoesNotExist:
        return None


def evidence() -> Prefetch:
    """A report's evidence files in the order they were added."""
    return Prefetch("evidence", queryset=Evidence.objects.order_by("id"))


def unit_sections(user: Any, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    """One section per unit the user acts for, each with what that unit owes."""
    g = access.grants(user)
    unit_roles = {u: r & UNIT_ROLES for u, r in g.unit_roles.items() if r & UNIT_ROLES}
    if not unit_roles:
        return []
    ids = sorted(unit_roles)
    units = Unit.objects.in_bulk(ids)
    today = today or timezone.localdate()
    limits = SupervisionSettings.current()
    horizon = today + dt.timedelta(days=max(MIN_HORIZON_DAYS, limits.reminder_before_days))
    calendar = load_calendar()

    tasks = list(
        Task.objects.filter(Q(assignment__lead_unit_id__in=ids) | Q(assignment__co_units__in=ids))
        .distinct()
        .select_related("assignment", "assignment__lead_unit", "reporting_schedule")
        .prefetch_related("assignment__co_units")
        .order_by("plan_id", "sort_order", "id")
    )
    task_by_pk = {t.pk: t for t in tasks}
    # Only the columns needed to tell which periods are sent: reports accumulate for years.
    sent_status: dict[tuple[int, int, dt.date], str] = {}
    missing_rows: list[tuple[int, int, Period]] = []
    for task_id, unit_id, start, end, due, status in ProgressReport.objects.filter(
        unit_id__in=ids, task_id__in=list(task_by_pk)
    ).values_list("task_id", "unit_id", "period_start", "period_end", "due_date", "status"):
        sent_status[(task_id, unit_id, end)] = status
        if status == ReportStatus.MISSING:
            missing_rows.append((task_id, unit_id, Period(start, end, due)))
    listed: set[tuple[int, int, dt.date]] = set()
    returned = list(
        ProgressReport.objects.filter(unit_id__in=ids, status=ReportStatus.RETURNED)
        .select_related("task")
        .order_by("due_date")
    )
    notices = list(
        Notice.objects.filter(unit_id__in=ids, status=NoticeStatus.OPEN)
        .exclude(level=NoticeLevel.COORDINATION)
        .select_related("task", "instruction")
        .order_by("reply_deadline", "id")
    )
    leader_units = [u for u, r in unit_roles.items() if Role.UNIT_LEADER in r]
    approvals = list(
        ProgressReport.objects.filter(unit_id__in=leader_units, status=ReportStatus.SUBMITTED)
        .select_related("task", "submitted_by")
        .prefetch_related(evidence())
        .order_by("due_date", "id")
        if leader_units
        else []
    )

    sections: dict[int, dict[str, Any]] = {
        uid: {
            "unit": units.get(uid),
            "roles": sorted(unit_roles[uid]),
            "is_leader": Role.UNIT_LEADER in unit_roles[uid],
            "tasks": [],
            "due_now": [],
            "due_soon": [],
            "returned": [],
            "notices": [],
            "approvals": [],
        }
        for uid in ids
    }
    for task in tasks:
        assignment = task.assignment
        co_ids = {u.pk for u in assignment.co_units.all()}
        schedule = schedule_of(task)
        for uid in ids:
            if uid == assignment.lead_unit_id:
                role = "lead"
            elif uid in co_ids:
                role = "co"
            else:
                continue
            sections[uid]["tasks"].append({"task": task, "role": role, "schedule": schedule})
            if schedule is None or task.status not in ACTIVE:
                continue
            if role == "co" and not schedule.co_units_report:
                continue
            try:
                periods = periods_due_by(schedule, horizon, calendar=calendar, end=task.deadline)
            except ValueError:
                continue
            for period in periods:
                status = sent_status.get((task.pk, uid, period.period_end), "")
                if status in SENT:
                    continue
                item = {"task": task, "period": period, "status": status, "role": role}
                key = "due_now" if period.due_date <= today else "due_soon"
                sections[uid][key].append(item)
                listed.add((task.pk, uid, period.period_end))
    # A period the chasing ladder recorded as missing stays owed even when the schedule
    # has changed since and no longer produces it.
    for task_id, uid, period in missing_rows:
        if (task_id, uid, period.period_end) not in listed:
            task = task_by_pk[task_id]
            role = "lead" if task.assignment.lead_unit_id == uid else "co"
            sections[uid]["due_now"].append(
                {"task": task, "period": period, "status": ReportStatus.MISSING, "role": role}
            )
    for report in returned:
        sections[report.unit_id]["returned"].append(report)
    for notice in notices:
        notice.overdue = notice.reply_deadline is not None and notice.reply_deadline < today
        sections[notice.unit_id]["notices"].append(notice)
    for report in approvals:
        sections[report.unit_id]["approvals"].append(report)
    for section in sections.values():
        section["due_now"].sort(key=lambda i: (i["period"].due_date, i["task"].sort_order))
        section["due_soon"].sort(key=lambda i: (i["period"].due_date, i["task"].sort_order))
        section["lights"] = count_lights(t["task"] for t in section["tasks"])
    return [sections[uid] for uid in ids]


def count_lights(tasks: Any) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for task in tasks:
        counts[task.light] += 1
    return dict(counts)
