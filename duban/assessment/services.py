"""考核 scoring: points per lead unit and period, each point traced to the fact behind it.

:func:`score_units` is read-only and takes any scheme, saved or not, so the page's
what-if (试算) is the same computation as the real ranking. The facts come from what
the rest of duban already records, with a fixed number of queries for any city:

- 按时办结 / 提前办结: closure requests approved in the period, against the task's deadline;
- 逾期报送 / 未报送: the unit's reports due in the period, sent late or recorded missing by
  the chasing ladder;
- 报告被退回: the office's 「report_returned」 audit events in the period;
- 红灯任务: the unit's tasks red when the score is computed (lights are derived data and
  keep no per-task history, so this rule is about now, and says so);
- 红灯天数: for each day of the period the nightly recompute ran, how many of the unit's
  tasks were red (``supervision.UnitRedDaily``): a task red for ten days counts ten;
- 督办 / 通报: notices of those levels issued to the unit in the period;
- 领导表扬: comments on the unit's tasks that a leader or the office marked as praise.

:func:`publish_release` freezes a period's ranking (考核结果); units may object until a
date (:func:`file_objection`) and the office decides (:func:`decide_objection`): an upheld
objection adjusts that unit's total by the points the office gives, and the ranks follow.
Nothing else changes a published result.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.assessment.models import (
    RULES,
    AssessmentRelease,
    AssessmentResult,
    AssessmentScheme,
    Objection,
)
from duban.core import audit
from duban.core.models import AuditEntry
from duban.org.models import Unit
from duban.plans import access
from duban.plans.choices import WORKING_STATUSES, Light
from duban.plans.models import Assignment, Task
from duban.supervision.choices import NoticeLevel, ReportStatus
from duban.supervision.models import (
    ClosureRequest,
    Comment,
    Notice,
    ProgressReport,
    UnitRedDaily,
)

SENT = (ReportStatus.SUBMITTED, ReportStatus.UNIT_APPROVED, ReportStatus.ACCEPTED)


def _city_plans(prefix: str) -> Q:
    """Tasks of the city's own plans. A district's plan (区县, ``Plan.owner_unit``) repeats
    city tasks that roll up into the city's, and its departments answer to the district:
    the city's 考核 counts neither."""
    return Q(**{f"{prefix}plan__owner_unit__isnull": True})


class ValidationError(ValueError):
    """Input the office must correct; the message says what."""


def rule_labels() -> dict[str, str]:
    """The rule names as the office reads them in the breakdown."""
    return {
        "base_on_time": _("按时办结"),
        "bonus_early": _("提前办结"),
        "bonus_praise": _("领导表扬"),
        "deduct_late_report": _("逾期报送"),
        "deduct_missing_report": _("未报送"),
        "deduct_returned_report": _("报告被退回"),
        "deduct_red_task": _("红灯任务（按计算时亮灯）"),
        "deduct_red_day": _("红灯天数"),
        "deduct_supervise": _("督办通知"),
        "deduct_criticism": _("通报批评"),
    }


@dataclass
class ScoreLine:
    rule: str
    label: str
    count: int
    each: Decimal
    points: Decimal  # signed: deductions are negative
    items: list[str] = field(default_factory=list)


@dataclass
class UnitScore:
    unit: Unit
    lines: list[ScoreLine]
    total: Decimal = Decimal("0")
    rank: int = 0

    def points(self, rule: str) -> Decimal:
        return next((line.points for line in self.lines if line.rule == rule), Decimal("0"))


def _aware(day: dt.date, end: bool = False) -> dt.datetime:
    moment = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time.min)
    return timezone.make_aware(moment)


Facts = dict[int, dict[str, list[str]]]
Early = dict[int, list[tuple[str, int]]]
# unit id → [(day, red tasks that day)]
RedDays = dict[int, list[tuple[dt.date, int]]]


