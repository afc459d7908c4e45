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
  * progress lags the plan by ``red_lag_percent`` points or more;
  * the task's indicator (对标对表) is behind its plan by ``indicator_red_gap_percent``
    percent of the plan or more, beyond the indicator's own tolerance.
yellow (黄灯) when none of those, but any of
  * progress lags the plan by more than ``yellow_lag_percent`` points;
  * a milestone not yet done is due within ``milestone_warning_days`` working days;
  * the latest due report is missing or returned, or was submitted after its due date;
  * the task's indicator is behind its plan by more than ``indicator_yellow_gap_percent``
    percent of the plan, beyond the indicator's own tolerance.
green (绿灯, 「按计划推进」) otherwise. Proposed and rejected tasks are not lit; a closed task
is not lit either and carries the reason 「已办结」, so the battle map's red/yellow/green
counts are about work still under way.

*Planned progress* is the line through (start, 0 %) and each milestone's (due date,
cumulative proportion), or straight to (deadline, 100 %) when the task has no weighted
milestones, measured in working days completed before today. A report is missing from the
day after its due date.

:func:`recompute_lights` applies the rules to many tasks with a fixed number of queries per
chunk of tasks and writes only the lights that changed, with plain UPDATEs that bypass
``AuditedModel.save``. The light is a derived value, like a cached total: recomputing it
is not a business edit, so it neither writes an audit row nor bumps the task's ``version``
(which would make a clerk's open form conflict every night), and the facts it comes from
(reports, milestones, deadlines) are audited where they change. Its history is kept as
daily counts per plan in :class:`~duban.supervision.models.LightDaily`.

One caveat: ``Task.save()`` writes every column, so an instance loaded *before* a
recompute and saved after it puts the old light back until the next recompute. Services
should therefore call :func:`recompute_task_light` after their own save, as they do.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _catalog_lookup

from duban.core.language import in_site_language
from duban.plans.choices import UNCOUNTED_STATUSES, Light, TaskStatus
from duban.plans.models import Milestone, Task
from duban.supervision import daily
from duban.supervision.choices import ReportStatus
from duban.supervision.models import (
    ProgressReport,
    ReportingSchedule,
    SupervisionSettings,
)
from duban.supervision.periods import DUE_LAG, build_periods
from duban.supervision.workdays import ONE_DAY, WorkCalendar, load_calendar

_TRANSLATED: dict[tuple[str | None, str], str] = {}
# The language of a whole recompute, read once instead of at every phrase (see _).
_RUN_LANGUAGE: ContextVar[str | None] = ContextVar("duban_lights_language", default=None)


def _(message: str) -> str:
    """``gettext``, remembered per language.

    Why: the nightly run words a dozen phrases tens of thousands of times; looking each up
    in the catalog was a fifth of a province's run (docs/benchmarks.md). The msgids are the
    literal ``_("…")`` calls of this module, which makemessages and test_i18n read; this
    only remembers their lookups.
    """
    key = (_RUN_LANGUAGE.get() or get_language(), message)
    found = _TRANSLATED.get(key)
    if found is None:
        found = _TRANSLATED[key] = _catalog_lookup(message)
    return found


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
UNLIT_STATUSES = frozenset(UNCOUNTED_STATUSES)
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
class IndicatorFact:
    """The task's indicator in its latest month with an actual value (duban.indicators):
    how far behind the plan, in percent of the plan (negative: ahead)."""

    name: str
    month: int
    gap_percent: float
    tolerance: float = 0.0


@dataclass(frozen=True)
class TaskFacts:
    status: str
    start_date: dt.date | None
    deadline: dt.date | None
    progress: int = 0
    milestones: tuple[MilestoneFact, ...] = ()
    reports: tuple[ReportFact, ...] = ()  # oldest first
    indicator: IndicatorFact | None = None

    @property
    def closed(self) -> bool:
        return self.status == TaskStatus.CLOSED


@dataclass(frozen=True)
class Thresholds:
    yellow_lag_percent: int = 10
    red_lag_percent: int = 30
    milestone_warning_days: int = 5
    missing_reports_for_red: int = 2
    indicator_yellow_gap_percent: int = 5
    indicator_red_gap_percent: int = 15

    @classmethod
    def from_settings(cls, settings: SupervisionSettings) -> Thresholds:
        return cls(
            yellow_lag_percent=settings.yellow_lag_percent,
            red_lag_percent=settings.red_lag_percent,
            milestone_warning_days=settings.milestone_warning_days,
            missing_reports_for_red=settings.missing_reports_for_red,
            indicator_yellow_gap_percent=settings.indicator_yellow_gap_percent,
            indicator_red_gap_percent=settings.indicator_red_gap_percent,
        )


class LightResult(NamedTuple):
    light: str
    reason: str


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
    calendar = calendar or WorkCalendar()  # the packaged holidays, no office exceptions
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
        if lag > 0 and lag >= settings.red_lag_percent:
            red.append(message)
        elif lag > settings.yellow_lag_percent:
            yellow.insert(0, message)

    indicator = facts.indicator
    if indicator is not None:
        # The gap past the indicator's own tolerance (a 「左右」 target has some).
        beyond = indicator.gap_percent - indicator.tolerance
        message = _("指标“{name}”{month}月完成进度落后计划{gap}%").format(
            name=indicator.name, month=indicator.month, gap=_percent(indicator.gap_percent)
        )
        if beyond > 0 and beyond >= settings.indicator_red_gap_percent:
            red.append(message)
        elif beyond > settings.indicator_yellow_gap_percent:
            yellow.append(message)

    if red:
        return LightResult(RED, _join(red + yellow))
    if yellow:
        return LightResult(YELLOW, _join(yellow))
    return LightResult(GREEN, _("按计划推进"))


def _percent(value: float) -> str:
    """12.0 → 「12」, 12.5 → 「12.5」: the gap as the office writes it."""
    return f"{value:.1f}".removesuffix(".0")


def _join(reasons: Sequence[str]) -> str:
    text = SEPARATOR.join(reasons)
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


#: The longest a light is trusted without looking again, whatever its facts say.
HORIZON = dt.timedelta(days=31)


def _lag(facts: TaskFacts, day: dt.date, calendar: WorkCalendar) -> int:
    expected = planned_progress(facts, day, calendar)
    if expected is None or expected <= facts.progress:
        return 0
    return int(expected - facts.progress + 0.5)


def stable_until(
    facts: TaskFacts,
    result: LightResult,
    settings: Thresholds,
    today: dt.date,
    *,
    calendar: WorkCalendar,
    next_due: dt.date | None = None,
) -> dt.date:
    """The first day on which :func:`compute_light` may answer differently for the same
    facts: only the date moves. The nightly recompute looks at a task again on that day
    (or as soon as one of its facts changes), not every night.

    A red or yellow light says how many days are left or overdue, so it is looked at daily.
    A green one stays green until the earliest of: the day after the deadline; the first
    day a milestone's warning may start (taken early, for holidays); the day after the
    next report falls due (``next_due``); the first day the plan line runs more than the
    yellow threshold ahead of the progress (found by bisection, the line only rises).
    Unlit and closed tasks change only with their facts. Never later than
    :data:`HORIZON`, never before tomorrow.
    """
    tomorrow = today + ONE_DAY
    horizon = today + HORIZON
    if facts.status in UNLIT_STATUSES or facts.closed:
        return horizon
    if result.light != GREEN:
        return tomorrow
    candidates = [horizon]
    if facts.deadline is not None and facts.status != TaskStatus.CLOSURE_REQUESTED:
        candidates.append(facts.deadline + ONE_DAY)
    warning = dt.timedelta(days=2 * settings.milestone_warning_days + 14)
    candidates += [m.due_date - warning for m in facts.milestones if m.done_at is None]
    if next_due is not None:
        candidates.append(next_due + ONE_DAY)
    if _lag(facts, horizon, calendar) > settings.yellow_lag_percent:
        low, high = today, horizon  # the lag is within bounds on `low`, beyond on `high`
        while (high - low).days > 1:
            middle = low + (high - low) / 2
            if _lag(facts, middle, calendar) > settings.yellow_lag_percent:
                high = middle
            else:
                low = middle
        candidates.append(high)
    return max(tomorrow, min(candidates))


# -- loading facts from the database ------------------------------------------------------

_TASK_FIELDS = (
    "pk",
    "status",
    "start_date",
    "deadline",
    "progress",
    "light",
    "light_reason",
    "light_valid_until",
    "plan_id",
    "plan__period_start",
    "assignment__lead_unit",
    "lead_percent",
    "any_percent",
    # The task's indicator (duban.indicators), joined in the same query: its derived gap
    # is stored on the indicator, so the nightly run reads no more queries for it.
    "indicator__name",
    "indicator__gap_month",
    "indicator__gap_percent",
    "indicator__tolerance",
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
    light_valid_until: dt.date | None
    plan_id: int
    plan_start: dt.date | None
    lead_unit_id: int | None
    lead_percent: int | None
    any_percent: int | None
    indicator_name: str | None
    indicator_month: int | None
    indicator_gap: Any
    indicator_tolerance: Any


def _rows(qs: QuerySet, today: dt.date) -> list[_Row]:
    """Task rows with their latest accepted percent, read in the same query.

    The subqueries walk the (task, unit, period_end) unique index backwards, one step per
    task, instead of loading every report ever accepted.
    """
    accepted = ProgressReport.objects.filter(
        task=OuterRef("pk"), status=ReportStatus.ACCEPTED, period_end__lte=today
    ).order_by("-period_end", "-pk")
    lead = accepted.filter(unit=OuterRef("assignment__lead_unit"))
    annotated = qs.annotate(
        lead_percent=Subquery(lead.values("percent")[:1]),
        any_percent=Subquery(accepted.values("percent")[:1]),
    )
    return [_Row(*values) for values in annotated.values_list(*_TASK_FIELDS)]


def _raw_rows(rows: QuerySet) -> Any:
    """The rows of a ``values_list(task_id, unit_id, period_end, status, submitted_at,
    is_late)`` query, read with the cursor instead of through the ORM's converters.

    Why: a province's nightly run reads about 200,000 report rows, and the ORM's
    per-value converters were a third of the run. PostgreSQL's driver already gives dates,
    times and booleans. On SQLite, Django's converters parse every date and time with a
    regular expression; the query reads the stored text instead (``|| ''`` drops the
    column's declared type), and :meth:`_FactLoader._reports` turns each distinct date
    into a ``date`` once; a time stays text, which sorts like the instant it names
    (:meth:`_FactLoader._state`).
    """
    sql, params = rows.query.sql_with_params()
    if connection.vendor == "sqlite":
        meta = ProgressReport._meta
        table = connection.ops.quote_name(meta.db_table)
        for name in ("period_end", "submitted_at"):
            column = f"{table}.{connection.ops.quote_name(meta.get_field(name).column)}"
            head, sep, rest = sql.partition(" FROM ")
            if column not in head:
                raise RuntimeError(f"unexpected report query: {sql[:200]}")
            sql = head.replace(column, f"({column} || '')", 1) + sep + rest
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()  # one call: the wrapper's row iterator costs more


class _FactLoader:
    """Builds :class:`TaskFacts` for chunks of task rows with a fixed number of queries.

    Per chunk: milestones, schedules, the reports of the last few due periods, and — only
    for tasks silent for all of those periods — their earlier reports, to count the streak.
    Periods are cached by schedule: most tasks share a handful of reporting rhythms.
    """

    def __init__(self, today: dt.date, calendar: WorkCalendar, thresholds: Thresholds) -> None:
        self.today = today
        self.calendar = calendar
        # Enough periods to decide red on missing reports, plus the last one submitted.
        self.lookback = max(thresholds.missing_reports_for_red, 1) + 1
        self.tz = timezone.get_current_timezone()
        self._late_cache: dict[dt.date, tuple[dt.datetime, str]] = {}
        self._dates: dict[str, dt.date] = {}
        self._period_cache: dict[tuple[Any, ...], Any] = {}
        #: Task id → due date of its next report (filled by :meth:`facts`).
        self.next_due: dict[int, dt.date | None] = {}

    def due_periods(self, frequency: str, day: int, starts_on: dt.date, end: dt.date):
        """(period_end, due_date) of the periods due before today, oldest first, and the
        due date of the next one if it falls within a month (cached by schedule)."""
        end = min(end, self.today + DUE_LAG)  # due dates trail report days
        key = (frequency, day, starts_on, end)
        found = self._period_cache.get(key)
        if found is None:
            periods = build_periods(frequency, day, starts_on, end, self.calendar)
            past = tuple((p.period_end, p.due_date) for p in periods if p.due_date < self.today)
            upcoming = min((p.due_date for p in periods if p.due_date >= self.today), default=None)
            found = (past, upcoming)
            self._period_cache[key] = found
        return found

    def _reports(
        self, ids: list[int], since: dt.date | None, until: dt.date | None = None
    ) -> dict[int, dict[tuple[int, dt.date], tuple[Any, ...]]]:
        qs = ProgressReport.objects.filter(task_id__in=ids, period_end__lte=self.today)
        if since is not None:
            qs = qs.filter(period_end__gte=since)
        if until is not None:
            qs = qs.filter(period_end__lt=until)
        found: dict[int, dict[tuple[int, dt.date], tuple[Any, ...]]] = defaultdict(dict)
        rows = qs.order_by().values_list(
            "task_id", "unit_id", "period_end", "status", "submitted_at", "is_late"
        )
        dates = self._dates
        for task_id, unit_id, period_end, status, submitted_at, is_late in _raw_rows(rows):
            if isinstance(period_end, str):  # SQLite's stored text (see _raw_rows)
                day = dates.get(period_end)
                if day is None:
                    day = dates[period_end] = dt.date.fromisoformat(period_end)
                period_end = day
            found[task_id][(unit_id, period_end)] = (status, submitted_at, is_late)
        return found

    def _state(self, report: tuple[Any, ...] | None, due: dt.date) -> str:
        if report is None:
            return ReportState.MISSING
        status, submitted_at, is_late = report
        if status == ReportStatus.RETURNED:
            return ReportState.RETURNED
        if status not in SUBMITTED_STATUSES:
            return ReportState.MISSING  # a draft, or marked missing by the office
        if is_late:
            return ReportState.LATE
        if submitted_at is not None:
            aware, text = self._late_from(due)
            if isinstance(submitted_at, str) and submitted_at[10:11] != " ":
                # Not the text Django writes (another tool's "T" or offset): read it whole.
                submitted_at = dt.datetime.fromisoformat(submitted_at)
                if submitted_at.tzinfo is None:
                    submitted_at = submitted_at.replace(tzinfo=dt.UTC)
            if submitted_at >= (text if isinstance(submitted_at, str) else aware):
                return ReportState.LATE
        return ReportState.ON_TIME

    def _late_from(self, due: dt.date) -> tuple[dt.datetime, str]:
        """The first instant after the due day ends in local time: as an aware time, and as
        SQLite's stored text of a UTC time ("2026-03-25 16:00:00"), which compares with
        stored times as text does. A report sent at or after it was sent late."""
        found = self._late_cache.get(due)
        if found is None:
            local = dt.datetime.combine(due + ONE_DAY, dt.time.min).replace(tzinfo=self.tz)
            aware = local.astimezone(dt.UTC)
            found = (aware, aware.replace(tzinfo=None).isoformat(sep=" "))
            self._late_cache[due] = found
        return found

    @staticmethod
    def _find(
        reports: dict[tuple[int, dt.date], tuple[Any, ...]], lead: int | None, period_end: dt.date
    ) -> tuple[Any, ...] | None:
        # The lead unit answers for the task's reports; before assignment, any unit's do.
        if lead is not None:
            return reports.get((lead, period_end))
        return next((v for (_u, end), v in reports.items() if end == period_end), None)

    def facts(self, rows: list[_Row]) -> dict[int, TaskFacts]:
        ids = [r.pk for r in rows]
        milestones: dict[int, list[MilestoneFact]] = defaultdict(list)
        for task_id, name, due, done_at, proportion in (
            Milestone.objects.filter(task_id__in=ids)
            .order_by()
            .values_list("task_id", "name", "due_date", "done_at", "proportion")
        ):
            milestones[task_id].append(MilestoneFact(name, due, done_at, proportion))

        periods: dict[int, tuple[tuple[dt.date, dt.date], ...]] = {}
        by_pk = {r.pk: r for r in rows}
        for task_id, frequency, day, starts_on, ends_on in (
            ReportingSchedule.objects.filter(task_id__in=ids)
            .order_by()
            .values_list("task_id", "frequency", "day", "starts_on", "ends_on")
        ):
            row = by_pk[task_id]
            if row.status not in UNLIT_STATUSES:
                end = ends_on or row.deadline or self.today
                try:
                    periods[task_id], self.next_due[task_id] = self.due_periods(
                        frequency, day, starts_on, end
                    )
                except ValueError:
                    # A schedule the form should have refused (weekday 9): that task goes
                    # without report rules rather than stopping the whole run.
                    logger.warning("task %s has an invalid reporting schedule", task_id)

        # Reports of the last `lookback` due periods of every task in one query …
        recent = [p[-self.lookback :] for p in periods.values() if p]
        since = min((p[0][0] for p in recent), default=None)
        reports = self._reports(ids, since) if recent else {}
        # … and, for tasks silent through all of them, everything before, to count the run.
        silent = [
            pk
            for pk, p in periods.items()
            if len(p) > self.lookback
            and all(
                self._state(self._find(reports.get(pk, {}), by_pk[pk].lead_unit_id, end), due)
                in (ReportState.MISSING, ReportState.RETURNED)
                for end, due in p[-self.lookback :]
            )
        ]
        # For those, only the last period submitted before the window matters: every due
        # period after it is part of the run. One aggregate instead of their full history.
        last_submitted: dict[int, dict[int | None, dt.date]] = defaultdict(dict)
        if silent and since is not None:
            for task_id, unit_id, last in (
                ProgressReport.objects.filter(
                    task_id__in=silent, period_end__lt=since, status__in=SUBMITTED_STATUSES
                )
                .order_by()
                .values("task_id", "unit_id")
                .annotate(last=Max("period_end"))
                .values_list("task_id", "unit_id", "last")
            ):
                units = last_submitted[task_id]
                units[unit_id] = last
                units[None] = max(last, units.get(None, last))

        facts = {}
        for row in rows:
            facts[row.pk] = TaskFacts(
                status=row.status,
                start_date=row.start_date or row.plan_start,
                deadline=row.deadline,
                progress=self._progress(row),
                milestones=tuple(milestones.get(row.pk, ())),
                reports=self._report_facts(
                    periods.get(row.pk, ()),
                    reports.get(row.pk, {}),
                    row,
                    since,
                    last_submitted.get(row.pk, {}).get(row.lead_unit_id),
                ),
                indicator=_indicator_fact(row),
            )
        return facts

    @staticmethod
    def _progress(row: _Row) -> int:
        latest = row.lead_percent if row.lead_unit_id is not None else row.any_percent
        return row.progress if latest is None else latest

    def _report_facts(
        self,
        periods: tuple[tuple[dt.date, dt.date], ...],
        reports: dict[tuple[int, dt.date], tuple[Any, ...]],
        row: _Row,
        since: dt.date | None,
        last_submitted_before: dt.date | None,
    ) -> tuple[ReportFact, ...]:
        # Only the trailing run of unsubmitted periods and the last submitted one matter to
        # the rules, so older periods are left out.
        trailing: list[ReportFact] = []
        for end, due in reversed(periods):
            if since is not None and end < since:
                # Before the window only "submitted or not" is known (see facts()).
                if last_submitted_before is not None and end <= last_submitted_before:
                    break
                trailing.append(ReportFact(end, due, ReportState.MISSING))
                continue
            state = self._state(self._find(reports, row.lead_unit_id, end), due)
            trailing.append(ReportFact(end, due, state))
            if state not in (ReportState.MISSING, ReportState.RETURNED):
                break
        return tuple(reversed(trailing))


def _indicator_fact(row: _Row) -> IndicatorFact | None:
    if row.indicator_gap is None or row.indicator_month is None:
        return None  # no indicator, or no actual value entered yet
    return IndicatorFact(
        name=row.indicator_name or "",
        month=row.indicator_month,
        gap_percent=float(row.indicator_gap),
        tolerance=float(row.indicator_tolerance or 0),
    )


def _write(changes: list[tuple[int, str, str]], now: dt.datetime) -> None:
    """Write changed lights: one parametrized UPDATE per task, sent as a single batch.

    ``executemany`` makes this one round trip per chunk on both SQLite and PostgreSQL,
    without the per-object expression building of ``bulk_update`` (reasons carry day
    counts, so many rows change every day and few share a value).
    """
    if not changes:
        return
    table = connection.ops.quote_name(Task._meta.db_table)
    q = connection.ops.quote_name
    sql = (
        f"UPDATE {table} SET {q('light')} = %s, {q('light_reason')} = %s, "
        f"{q('light_updated_at')} = %s WHERE {q(Task._meta.pk.column)} = %s"
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(light, reason, stamp, pk) for pk, light, reason in changes])


def _write_valid_until(changes: list[tuple[int, dt.date]]) -> None:
    """Store the new "look again on" dates (only those that moved), in one batch."""
    if not changes:
        return
    q = connection.ops.quote_name
    sql = (
        f"UPDATE {q(Task._meta.db_table)} SET {q('light_valid_until')} = %s "
        f"WHERE {q(Task._meta.pk.column)} = %s"
    )
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(adapt(day), pk) for pk, day in changes])


