"""The status light (红黄绿灯): computed from the facts of a task, never typed in.

:func:`compute_light` is a pure function of :class:`TaskFacts`, the office's
:class:`Thresholds` and today's date. The rules (``docs/supervision-rules.md`` explains
them for the office):

red (红灯) when any of
  * the deadline has passed and the task is not closed (a pending closure request, 申请销号,
    suspends this rule while the office checks it);
  * a milestone's due date has passed and it is not done;
  * the last ``missing_reports_for_red`` due reports in a row were not submitted (a report
    returned to the unit and not resubmitted counts as not submitted);
  * progress lags the plan by ``red_lag_percent`` points or more.
yellow (黄灯) when none of those, but any of
  * progress lags the plan by more than ``yellow_lag_percent`` points;
  * a milestone not yet done is due within ``milestone_warning_days`` working days;
  * the latest due report is missing or returned, or was submitted after its due date.
green (绿灯, 「按计划推进」) otherwise. Proposed and rejected tasks are not lit; a closed task
is not lit either and carries the reason 「已办结」, so the battle map's red/yellow/green
counts are about work still under way.

*Planned progress* is the line through (start, 0 %) and each milestone's (due date,
cumulative proportion), or straight to (deadline, 100 %) when the task has no weighted
milestones, measured in working days completed before today. A report is missing from the
day after its due date.

:func:`recompute_lights` applies the rules to many tasks with a fixed number of queries per
chunk of tasks and writes only lights that changed, with ``QuerySet.update()``. The light
is a derived value, like a cached total: recomputing it is not a business edit, so it
neither writes an audit row nor bumps the task's ``version`` (which would make a clerk's
open form conflict every night). Its history is kept instead as daily counts per plan in
:class:`~duban.supervision.models.LightDaily`.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.plans.choices import Light, TaskStatus
from duban.plans.models import Milestone, Task
from duban.supervision.choices import ReportStatus
from duban.supervision.models import (
    LightDaily,
    ProgressReport,
    ReportingSchedule,
    SupervisionSettings,
)
from duban.supervision.periods import build_periods
from duban.supervision.workdays import ONE_DAY, WorkCalendar, load_calendar

logger = logging.getLogger(__name__)

REASON_MAX = 300  # Task.light_reason's length
SEPARATOR = "；"
# Plain strings (not enum members) so results compare and hash like the stored values.
RED, YELLOW, GREEN, NONE = (
    Light.RED.value,
    Light.YELLOW.value,
    Light.GREEN.value,
    Light.NONE.value,
)
UNLIT_STATUSES = frozenset({TaskStatus.PROPOSED, TaskStatus.REJECTED})
SUBMITTED_STATUSES = frozenset(
    {ReportStatus.SUBMITTED, ReportStatus.UNIT_APPROVED, ReportStatus.ACCEPTED}
)


class ReportState:
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    RETURNED = "returned"


@dataclass(frozen=True)
class MilestoneFact:
    name: str
    due_date: dt.date
    done_at: dt.date | None = None
    proportion: int = 0


@dataclass(frozen=True)
class ReportFact:
    """One reporting period whose due date has passed, and what became of its report."""

    period_end: dt.date
    due_date: dt.date
    state: str  # a ReportState value


@dataclass(frozen=True)
class TaskFacts:
    status: str
    start_date: dt.date | None
    deadline: dt.date | None
    progress: int = 0
    milestones: tuple[MilestoneFact, ...] = ()
    reports: tuple[ReportFact, ...] = ()  # oldest first

    @property
    def closed(self) -> bool:
        return self.status == TaskStatus.CLOSED


@dataclass(frozen=True)
class Thresholds:
    yellow_lag_percent: int = 10
    red_lag_percent: int = 30
    milestone_warning_days: int = 5
    missing_reports_for_red: int = 2

    @classmethod
    def from_settings(cls, settings: SupervisionSettings) -> Thresholds:
        return cls(
            yellow_lag_percent=settings.yellow_lag_percent,
            red_lag_percent=settings.red_lag_percent,
            milestone_warning_days=settings.milestone_warning_days,
            missing_reports_for_red=settings.missing_reports_for_red,
        )


class LightResult(NamedTuple):
    light: str
    reason: str


@functools.cache
def _package_calendar() -> WorkCalendar:
    return WorkCalendar()


def _md(d: dt.date) -> str:
    return _("{month}月{day}日").format(month=d.month, day=d.day)


def planned_progress(facts: TaskFacts, today: dt.date, calendar: WorkCalendar) -> float | None:
    """Percent the plan expects done by the start of ``today``; None without a start date."""
    if facts.start_date is None:
        return None
    weighted = sorted((m for m in facts.milestones if m.proportion), key=lambda m: m.due_date)
    points: list[tuple[dt.date, float]] = []
    total = sum(m.proportion for m in weighted)
    cumulative = 0
    for m in weighted:
        cumulative += m.proportion
        # Weights are meant to add up to 100; scale them when they overshoot.
        points.append((m.due_date, cumulative * 100 / max(total, 100)))
    if facts.deadline and (not points or (points[-1][1] < 100 and facts.deadline > points[-1][0])):
        points.append((facts.deadline, 100.0))
    if not points:
        return None
    before_start = facts.start_date - ONE_DAY
    elapsed = calendar.workdays_between(before_start, today - ONE_DAY)  # days done before today
    if elapsed <= 0:
        return 0.0
    prev_pos, prev_pct = 0, 0.0
    for due, pct in points:
        pos = calendar.workdays_between(before_start, due)
        if elapsed < pos:
            return prev_pct + (pct - prev_pct) * (elapsed - prev_pos) / (pos - prev_pos)
        prev_pos, prev_pct = max(prev_pos, pos), pct
    return prev_pct


def _late_by(due: dt.date, today: dt.date, calendar: WorkCalendar) -> int:
    # At least one: the day after a due date that fell before a weekend is still "late".
    return max(1, calendar.workdays_between(due, today))


def compute_light(
    facts: TaskFacts,
    settings: Thresholds,
    today: dt.date,
    *,
    calendar: WorkCalendar | None = None,
) -> LightResult:
    """The light and its reason in words; red reasons first, joined with 「；」."""
    if facts.status in UNLIT_STATUSES:
        return LightResult(NONE, "")
    if facts.closed:
        return LightResult(NONE, _("已办结"))
    calendar = calendar or _package_calendar()
    red: list[str] = []
    yellow: list[str] = []

    if (
        facts.deadline is not None
        and facts.deadline < today
        and facts.status != TaskStatus.CLOSURE_REQUESTED
    ):
        red.append(
            _("已超过完成时限{days}个工作日").format(days=_late_by(facts.deadline, today, calendar))
        )

    for m in sorted(facts.milestones, key=lambda m: m.due_date):
        if m.done_at is not None:
            continue
        if m.due_date < today:
            red.append(
                _("阶段目标“{name}”已逾期{days}个工作日").format(
                    name=m.name, days=_late_by(m.due_date, today, calendar)
                )
            )
            continue
        left = calendar.workdays_between(today, m.due_date)
        if left <= settings.milestone_warning_days:
            if left == 0:
                yellow.append(_("阶段目标“{name}”今日到期").format(name=m.name))
            else:
                yellow.append(
                    _("阶段目标“{name}”还有{days}个工作日到期").format(name=m.name, days=left)
                )

    due_reports = [r for r in facts.reports if r.due_date < today]
    streak = 0
    for report in reversed(due_reports):
        if report.state not in (ReportState.MISSING, ReportState.RETURNED):
            break
        streak += 1
    if streak and streak >= max(1, settings.missing_reports_for_red):
        red.append(_("连续{count}期未报送").format(count=streak))
    elif streak:
        latest = due_reports[-1]
        if latest.state == ReportState.RETURNED:
            yellow.append(_("{date}应报进展被退回，尚未重新报送").format(date=_md(latest.due_date)))
        else:
            yellow.append(_("{date}应报进展未报送").format(date=_md(latest.due_date)))
    elif due_reports and due_reports[-1].state == ReportState.LATE:
        yellow.append(_("{date}应报进展逾期报送").format(date=_md(due_reports[-1].due_date)))

    expected = planned_progress(facts, today, calendar)
    if expected is not None:
        lag = int(expected - facts.progress + 0.5) if expected > facts.progress else 0
        message = _("进度滞后计划{points}个百分点").format(points=lag)
        if lag >= settings.red_lag_percent:
            red.append(message)
        elif lag > settings.yellow_lag_percent:
            yellow.insert(0, message)

    if red:
        return LightResult(RED, _join(red + yellow))
    if yellow:
        return LightResult(YELLOW, _join(yellow))
    return LightResult(GREEN, _("按计划推进"))


def _join(reasons: Sequence[str]) -> str:
    text = SEPARATOR.join(reasons)
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


# -- loading facts from the database ------------------------------------------------------

_TASK_FIELDS = (
    "pk",
    "status",
    "start_date",
    "deadline",
    "progress",
    "light",
    "light_reason",
    "plan_id",
    "plan__period_start",
    "assignment__lead_unit",
)


@dataclass
class _Row:
    pk: int
    status: str
    start_date: dt.date | None
    deadline: dt.date | None
    progress: int
    light: str
    light_reason: str
    plan_id: int
    plan_start: dt.date | None
    lead_unit_id: int | None


def _report_state(report: tuple[Any, ...] | None, due: dt.date) -> str:
    if report is None:
        return ReportState.MISSING
    status, submitted_at, is_late = report
    if status == ReportStatus.RETURNED:
        return ReportState.RETURNED
    if status not in SUBMITTED_STATUSES:
        return ReportState.MISSING  # a draft, or marked missing by the office
    if is_late or (submitted_at is not None and timezone.localtime(submitted_at).date() > due):
        return ReportState.LATE
    return ReportState.ON_TIME


def _facts_for(rows: list[_Row], today: dt.date, calendar: WorkCalendar) -> dict[int, TaskFacts]:
    """Facts for one chunk of tasks: three queries, whatever the chunk's size."""
    ids = [r.pk for r in rows]
    milestones: dict[int, list[MilestoneFact]] = defaultdict(list)
    for task_id, name, due, done_at, proportion in (
        Milestone.objects.filter(task_id__in=ids)
        .order_by()
        .values_list("task_id", "name", "due_date", "done_at", "proportion")
    ):
        milestones[task_id].append(MilestoneFact(name, due, done_at, proportion))

    schedules = {
        s[0]: s[1:]
        for s in ReportingSchedule.objects.filter(task_id__in=ids)
        .order_by()
        .values_list("task_id", "frequency", "day", "starts_on", "ends_on")
    }

    # Reports, keyed by (task, unit, period end); only those that can matter today.
    reports: dict[int, dict[tuple[int, dt.date], tuple[Any, ...]]] = defaultdict(dict)
    accepted: dict[int, dict[int | None, tuple[dt.date, int]]] = defaultdict(dict)
    for task_id, unit_id, period_end, status, percent, submitted_at, is_late in (
        ProgressReport.objects.filter(task_id__in=ids, period_end__lte=today)
        .order_by()
        .values_list(
            "task_id", "unit_id", "period_end", "status", "percent", "submitted_at", "is_late"
        )
    ):
        reports[task_id][(unit_id, period_end)] = (status, submitted_at, is_late)
        if status == ReportStatus.ACCEPTED:
            for key in (unit_id, None):  # per unit, and for "any unit"
                best = accepted[task_id].get(key)
                if best is None or period_end > best[0]:
                    accepted[task_id][key] = (period_end, percent)

    facts = {}
    for row in rows:
        # The lead unit answers for the task's reports; before assignment, any unit's do.
        lead = row.lead_unit_id
        task_reports = reports.get(row.pk, {})
        report_facts: list[ReportFact] = []
        schedule = schedules.get(row.pk)
        if schedule is not None and row.status not in UNLIT_STATUSES:
            frequency, day, starts_on, ends_on = schedule
            end = ends_on or row.deadline or today
            end = min(end, today + dt.timedelta(days=31))  # due dates trail report days
            for period in build_periods(frequency, day, starts_on, end, calendar):
                if period.due_date >= today:
                    break
                if lead is not None:
                    report = task_reports.get((lead, period.period_end))
                else:
                    report = next(
                        (v for (_u, end_), v in task_reports.items() if end_ == period.period_end),
                        None,
                    )
                report_facts.append(
                    ReportFact(
                        period.period_end, period.due_date, _report_state(report, period.due_date)
                    )
                )
        latest = accepted.get(row.pk, {}).get(lead)  # lead is None: any unit's
        facts[row.pk] = TaskFacts(
            status=row.status,
            start_date=row.start_date or row.plan_start,
            deadline=row.deadline,
            progress=latest[1] if latest else row.progress,
            milestones=tuple(milestones.get(row.pk, ())),
            reports=tuple(report_facts),
        )
    return facts