def _facts(start: dt.date, end: dt.date) -> tuple[Facts, Early, RedDays]:
    """unit id → rule → the occurrences (「1.1 2026-03-13」), read in eight queries; each
    unit's on-time closures with how many days before the deadline they came; and each
    unit's red tasks per recorded day."""
    facts: Facts = defaultdict(lambda: defaultdict(list))
    early: Early = defaultdict(list)
    red_days: RedDays = defaultdict(list)
    since, until = _aware(start), _aware(end, end=True)
    for unit_id, code, deadline, decided_at in ClosureRequest.objects.filter(
        _city_plans("task__"),
        status=ClosureRequest.Status.APPROVED,
        decided_at__gte=since,
        decided_at__lt=until,
    ).values_list("unit_id", "task__code", "task__deadline", "decided_at"):
        closed = timezone.localdate(decided_at)
        label = f"{code} {closed.isoformat()}"
        if deadline is None or closed <= deadline:
            facts[unit_id]["base_on_time"].append(label)
            if deadline is not None:
                early[unit_id].append((label, (deadline - closed).days))
    reports = ProgressReport.objects.filter(
        _city_plans("task__"), due_date__gte=start, due_date__lte=end
    )
    # Named by task and period end: one report per task, unit and period.
    for unit_id, code, end_of in reports.filter(status__in=SENT, is_late=True).values_list(
        "unit_id", "task__code", "period_end"
    ):
        facts[unit_id]["deduct_late_report"].append(f"{code} {end_of.isoformat()}")
    for unit_id, code, end_of in reports.filter(status=ReportStatus.MISSING).values_list(
        "unit_id", "task__code", "period_end"
    ):
        facts[unit_id]["deduct_missing_report"].append(f"{code} {end_of.isoformat()}")
    # One line per return: a report returned twice in the period counts twice.
    returned = [
        int(pk)
        for pk in AuditEntry.objects.filter(
            event="report_returned",
            object_type="supervision.progressreport",
            time__gte=since,
            time__lt=until,
        ).values_list("object_id", flat=True)
        if str(pk).isdigit()
    ]
    returned_reports = {
        pk: (unit_id, code, period_end)
        for pk, unit_id, code, period_end in ProgressReport.objects.filter(
            _city_plans("task__"), pk__in=set(returned)
        ).values_list("pk", "unit_id", "task__code", "period_end")
    }
    for pk in returned:
        if pk in returned_reports:
            unit_id, code, period_end = returned_reports[pk]
            facts[unit_id]["deduct_returned_report"].append(f"{code} {period_end.isoformat()}")
    for unit_id, code in Task.objects.filter(
        _city_plans(""), light=Light.RED, status__in=WORKING_STATUSES
    ).values_list("assignment__lead_unit_id", "code"):
        if unit_id is not None:
            facts[unit_id]["deduct_red_task"].append(code)
    for unit_id, code, instruction_id, level, created in Notice.objects.filter(
        _city_plans("task__"),
        level__in=(NoticeLevel.SUPERVISE, NoticeLevel.CRITICISM),
        created_at__gte=since,
        created_at__lt=until,
    ).values_list("unit_id", "task__code", "instruction_id", "level", "created_at"):
        rule = "deduct_supervise" if level == NoticeLevel.SUPERVISE else "deduct_criticism"
        # A notice about a leader's instruction with no task counts the same (its 督办 is
        # the unit's as much); it is named by the instruction.
        subject = code if instruction_id is None else f"批示{instruction_id}"
        facts[unit_id][rule].append(f"{subject} {timezone.localdate(created).isoformat()}")
    for unit_id, code, created in Comment.objects.filter(
        _city_plans("task__"), praise=True, created_at__gte=since, created_at__lt=until
    ).values_list("task__assignment__lead_unit_id", "task__code", "created_at"):
        if unit_id is not None:
            facts[unit_id]["bonus_praise"].append(
                f"{code} {timezone.localdate(created).isoformat()}"
            )
    for unit_id, day, red in (
        UnitRedDaily.objects.filter(date__gte=start, date__lte=end, red__gt=0)
        .order_by("date")
        .values_list("unit_id", "date", "red")
    ):
        red_days[unit_id].append((day, red))
    return facts, early, red_days


