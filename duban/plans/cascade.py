"""The district cascade (区县): the city's tasks assigned to a district become its own plan.

The city office runs :func:`cascade_to_district` for one plan and one district; the
district's plan (``Plan.owner_unit`` = the district, ``Plan.upstream`` = the city's plan)
gets one task per city task the district (or one of its departments) leads or co-operates
on, each linked to its city task (``Task.upstream``). The district office
(区县督查室, ``Role.DISTRICT_OFFICE``) then assigns and splits those tasks within its
district with the ordinary services; :mod:`duban.plans.access` gives it the office's
powers there and nowhere else. Progress flows back up in
:func:`duban.supervision.services.roll_up_to_city`.

When the city takes a task away from a district (assigns it elsewhere, drops the district
from its units, or cancels it), :func:`withdraw_from_districts` marks the district's copy
and its departments' sub-tasks cancelled (撤回): they stay on record, audited, and count
nowhere. A district on its own instance is told with a ``task.withdrawn`` webhook
(duban/supervision/cascade_remote.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import audit
from duban.core.errors import InputError
from duban.org.choices import UnitKind
from duban.org.models import Unit
from duban.plans import access
from duban.plans.choices import UNCOUNTED_STATUSES, PlanStatus, TaskStatus
from duban.plans.models import Plan, Task

# The fields a district task copies from its city task, and keeps in step on a re-run.
COPIED = (
    "code",
    "text",
    "verb",
    "kind",
    "start_date",
    "deadline",
    "deadline_text",
    "target_value",
    "measures",
    "sort_order",
)


@dataclass(frozen=True)
class Cascade:
    plan: Plan
    created: int
    updated: int


def districts() -> QuerySet:
    """The units a plan can be cascaded to."""
    return Unit.objects.filter(kind=UnitKind.DISTRICT, is_active=True).order_by("sort_order", "id")


def unit_family(unit: Unit) -> set[int]:
    """The unit and every unit below it (one query for the whole tree)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in Unit.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    family, todo = set(), [unit.pk]
    while todo:
        pk = todo.pop()
        if pk not in family:
            family.add(pk)
            todo.extend(children.get(pk, []))
    return family


def district_of(unit_id: int | None) -> Unit | None:
    """The district (区县) a unit belongs to: itself or its nearest district ancestor."""
    seen: set[int] = set()
    unit = Unit.objects.filter(pk=unit_id).first() if unit_id else None
    while unit is not None and unit.pk not in seen:
        if unit.kind == UnitKind.DISTRICT:
            return unit
        seen.add(unit.pk)
        unit = unit.parent
    return None


def city_tasks_for(city_plan: Plan, district: Unit) -> QuerySet:
    """The city's tasks the district or one of its departments leads or co-operates on."""
    family = unit_family(district)
    ids = (
        city_plan.tasks.filter(
            Q(assignment__lead_unit_id__in=family) | Q(assignment__co_units__in=family)
        )
        .exclude(status__in=UNCOUNTED_STATUSES)
        .values("pk")
    )
    return Task.objects.filter(pk__in=ids).order_by("sort_order", "id")


@transaction.atomic
def cascade_to_district(city_plan: Plan, district: Unit, *, actor: Any) -> Cascade:
    """分解到区县 (the city office): create or update the district's plan.

    Idempotent: a second run adds the tasks assigned to the district since, and brings the
    wording and deadlines of the earlier ones in step; it never duplicates a task. What
    the district did with its tasks (assignments, sub-tasks, reports) is left alone.
    """
    access.require_actor(actor, "cascade")
    if city_plan.owner_unit_id is not None:
        raise InputError(_("区县的方案不能再分解到区县。"))
    if district.kind != UnitKind.DISTRICT:
        raise InputError(_("「{unit}」不是区县，不能分解。").format(unit=district))
    if city_plan.status == PlanStatus.DRAFT:
        raise InputError(_("方案尚未立项，不能分解到区县。"))
    tasks = list(city_tasks_for(city_plan, district))
    if not tasks:
        raise InputError(_("方案中没有交办给「{unit}」的任务。").format(unit=district))
    with audit.acting_as(actor):
        plan = Plan.objects.filter(upstream=city_plan, owner_unit=district).first()
        if plan is None:
            plan = Plan.objects.create(
                title=f"{district}：{city_plan.title}"[:200],
                year=city_plan.year,
                period_start=city_plan.period_start,
                period_end=city_plan.period_end,
                status=PlanStatus.CONFIRMED,
                confirmed_at=timezone.now(),
                confirmed_by=actor,
                owner_unit=district,
                upstream=city_plan,
            )
        have = {t.upstream_id: t for t in plan.tasks.filter(upstream__isnull=False)}
        created = updated = 0
        for city_task in tasks:
            mine = have.get(city_task.pk)
            if mine is None:
                Task.objects.create(
                    plan=plan,
                    upstream=city_task,
                    status=TaskStatus.CONFIRMED,
                    **{f: getattr(city_task, f) for f in COPIED},
                )
                created += 1
                continue
            changed = [f for f in COPIED if getattr(mine, f) != getattr(city_task, f)]
            restored = mine.status == TaskStatus.CANCELLED
            if restored:
                # Withdrawn earlier, the district's again: back in its plan (its old
                # sub-tasks stay withdrawn; the district splits the task anew).
                mine.status = TaskStatus.CONFIRMED
                audit.record_event(mine, "cascade_restored", data={"city_task": city_task.pk})
            if changed or restored:
                for f in changed:
                    setattr(mine, f, getattr(city_task, f))
                mine.save()
                updated += 1
        audit.record_event(
            plan,
            "plan_cascaded",
            data={"city_plan": city_plan.pk, "created": created, "updated": updated},
        )
    return Cascade(plan=plan, created=created, updated=updated)