def fingerprint(thresholds: Thresholds) -> str:
    """What every light depends on besides its task's facts: thresholds, the office's
    calendar days, the rules' version. A change means the next run recomputes all."""
    import hashlib

    from duban import __version__
    from duban.supervision.models import CalendarDay

    days = list(CalendarDay.objects.order_by("date").values_list("date", "is_workday"))
    text = repr((__version__, thresholds, [(d.isoformat(), w) for d, w in days]))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _due_ids(since: dt.datetime, today: dt.date) -> list[int]:
    """Tasks to look at in an incremental run: their light's date has come, or one of
    their facts (the task, its plan, its indicator, assignment, milestones, schedules,
    reports) was saved since the last run began. One query per table, each by its
    ``updated_at``."""
    from django.db.models import Q

    from duban.plans.models import Assignment

    ids = set(
        Task.objects.filter(
            Q(light_valid_until__isnull=True)
            | Q(light_valid_until__lte=today)
            | Q(updated_at__gt=since)
            | Q(plan__updated_at__gt=since)
            | Q(indicator__updated_at__gt=since)
        ).values_list("pk", flat=True)
    )
    for model in (Assignment, Milestone, ReportingSchedule, ProgressReport):
        ids.update(
            model.objects.filter(updated_at__gt=since).order_by().values_list("task_id", flat=True)
        )
    return sorted(ids)


