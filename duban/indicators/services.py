"""对标对表's business rules: indicators from task targets, monthly actual values, peer
cities' figures, and the gap to the plan that lights the task.

Every change goes through one of the verb-first functions here, in one transaction, with
its audit rows (the models are audited) and, when the gap may have moved, the task's
light recomputed (``supervision.lights.recompute_task_light``: the gap is one of its
facts). Pages, the API and the demo call the same functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import audit
from duban.core.errors import InputError, NotAllowed, NotFound
from duban.indicators.choices import LOWER_IS_BETTER, IndicatorKind, Qualifier
from duban.indicators.models import MONTHS, Indicator, IndicatorMonth, PeerValue
from duban.indicators.reading import read_target
from duban.plans import access
from duban.plans.choices import UNCOUNTED_STATUSES, TaskKind
from duban.plans.models import Assignment, Task

#: The tolerance a 「左右」 (about) target gets by default, in percent of the plan.
ABOUT_TOLERANCE = Decimal("2")
#: The largest value accepted (the columns hold 12 digits before the point).
LIMIT = Decimal("1e12")


class ValidationError(InputError):
    """Input to correct; the message says what (400 in the API, a form error on pages)."""


# -- pure rules ----------------------------------------------------------------------------


def parse_number(raw: Any, *, label: str) -> Decimal:
    """A number typed by a person: 「5.2」, 「-2.5」, 「1,234」 or 「5.2%」; anything else is a
    :class:`ValidationError` naming ``label``."""
    text = str(raw if raw is not None else "").strip().replace(",", "").replace("，", "")
    text = text.removesuffix("%").removesuffix("％").strip()
    if not text:
        raise ValidationError(_("请填写{label}。").format(label=label))
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValidationError(
            _("{label}应为数字，例如 5.2 或 -2.5（收到“{raw}”）。").format(
                label=label, raw=text[:20]
            )
        )
    if abs(value) >= LIMIT:
        raise ValidationError(_("{label}超出范围。").format(label=label))
    return value.quantize(Decimal("0.0001"))


def check_month(month: Any, year: int, *, today: dt.date | None = None) -> int:
    """A month 1–12 of ``year`` that has begun (nobody reports the future)."""
    try:
        value = int(str(month).strip())
    except (TypeError, ValueError):
        value = 0
    if value not in MONTHS:
        raise ValidationError(_("月份应为 1 到 12 之间的整数。"))
    today = today or timezone.localdate()
    if (year, value) > (today.year, today.month):
        raise ValidationError(
            _("{year}年{month}月尚未到来，不能填报。").format(year=year, month=value)
        )
    return value


def gap_percent(kind: str, plan: Decimal | None, actual: Decimal | None) -> Decimal | None:
    """How far the actual is behind the plan, in percent of the plan: positive behind,
    negative ahead; for ceilings, above the plan is behind. None without both values."""
    if plan is None or actual is None:
        return None
    behind = actual - plan if kind in LOWER_IS_BETTER else plan - actual
    if plan == 0:
        return Decimal(100) if behind > 0 else Decimal(0)
    return (behind * 100 / abs(plan)).quantize(Decimal("0.1"))


def rank_among(kind: str, ours: Decimal | None, peers: Iterable[Decimal]) -> tuple[int, int] | None:
    """(our place, how many cities) among the peers' values: 1 is best; lower is better
    for ceilings. Ties share the better place. None without our value or any peer."""
    values = list(peers)
    if ours is None or not values:
        return None
    lower = kind in LOWER_IS_BETTER
    better = sum(1 for v in values if (v < ours if lower else v > ours))
    return better + 1, len(values) + 1


# -- reading for pages, the API and the export ---------------------------------------------


@dataclass
class MonthCell:
    month: int
    plan: Decimal
    actual: Decimal | None
    note: str = ""
    gap: Decimal | None = None
    planned_explicitly: bool = False


@dataclass
class IndicatorRow:
    indicator: Indicator
    cells: list[MonthCell]
    peers: list[PeerValue] = field(default_factory=list)
    rank: tuple[int, int] | None = None
    rank_month: int | None = None

    @property
    def latest(self) -> MonthCell | None:
        return next((c for c in reversed(self.cells) if c.actual is not None), None)


def visible_indicators(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """The indicators of the tasks this user may see (access.visible_tasks)."""
    qs = queryset if queryset is not None else Indicator.objects.all()
    if access.reads_everything(user):
        return qs
    return qs.filter(task__in=access.visible_tasks(user).values("pk"))


def with_months(qs: QuerySet) -> QuerySet:
    """The joins and prefetches a table of indicators needs (three queries in all)."""
    return qs.select_related(
        "task__assignment__lead_unit", "task__framework_node"
    ).prefetch_related(
        Prefetch("months", queryset=IndicatorMonth.objects.order_by("month")),
        Prefetch("peers", queryset=PeerValue.objects.order_by("month", "city")),
    )


def row_of(indicator: Indicator) -> IndicatorRow:
    """The table's row: every month's plan, actual and gap, and our rank among peers in the
    latest month where both we and they have a figure."""
    stored = {m.month: m for m in indicator.months.all()}
    cells = []
    for month in MONTHS:
        m = stored.get(month)
        plan = m.plan if m is not None and m.plan is not None else indicator.default_plan(month)
        actual = m.actual if m is not None else None
        cells.append(
            MonthCell(
                month=month,
                plan=plan,
                actual=actual,
                note=m.note if m is not None else "",
                gap=gap_percent(indicator.kind, plan, actual),
                planned_explicitly=m is not None and m.plan is not None,
            )
        )
    peers = list(indicator.peers.all())
    row = IndicatorRow(indicator, cells, peers)
    by_month: dict[int, list[Decimal]] = {}
    for p in peers:
        by_month.setdefault(p.month, []).append(p.value)
    for month in sorted(by_month, reverse=True):
        rank = rank_among(indicator.kind, cells[month - 1].actual, by_month[month])
        if rank is not None:
            row.rank, row.rank_month = rank, month
            break
    return row


def rows(user: Any, *, unit: int | None = None, framework: int | None = None) -> list[IndicatorRow]:
    """The indicator table for ``user``: filtered by lead or co-unit and framework node."""
    qs = visible_indicators(user)
    if unit is not None:
        qs = qs.filter(of_unit(unit))
    if framework is not None:
        qs = qs.filter(task__framework_node_id=framework)
    return [row_of(i) for i in with_months(qs.order_by("task__plan_id", "task__sort_order", "pk"))]


def of_unit(unit: int) -> Q:
    """Indicators of tasks ``unit`` leads or co-handles: two indexed subqueries, no join
    and so no DISTINCT (as the task list does)."""
    leads = Assignment.objects.filter(lead_unit_id=unit).values("task_id")
    helps = Assignment.co_units.through.objects.filter(unit_id=unit).values("assignment__task_id")
    return Q(task_id__in=leads) | Q(task_id__in=helps)


def get_indicator(user: Any, pk: Any) -> Indicator:
    """One indicator the user may see, else NotFound (never "forbidden")."""
    try:
        return visible_indicators(user, Indicator.objects.select_related("task__assignment")).get(
            pk=pk
        )
    except (Indicator.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def may_enter(user: Any, indicator: Indicator) -> bool:
    """Enters actual values: the lead unit's clerk or leader, or the office."""
    lead, _co = access.task_units(indicator.task)
    return access.is_office(user) or (lead is not None and access.may_report_for(user, lead))