def score_units(scheme: AssessmentScheme, *, start: dt.date, end: dt.date) -> list[UnitScore]:
    """Every lead unit's score for ``start``–``end`` under ``scheme`` (saved or not), ranked.

    Units with equal totals share a rank (1, 2, 2, 4). A unit that leads no task but has a
    fact in the period (a notice) is scored too.
    """
    if end < start:
        raise ValidationError(_("考核期结束日期不能早于开始日期。"))
    facts, early_closures, red_days = _facts(start, end)
    unit_ids = set(
        Assignment.objects.filter(_city_plans("task__")).values_list("lead_unit_id", flat=True)
    ) | set(facts)
    units = Unit.objects.in_bulk(unit_ids)
    labels = rule_labels()
    scores = []
    for unit_id, unit in units.items():
        found = facts.get(unit_id, {})
        early = [
            label for label, days in early_closures.get(unit_id, []) if days >= scheme.early_days
        ]
        lines = []
        for rule, kind in RULES:
            if rule == "deduct_red_day":
                days = red_days.get(unit_id, [])
                count = sum(n for _day, n in days)
                items = [f"{day.isoformat()} ×{n}" for day, n in days]
            else:
                items = early if rule == "bonus_early" else list(found.get(rule, []))
                count = len(items)
            each = Decimal(getattr(scheme, rule))
            sign = Decimal(-1) if kind == "deduct" else Decimal(1)
            lines.append(ScoreLine(rule, labels[rule], count, each, sign * each * count, items))
        scores.append(UnitScore(unit, lines, sum((line.points for line in lines), Decimal(0))))
    scores.sort(key=lambda s: (-s.total, s.unit.sort_order, s.unit.name))
    _rank(scores)
    return scores


def _rank(rows: list[Any]) -> None:
    """Ranks for rows already sorted by total, best first; equal totals share a rank."""
    previous, rank = None, 0
    for position, row in enumerate(rows, start=1):
        if row.total != previous:
            rank, previous = position, row.total
        row.rank = rank


@transaction.atomic
def save_scheme(values: dict[str, Any], *, actor: Any) -> AssessmentScheme:
    """Save the office's scheme (office only); the change is audited like any other row."""
    access.require_office(actor, "assessment")
    scheme = AssessmentScheme.current()
    with audit.acting_as(actor):
        for name, value in values.items():
            setattr(scheme, name, value)
        scheme.save()
    return scheme


# --- published results and objections --------------------------------------------------

#: Days units have to object when the office sets no date.
OBJECTION_DAYS = 7
REASON_MAX_LENGTH = 2000


def default_title(start: dt.date, end: dt.date) -> str:
    return _("{start}至{end}考核结果").format(start=start.isoformat(), end=end.isoformat())


def _line_dicts(score: UnitScore) -> list[dict[str, Any]]:
    return [
        {
            "rule": line.rule,
            "label": line.label,
            "count": line.count,
            "each": str(line.each),
            "points": str(line.points),
            "items": line.items,
        }
        for line in score.lines
    ]


@transaction.atomic
def publish_release(
    *,
    start: dt.date,
    end: dt.date,
    actor: Any,
    title: str = "",
    objections_until: dt.date | None = None,
) -> AssessmentRelease:
    """Freeze the period's ranking under the saved scheme (office only), once per period."""
    access.require_office(actor, "assessment")
    today = timezone.localdate()
    if end < start:
        raise ValidationError(_("考核期结束日期不能早于开始日期。"))
    if end > today:
        raise ValidationError(_("考核期尚未结束（截至 {end}），不能发布结果。").format(end=end))
    until = objections_until or today + dt.timedelta(days=OBJECTION_DAYS)
    if until < today:
        raise ValidationError(_("异议截止日期不能早于今天。"))
    title = (title or "").strip() or default_title(start, end)
    if len(title) > 200:
        raise ValidationError(_("标题不能超过 200 字。"))
    existing = AssessmentRelease.objects.filter(period_start=start, period_end=end).first()
    if existing is not None:
        raise ValidationError(_("该考核期的结果已经发布：{title}。").format(title=existing.title))
    scheme = AssessmentScheme.current()
    scores = score_units(scheme, start=start, end=end)
    with audit.acting_as(actor):
        release = AssessmentRelease.objects.create(
            title=title,
            period_start=start,
            period_end=end,
            scheme={name: str(getattr(scheme, name)) for name, _kind in RULES}
            | {"early_days": scheme.early_days},
            published_at=timezone.now(),
            published_by=actor,
            objections_until=until,
        )
        for score in scores:
            AssessmentResult.objects.create(
                release=release,
                unit=score.unit,
                computed=score.total,
                total=score.total,
                rank=score.rank,
                lines=_line_dicts(score),
            )
    return release