@in_site_language
def recompute_lights(
    tasks_qs: QuerySet | None = None,
    *,
    today: dt.date | None = None,
    calendar: WorkCalendar | None = None,
    chunk_size: int = 900,
    record_daily: bool = True,
    incremental: bool = False,
) -> dict[str, Any]:
    """Recompute the light of every task in ``tasks_qs`` (all tasks by default).

    Tasks are read in chunks of ``chunk_size`` by primary key (900 stays under SQLite's
    limit on query parameters), each chunk with at most five queries (tasks with their
    latest accepted percent and their indicator's gap, milestones, schedules, recent reports, the history of long
    silences) and one batched UPDATE of the changed rows. Then today's
    :class:`LightDaily` counts are refreshed for the plans touched.

    ``incremental`` (the nightly job) looks only at the tasks whose facts were saved since
    the last run over all tasks began, and those whose :func:`stable_until` date has come;
    it falls back to every task when there was no run yet, when today is before the last
    run's day, or when the thresholds or calendar changed (:func:`fingerprint`). Facts
    changed by a plain SQL ``UPDATE`` that skips ``updated_at`` are not seen until the
    task's date comes (at most :data:`HORIZON`); services save through the models.

    Returns ``{"tasks", "changed", "green", "yellow", "red", "none"}`` (the light counts
    are over the tasks looked at; with ``incremental``, ``"full"`` says whether that was
    every task) and ``"calendar_warning"`` when a date beyond the
    holiday data was used.
    """
    token = _RUN_LANGUAGE.set(get_language())
    try:
        return _recompute_lights(
            tasks_qs,
            today=today,
            calendar=calendar,
            chunk_size=chunk_size,
            record_daily=record_daily,
            incremental=incremental,
        )
    finally:
        _RUN_LANGUAGE.reset(token)