# -- changes -----------------------------------------------------------------------------


def _require_enter(actor: Any, indicator: Indicator) -> None:
    if actor is None:
        return
    if not access.can(actor, "view", indicator.task):
        raise NotFound()
    if not may_enter(actor, indicator):
        raise NotAllowed("enter_indicator")


def _lock(indicator: Indicator) -> None:
    """Hold the indicator's row until the transaction ends: two first entries for the same
    month (or city) arriving together are written one after the other, the second as an
    update, instead of one failing on the unique constraint (PostgreSQL; SQLite writes one
    at a time anyway)."""
    Indicator.objects.select_for_update().filter(pk=indicator.pk).values_list("pk").first()


def refresh_gap(indicator: Indicator) -> None:
    """Store the gap of the latest month with an actual value and recompute the task's
    light (the gap is one of its facts). A plain UPDATE, as for the light: the gap is
    derived; it moves ``updated_at`` so the nightly run looks at the task again."""
    from duban.supervision.lights import recompute_task_light

    months = {
        m.month: m for m in IndicatorMonth.objects.filter(indicator=indicator).order_by("month")
    }
    latest = max((k for k, m in months.items() if m.actual is not None), default=None)
    gap = None
    if latest is not None:
        m = months[latest]
        plan = m.plan if m.plan is not None else indicator.default_plan(latest)
        gap = gap_percent(indicator.kind, plan, m.actual)
    Indicator.objects.filter(pk=indicator.pk).update(
        gap_month=latest, gap_percent=gap, updated_at=timezone.now()
    )
    indicator.gap_month, indicator.gap_percent = latest, gap
    recompute_task_light(indicator.task)


