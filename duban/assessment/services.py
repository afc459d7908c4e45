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
- 督办 / 通报: notices of those levels issued to the unit in the period.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.assessment.models import RULES, AssessmentScheme
from duban.core import audit
from duban.core.models import AuditEntry
from duban.org.models import Unit
from duban.plans import access
from duban.plans.choices import WORKING_STATUSES, Light
from duban.plans.models import Assignment, Task
from duban.supervision.choices import NoticeLevel, ReportStatus
from duban.supervision.models import ClosureRequest, Notice, ProgressReport

SENT = (ReportStatus.SUBMITTED, ReportStatus.UNIT_APPROVED, ReportStatus.ACCEPTED)


class ValidationError(ValueError):
    """Input the office must correct; the message says what."""


def rule_labels() -> dict[str, str]:
    """The rule names as the office reads them in the breakdown."""
    return {
        "base_on_time": _("按时办结"),
        "bonus_early": _("提前办结"),
        "deduct_late_report": _("逾期报送"),
        "deduct_missing_report": _("未报送"),
        "deduct_returned_report": _("报告被退回"),
        "deduct_red_task": _("红灯任务（按计算时亮灯）"),
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


def _facts(start: dt.date, end: dt.date) -> tuple[Facts, Early]:
    """unit id → rule → the occurrences (「1.1 2026-03-13」), read in six queries; and each
    unit's on-time closures with how many days before the deadline they came."""
    facts: Facts = defaultdict(lambda: defaultdict(list))
    early: Early = defaultdict(list)
    since, until = _aware(start), _aware(end, end=True)
    for unit_id, code, deadline, decided_at in ClosureRequest.objects.filter(
        status=ClosureRequest.Status.APPROVED, decided_at__gte=since, decided_at__lt=until
    ).values_list("unit_id", "task__code", "task__deadline", "decided_at"):
        closed = timezone.localdate(decided_at)
        label = f"{code} {closed.isoformat()}"
        if deadline is None or closed <= deadline:
            facts[unit_id]["base_on_time"].append(label)
            if deadline is not None:
                early[unit_id].append((label, (deadline - closed).days))
    reports = ProgressReport.objects.filter(due_date__gte=start, due_date__lte=end)
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
            pk__in=set(returned)
        ).values_list("pk", "unit_id", "task__code", "period_end")
    }
    for pk in returned:
        if pk in returned_reports:
            unit_id, code, period_end = returned_reports[pk]
            facts[unit_id]["deduct_returned_report"].append(f"{code} {period_end.isoformat()}")
    for unit_id, code in Task.objects.filter(
        light=Light.RED, status__in=WORKING_STATUSES
    ).values_list("assignment__lead_unit_id", "code"):
        if unit_id is not None:
            facts[unit_id]["deduct_red_task"].append(code)
    for unit_id, code, level, created in Notice.objects.filter(
        level__in=(NoticeLevel.SUPERVISE, NoticeLevel.CRITICISM),
        created_at__gte=since,
        created_at__lt=until,
    ).values_list("unit_id", "task__code", "level", "created_at"):
        rule = "deduct_supervise" if level == NoticeLevel.SUPERVISE else "deduct_criticism"
        facts[unit_id][rule].append(f"{code} {timezone.localdate(created).isoformat()}")
    return facts, early


def score_units(scheme: AssessmentScheme, *, start: dt.date, end: dt.date) -> list[UnitScore]:
    """Every lead unit's score for ``start``–``end`` under ``scheme`` (saved or not), ranked.

    Units with equal totals share a rank (1, 2, 2, 4). A unit that leads no task but has a
    fact in the period (a notice) is scored too.
    """
    if end < start:
        raise ValidationError(_("考核期结束日期不能早于开始日期。"))
    facts, early_closures = _facts(start, end)
    unit_ids = set(Assignment.objects.values_list("lead_unit_id", flat=True)) | set(facts)
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
            items = early if rule == "bonus_early" else list(found.get(rule, []))
            each = Decimal(getattr(scheme, rule))
            sign = Decimal(-1) if kind == "deduct" else Decimal(1)
            lines.append(
                ScoreLine(rule, labels[rule], len(items), each, sign * each * len(items), items)
            )
        scores.append(UnitScore(unit, lines, sum((line.points for line in lines), Decimal(0))))
    scores.sort(key=lambda s: (-s.total, s.unit.sort_order, s.unit.name))
    previous, rank = None, 0
    for position, score in enumerate(scores, start=1):
        if score.total != previous:
            rank, previous = position, score.total
        score.rank = rank
    return scores


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