def _recompute_lights(
    tasks_qs: QuerySet | None,
    *,
    today: dt.date | None,
    calendar: WorkCalendar | None,
    chunk_size: int,
    record_daily: bool,
    incremental: bool,
) -> dict[str, Any]:
    from duban.supervision.models import LightRun

    today = today or timezone.localdate()
    calendar = calendar or load_calendar()
    thresholds = Thresholds.from_settings(SupervisionSettings.current())
    now = timezone.now()
    every_task = tasks_qs is None
    print_ = fingerprint(thresholds) if every_task else ""
    last = LightRun.objects.first() if every_task and incremental else None
    full = not (
        last is not None and last.fingerprint == print_ and last.day <= today and incremental
    )
    counts: dict[str, Any] = dict.fromkeys(("tasks", "changed", GREEN, YELLOW, RED, NONE), 0)
    if incremental:
        counts["full"] = full
    plan_ids: set[int] = set()
    loader = _FactLoader(today, calendar, thresholds)
    for rows in _chunks(
        tasks_qs, today, chunk_size, None if full else _due_ids(last.started_at, today)
    ):
        facts = loader.facts(rows)
        changes: list[tuple[int, str, str]] = []
        moved: list[tuple[int, dt.date]] = []
        for row in rows:
            fact = facts[row.pk]
            result = compute_light(fact, thresholds, today, calendar=calendar)
            counts["tasks"] += 1
            counts[result.light] += 1
            plan_ids.add(row.plan_id)
            if (result.light, result.reason) != (row.light, row.light_reason):
                changes.append((row.pk, result.light, result.reason))
                counts["changed"] += 1
            until = stable_until(
                fact,
                result,
                thresholds,
                today,
                calendar=calendar,
                next_due=loader.next_due.get(row.pk),
            )
            if until != row.light_valid_until:
                moved.append((row.pk, until))
        with transaction.atomic():
            _write(changes, now)
            _write_valid_until(moved)
    if every_task:
        LightRun.objects.create(
            started_at=now,
            day=today,
            fingerprint=print_,
            full=full,
            tasks=counts["tasks"],
            changed=counts["changed"],
        )
        if not full:  # today's counts cover every plan, not only those looked at
            plan_ids.update(Task.objects.values_list("plan_id", flat=True).distinct())
    if record_daily and plan_ids:
        daily.record_plan_lights(sorted(plan_ids), today)
    if record_daily and every_task:
        daily.record_unit_reds(today)
    warning = calendar.coverage().warning
    if warning:
        counts["calendar_warning"] = warning
    return counts