def assignable_units(plan: Plan) -> QuerySet:
    """The units a plan's tasks may be assigned to: any unit in the city's plans, the
    district and its departments in a district's plan."""
    qs = Unit.objects.filter(is_active=True)
    if plan.owner_unit_id is None:
        return qs
    return qs.filter(pk__in=unit_family(plan.owner_unit))


def breakdown(city_task: Task) -> list[Task]:
    """The district tasks carrying out a city task, with their plan, district and lead."""
    return list(
        city_task.downstream.select_related("plan__owner_unit", "assignment__lead_unit").order_by(
            "plan__owner_unit__sort_order", "id"
        )
    )


# -- withdrawal (撤回) --------------------------------------------------------------------------


def task_tree(task: Task) -> list[Task]:
    """The task and every sub-task below it, the task first (one query per level)."""
    tree, level = [task], [task.pk]
    while level:
        children = list(
            Task.objects.filter(parent_id__in=level).exclude(pk__in=[t.pk for t in tree])
        )
        tree.extend(children)
        level = [c.pk for c in children]
    return tree


def cancel_tree(task: Task, *, event: str, reason: str, data: dict[str, Any]) -> int:
    """Mark the task and its sub-tasks cancelled, each saved (audited); the event on the
    task. The caller holds the transaction and the actor. The number cancelled."""
    n = 0
    for node in task_tree(task):
        if node.status != TaskStatus.CANCELLED:
            node.status = TaskStatus.CANCELLED
            node.save()
            n += 1
    audit.record_event(task, event, note=reason, data={**data, "cancelled": n})
    return n


def withdraw_from_districts(
    city_task: Task, *, keep: set[int], actor: Any, reason: str
) -> list[Task]:
    """撤回: withdraw the district copies of ``city_task`` whose district (or one of its
    departments) is no longer among ``keep``, the task's units now (empty: all of them).

    Called inside the city's service (assign, cancel), in its transaction.
    """
    copies = list(
        city_task.downstream.exclude(status=TaskStatus.CANCELLED).select_related("plan__owner_unit")
    )
    withdrawn = []
    with audit.acting_as(actor):
        for copy in copies:
            district = copy.plan.owner_unit
            if district is None or (keep and unit_family(district) & keep):
                continue
            cancel_tree(
                copy,
                event="cascade_withdrawn",
                reason=reason,
                data={"city_task": city_task.pk, "district": district.pk},
            )
            withdrawn.append(copy)
    return withdrawn


def after_assignment(task: Task, *, units: list[Unit], before: set[int], actor: Any) -> set[int]:
    """What a (re-)assignment means for this instance's districts, in the assignment's
    transaction; the unit ids the task lost (for the remote districts' announcement).

    ``units`` are the task's units now (lead first), ``before`` the ids it had. A district
    dropped from the task has its copy withdrawn. Nothing is read when no unit was
    dropped, so the hot path (a task book of thousands of rows assigned at once) pays no
    query here.
    """
    now = {u.pk for u in units}
    removed = before - now
    if removed:
        withdraw_from_districts(
            task, keep=now, actor=actor, reason=_("市级任务已改派，不再由本区县承办。")
        )
    return removed