def _rows(qs: QuerySet) -> Iterable[_Row]:
    for values in qs.values_list(*_TASK_FIELDS):
        yield _Row(*values)


def _write(changes: dict[tuple[str, str], list[int]], now: dt.datetime) -> None:
    # One UPDATE per distinct (light, reason): most tasks share 「按计划推进」.
    for (light, reason), pks in changes.items():
        for i in range(0, len(pks), 500):
            Task.objects.filter(pk__in=pks[i : i + 500]).update(
                light=light, light_reason=reason, light_updated_at=now
            )


def recompute_lights(
    tasks_qs: QuerySet | None = None,
    *,
    today: dt.date | None = None,
    calendar: WorkCalendar | None = None,
    chunk_size: int = 900,
    record_daily: bool = True,
) -> dict[str, Any]:
    """Recompute the light of every task in ``tasks_qs`` (all tasks by default).

    Tasks are read in chunks of ``chunk_size`` by primary key (900 stays under SQLite's
    limit on query parameters), each chunk with four queries plus one UPDATE per distinct
    new (light, reason). Then today's :class:`LightDaily` counts are refreshed for the
    plans touched. Returns ``{"tasks", "changed", "green", "yellow", "red", "none"}`` and
    ``"calendar_warning"`` when a date beyond the holiday data was used.
    """
    today = today or timezone.localdate()
    calendar = calendar or load_calendar()
    thresholds = Thresholds.from_settings(SupervisionSettings.current())
    now = timezone.now()
    qs = (Task.objects.all() if tasks_qs is None else tasks_qs).order_by("pk")
    counts: dict[str, Any] = dict.fromkeys(("tasks", "changed", GREEN, YELLOW, RED, NONE), 0)
    plan_ids: set[int] = set()
    last_pk = 0
    while True:
        rows = list(_rows(qs.filter(pk__gt=last_pk)[:chunk_size]))
        if not rows:
            break
        last_pk = rows[-1].pk
        facts = _facts_for(rows, today, calendar)
        changes: dict[tuple[str, str], list[int]] = defaultdict(list)
        for row in rows:
            result = compute_light(facts[row.pk], thresholds, today, calendar=calendar)
            counts["tasks"] += 1
            counts[result.light] += 1
            plan_ids.add(row.plan_id)
            if (result.light, result.reason) != (row.light, row.light_reason):
                changes[tuple(result)].append(row.pk)
                counts["changed"] += 1
        with transaction.atomic():
            _write(changes, now)
    if record_daily and plan_ids:
        _record_daily(sorted(plan_ids), today)
    warning = calendar.coverage().warning
    if warning:
        counts["calendar_warning"] = warning
    return counts