def _year_of(task: Task) -> int:
    if task.plan.year:
        return task.plan.year
    if task.deadline:
        return task.deadline.year
    return timezone.localdate().year


@transaction.atomic
def create_indicator(
    task: Task,
    *,
    actor: Any,
    name: str,
    measure: str,
    kind: str,
    target: Decimal,
    target_text: str = "",
    qualifier: str = Qualifier.NONE,
    tolerance: Decimal | None = None,
    year: int | None = None,
) -> Indicator:
    """Make ``task`` an indicator task (office); one indicator per task."""
    access.require_actor(actor, "edit", task)
    if Indicator.objects.filter(task=task).exists():
        raise ValidationError(_("任务“{code}”已有指标。").format(code=task.code))
    if kind not in IndicatorKind.values:
        raise ValidationError(_("指标类型不正确。"))
    if tolerance is None:
        tolerance = ABOUT_TOLERANCE if qualifier == Qualifier.ABOUT else Decimal(0)
    with audit.acting_as(actor):
        return Indicator.objects.create(
            task=task,
            name=name[:100],
            measure=measure[:20],
            kind=kind,
            year=year or _year_of(task),
            target=target,
            target_text=target_text[:200],
            qualifier=qualifier,
            tolerance=tolerance,
        )


def candidate_tasks(plan: Any = None, *, kind: str | None = None) -> QuerySet:
    """Tasks with a target and no indicator yet: those whose ``target_value`` the engine
    or the task book filled in, and the report's indicator tasks (主要预期目标)."""
    qs = Task.objects.filter(indicator__isnull=True).exclude(status__in=UNCOUNTED_STATUSES)
    if plan is not None:
        qs = qs.filter(plan=plan)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return (
        qs.filter(Q(kind=TaskKind.INDICATOR) | ~Q(target_value=""))
        .select_related("plan")
        .order_by("plan_id", "sort_order", "pk")
    )


@transaction.atomic
def create_indicators_from_tasks(
    *, actor: Any, plan: Any = None, kind: str | None = None
) -> list[Indicator]:
    """从任务目标生成指标 (office): read each candidate task's target with the engine and
    make its indicator (only tasks of ``kind``, e.g. the report's 指标任务, when given).
    Tasks whose text holds no number with a unit are left alone; a second run makes none
    twice."""
    access.require_actor(actor, "generate_indicators")
    made = []
    for task in candidate_tasks(plan, kind=kind):
        found = read_target(task.text, task.target_value) or (
            read_target(task.target_value) if task.target_value else None
        )
        if found is None:
            continue
        made.append(
            create_indicator(
                task,
                actor=actor,
                name=found.name,
                measure=found.measure,
                kind=found.kind,
                target=found.target,
                target_text=found.text,
                qualifier=found.qualifier,
            )
        )
    return made