@transaction.atomic
def file_objection(result: AssessmentResult, *, actor: Any, reason: str) -> Objection:
    """A unit objects to its published result, before the release's deadline."""
    if not access.speaks_for_unit(actor, result.unit_id):
        raise access.NotAllowed("object")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写异议理由。"))
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            _("异议理由不能超过 {limit} 字（现有 {n} 字）。").format(
                limit=REASON_MAX_LENGTH, n=len(reason)
            )
        )
    if timezone.localdate() > result.release.objections_until:
        raise ValidationError(
            _("异议期已于 {day} 截止。").format(day=result.release.objections_until)
        )
    # The row lock makes two clicks of the same clerk one objection, not two.
    AssessmentResult.objects.select_for_update().filter(pk=result.pk).first()
    if result.objections.filter(status=Objection.Status.PENDING).exists():
        raise ValidationError(_("本单位已有一条异议正在处理，请等待处理结果。"))
    with audit.acting_as(actor):
        return Objection.objects.create(result=result, filed_by=actor, reason=reason)


@transaction.atomic
def decide_objection(
    objection: Objection,
    *,
    actor: Any,
    uphold: bool,
    decision: str,
    points: Decimal | None = None,
) -> Objection:
    """The office's decision; an upheld objection moves the unit's total by ``points``."""
    access.require_office(actor, "assessment")
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.status != Objection.Status.PENDING:
        raise ValidationError(_("该异议已经处理，不能再次处理。"))
    decision = (decision or "").strip()
    if not decision:
        raise ValidationError(_("请填写处理意见。"))
    if len(decision) > REASON_MAX_LENGTH:
        raise ValidationError(_("处理意见不能超过 {limit} 字。").format(limit=REASON_MAX_LENGTH))
    points = Decimal(points or 0)
    if not uphold and points:
        raise ValidationError(_("不予采纳的异议不调整分值。"))
    if uphold and not points:
        raise ValidationError(_("采纳异议时请填写调整分值（加分为正，扣分为负）。"))
    if abs(points) > 100 or points != points.quantize(Decimal("0.1")):
        raise ValidationError(_("调整分值应在 -100 到 100 之间，最多一位小数。"))
    with audit.acting_as(actor):
        objection.status = Objection.Status.UPHELD if uphold else Objection.Status.REJECTED
        objection.decided_by = actor
        objection.decided_at = timezone.now()
        objection.decision = decision
        objection.points = points
        objection.save()
        if uphold:
            result = AssessmentResult.objects.select_for_update().get(pk=objection.result_id)
            result.adjustment += points
            result.total = result.computed + result.adjustment
            result.save()
            _rerank(result.release_id)
    return objection


def _rerank(release_id: int) -> None:
    rows = list(AssessmentResult.objects.filter(release_id=release_id).select_related("unit"))
    rows.sort(key=lambda r: (-r.total, r.unit.sort_order, r.unit.name))
    old = {r.pk: r.rank for r in rows}
    _rank(rows)
    for row in rows:
        if row.rank != old[row.pk]:
            row.save()


def release_ranking(start: dt.date, end: dt.date) -> AssessmentRelease | None:
    """The published result a period's bulletin reports: the latest release that ends
    within the period (a month's bulletin carries that month's or that quarter's result)."""
    return (
        AssessmentRelease.objects.filter(period_end__gte=start, period_end__lte=end)
        .order_by("-period_end", "-id")
        .first()
    )