def _chunks(tasks_qs: QuerySet | None, today: dt.date, size: int, ids: list[int] | None):
    """Task rows in chunks: all of ``tasks_qs`` by primary key, or exactly ``ids``."""
    if ids is not None:
        for start in range(0, len(ids), size):
            yield _rows(Task.objects.filter(pk__in=ids[start : start + size]).order_by("pk"), today)
        return
    qs = (Task.objects.all() if tasks_qs is None else tasks_qs).order_by("pk")
    last_pk = 0
    while True:
        rows = _rows(qs.filter(pk__gt=last_pk)[:size], today)
        if not rows:
            return
        last_pk = rows[-1].pk
        yield rows


@in_site_language
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
    rows = _rows(Task.objects.filter(pk=task.pk), today)
    if not rows:
        return LightResult(task.light, task.light_reason)
    row = rows[0]
    facts = _FactLoader(today, calendar, thresholds).facts(rows)[row.pk]
    result = compute_light(facts, thresholds, today, calendar=calendar)
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


def forecast_lights(
    tasks_qs: QuerySet, *, on: dt.date, calendar: WorkCalendar | None = None
) -> dict[int, LightResult]:
    """The light each task will have on ``on`` if nothing changes before then.

    The same rules and facts as :func:`recompute_lights`, evaluated on a later day: a
    deadline or milestone passed by then is late, a report due before then and not sent
    is missing. Nothing is written. Reads a fixed number of queries per 900 tasks; callers
    narrow ``tasks_qs`` to the tasks that can change (the workbench's 「本周将亮红灯」).
    """
    calendar = calendar or load_calendar()
    thresholds = Thresholds.from_settings(SupervisionSettings.current())
    loader = _FactLoader(on, calendar, thresholds)
    result: dict[int, LightResult] = {}
    qs = tasks_qs.order_by("pk")
    last_pk = 0
    while True:
        rows = _rows(qs.filter(pk__gt=last_pk)[:900], on)
        if rows:
            last_pk = rows[-1].pk
            facts = loader.facts(rows)
            for row in rows:
                result[row.pk] = compute_light(facts[row.pk], thresholds, on, calendar=calendar)
        if len(rows) < 900:
            return result