@transaction.atomic
def enter_actual(
    indicator: Indicator,
    *,
    actor: Any,
    month: Any,
    value: Any,
    note: str = "",
    today: dt.date | None = None,
) -> tuple[IndicatorMonth, bool]:
    """A month's actual value (the lead unit, or the office). A second entry for the month
    updates the first (audited with before and after). Returns (the month, created?)."""
    _require_enter(actor, indicator)
    number = parse_number(value, label=_("实际值"))
    month = check_month(month, indicator.year, today=today)
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError(_("说明不能超过 500 个字。"))
    with audit.acting_as(actor):
        _lock(indicator)
        row = IndicatorMonth.objects.filter(indicator=indicator, month=month).first()
        created = row is None
        if created:
            row = IndicatorMonth(indicator=indicator, month=month)
        row.actual, row.note = number, note
        row.entered_by = actor if getattr(actor, "pk", None) else None
        row.entered_at = timezone.now()
        row.save()
        refresh_gap(indicator)
    return row, created


@transaction.atomic
def enter_peer_value(
    indicator: Indicator,
    *,
    actor: Any,
    month: Any,
    city: str,
    value: Any,
    source: str = "",
) -> tuple[PeerValue, bool]:
    """对标: another city's published figure (office only); the same city and month again
    updates it. Returns (the value, created?)."""
    access.require_actor(actor, "enter_peer_value")
    city = (city or "").strip()
    if not city:
        raise ValidationError(_("请填写对标城市。"))
    if len(city) > 50:
        raise ValidationError(_("城市名称不能超过 50 个字。"))
    source = (source or "").strip()
    if len(source) > 300:
        raise ValidationError(_("来源不能超过 300 个字。"))
    number = parse_number(value, label=_("对标数值"))
    try:
        month = int(str(month).strip())
    except (TypeError, ValueError):
        month = 0
    if month not in MONTHS:
        raise ValidationError(_("月份应为 1 到 12 之间的整数。"))
    with audit.acting_as(actor):
        _lock(indicator)
        peer = PeerValue.objects.filter(indicator=indicator, month=month, city=city).first()
        created = peer is None
        if created:
            peer = PeerValue(indicator=indicator, month=month, city=city)
        peer.value, peer.source = number, source
        peer.save()
    return peer, created


EDITABLE = ("name", "measure", "kind", "target", "target_text", "qualifier", "tolerance")


@transaction.atomic
def update_indicator(
    indicator: Indicator,
    *,
    actor: Any,
    version: int | None = None,
    plans: dict[int, Any] | None = None,
    **values: Any,
) -> Indicator:
    """Edit an indicator (office): any of :data:`EDITABLE`, and monthly plans
    (``{month: value}``, a blank value going back to the default). A stale ``version``
    raises ``ConflictError`` and changes nothing."""
    access.require_actor(actor, "edit", indicator.task)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("不能修改：{fields}。").format(fields="、".join(sorted(unknown))))
    if "kind" in values and values["kind"] not in IndicatorKind.values:
        raise ValidationError(_("指标类型不正确。"))
    if "qualifier" in values and values["qualifier"] not in Qualifier.values:
        raise ValidationError(_("目标限定不正确。"))
    if "target" in values:
        values["target"] = parse_number(values["target"], label=_("年度目标值"))
    if "tolerance" in values:
        tolerance = parse_number(values["tolerance"], label=_("容差"))
        if not Decimal(0) <= tolerance <= Decimal(100):
            raise ValidationError(_("容差应在 0 到 100 之间。"))
        values["tolerance"] = tolerance.quantize(Decimal("0.1"))
    if "name" in values and not str(values["name"]).strip():
        raise ValidationError(_("请填写指标名称。"))
    checked: dict[int, Decimal | None] = {}
    for month, raw in (plans or {}).items():
        try:
            m = int(str(month))
        except ValueError:
            m = 0
        if m not in MONTHS:
            raise ValidationError(_("月份应为 1 到 12 之间的整数。"))
        blank = raw is None or str(raw).strip() == ""
        checked[m] = (
            None if blank else parse_number(raw, label=_("{month}月计划值").format(month=m))
        )
    with audit.acting_as(actor):
        if version is not None:
            indicator.version = version
        for name, value in values.items():
            setattr(indicator, name, value)
        indicator.save()
        for m, plan in checked.items():
            row = IndicatorMonth.objects.filter(indicator=indicator, month=m).first()
            if row is None:
                if plan is None:
                    continue
                row = IndicatorMonth(indicator=indicator, month=m)
            if row.plan != plan:
                row.plan = plan
                row.save()
        refresh_gap(indicator)
    return indicator