def _record_daily(plan_ids: list[int], today: dt.date) -> None:
    """Refresh today's per-plan counts (one read and one upsert per 900 plans)."""
    for i in range(0, len(plan_ids), 900):
        chunk = plan_ids[i : i + 900]
        tallies = {pk: LightDaily(date=today, plan_id=pk) for pk in chunk}
        for plan_id, light, status, n in (
            Task.objects.filter(plan_id__in=chunk)
            .order_by()
            .values_list("plan_id", "light", "status")
            .annotate(n=Count("pk"))
        ):
            row = tallies[plan_id]
            if status == TaskStatus.CLOSED:
                row.closed += n
            elif light in (GREEN, YELLOW, RED):
                setattr(row, light, getattr(row, light) + n)
        LightDaily.objects.bulk_create(
            tallies.values(),
            update_conflicts=True,
            unique_fields=["date", "plan"],
            update_fields=["green", "yellow", "red", "closed"],
        )


def recompute_task_light(
    task: Task,
    *,
    today: dt.date | None = None,
    calendar: WorkCalendar | None = None,
) -> LightResult:
    """Recompute one task's light now; services call this after anything that changes it.

    The task instance is updated in place too (and its audit snapshot, so the light change
    is not attributed to the next business save of this instance).
    """
    today = today or timezone.localdate()
    calendar = calendar or load_calendar()
    thresholds = Thresholds.from_settings(SupervisionSettings.current())
    rows = list(_rows(Task.objects.filter(pk=task.pk)))
    if not rows:
        return LightResult(task.light, task.light_reason)
    row = rows[0]
    result = compute_light(
        _facts_for(rows, today, calendar)[row.pk], thresholds, today, calendar=calendar
    )
    if (result.light, result.reason) != (row.light, row.light_reason):
        now = timezone.now()
        Task.objects.filter(pk=task.pk).update(
            light=result.light, light_reason=result.reason, light_updated_at=now
        )
        task.light, task.light_reason, task.light_updated_at = result.light, result.reason, now
        loaded = getattr(task, "_audit_loaded", None)
        if loaded is not None:
            loaded.update(
                light=result.light, light_reason=result.reason, light_updated_at=now.isoformat()
            )
    return result
