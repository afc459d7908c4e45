"""Business rules for plans and tasks: one transaction each, audited.

Pages, the API, the CLI, importers and the worker call these functions; none of them
writes tasks on its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from duban.core import audit
from duban.core.errors import InputError
from duban.documents.models import Document
from duban.org.models import Unit
from duban.plans import access, cascade, signals
from duban.plans.cascade import unit_family
from duban.plans.choices import PlanStatus, TaskKind, TaskStatus
from duban.plans.models import Assignment, FrameworkNode, Milestone, Plan, Task

_SPACE = re.compile(r"\s+")


def extraction_key(text: str) -> str:
    """A fingerprint of a task's wording that survives whitespace edits of the document."""
    return hashlib.sha256(_SPACE.sub("", text).encode("utf-8")).hexdigest()[:32]


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@transaction.atomic
def propose_plan(
    document: Document,
    *,
    actor: Any,
    title: str = "",
    year: int | None = None,
    plan: Plan | None = None,
) -> Plan:
    """Turn a document's extraction into proposed framework nodes and tasks (office only).

    Running it again for the same plan adds only tasks whose fingerprint the plan does not
    have yet, so re-extracting an edited document never duplicates confirmed tasks.
    """
    access.require_actor(actor, "propose_plan")
    extraction = document.extraction or {}
    if plan is None:
        plan = Plan.objects.create(
            title=title or document.title,
            year=year or (document.doc_date.year if document.doc_date else None),
        )
    plan.documents.add(document)

    nodes: dict[str, FrameworkNode] = {
        n.name: n for n in plan.framework_nodes.filter(kind="section")
    }
    order = plan.framework_nodes.count()
    for article in extraction.get("articles", []):
        for section in article.get("sections", []):
            name = section["title"]
            if name and name not in nodes:
                order += 1
                nodes[name] = FrameworkNode.objects.create(
                    plan=plan, name=name[:200], kind="section", code=str(order), sort_order=order
                )

    known = set(plan.tasks.values_list("extraction_key", flat=True))
    counters: dict[str, int] = {}
    next_sort = plan.tasks.count()
    for item in extraction.get("tasks", []):
        key = extraction_key(item["text"])
        if key in known:
            continue
        known.add(key)
        node = nodes.get(item.get("section") or "")
        prefix = node.code if node else "0"
        counters[prefix] = counters.get(prefix, plan.tasks.filter(framework_node=node).count()) + 1
        next_sort += 1
        deadline = item.get("deadline") or {}
        targets = item.get("targets") or []
        Task.objects.create(
            plan=plan,
            framework_node=node,
            code=f"{prefix}.{counters[prefix]}",
            text=item["text"],
            verb=item.get("verb") or "",
            kind=TaskKind.INDICATOR if item.get("kind") == "indicator" else TaskKind.TASK,
            status=TaskStatus.PROPOSED,
            source_document=document,
            source_start=item["source"]["start"],
            source_end=item["source"]["end"],
            extraction_key=key,
            deadline_text=(deadline.get("text") or "")[:100],
            start_date=_date(deadline.get("start")),
            deadline=_date(deadline.get("end")),
            target_value=(targets[0]["value"] if targets else "")[:50],
            lead_suggestions=item.get("lead_suggestions") or [],
            extracted={
                "pillar": item.get("pillar"),
                "framework": item.get("framework"),
                "actors": item.get("actors") or [],
                "targets": targets,
                # The commitment's clauses: folded under the task on the review page,
                # and the default parts when the office splits it.
                "items": [
                    {"text": i["text"], "verb": i.get("verb") or ""}
                    for i in item.get("items") or []
                    if i.get("text")
                ],
                # Suggested 配合单位 and 分管领导, shown beside the lead on the review page.
                "co_units": [c["unit"] for c in item.get("co_units") or [] if c.get("unit")],
                "leader": (item.get("leader") or {}).get("name") or "",
            },
            sort_order=next_sort,
        )
    return plan


@transaction.atomic
def confirm_plan(plan: Plan, *, actor: Any) -> Plan:
    """立项: accept every proposed task that was not rejected, and lock the plan in."""
    access.require_actor(actor, "confirm_plan")
    with audit.acting_as(actor):
        for task in plan.tasks.filter(status=TaskStatus.PROPOSED):
            task.status = TaskStatus.CONFIRMED
            task.save()
        plan.status = PlanStatus.CONFIRMED
        plan.confirmed_at = timezone.now()
        plan.confirmed_by = actor
        plan.save()
        audit.record_event(plan, "plan_confirmed", data={"tasks": plan.tasks.count()})
    return plan


@transaction.atomic
def assign_task(
    task: Task,
    *,
    lead_unit: Unit,
    co_units: Iterable[Unit] = (),
    leader: Any = None,
    actor: Any,
) -> Assignment:
    """交办: one lead unit, any co-units (never the lead itself), the leader in charge."""
    access.require_actor(actor, "assign", task)
    co_units = list(co_units)
    if task.plan.owner_unit_id is not None:
        # A district assigns its plan within the district (区县 → its departments).
        family = unit_family(task.plan.owner_unit)
        if lead_unit.pk not in family or any(u.pk not in family for u in co_units):
            raise InputError("区县方案的任务只能交办给本区县及其部门。")
    with audit.acting_as(actor):
        now = timezone.now()
        assignment = Assignment.objects.filter(task=task).first()
        before: set[int] = set()  # the task's units until now
        old_co: list[int] = []
        if assignment is None:
            # One insert with every field: importing a 5,000-row book assigns 5,000 tasks.
            assignment = Assignment.objects.create(
                task=task, lead_unit=lead_unit, leader_in_charge=leader, assigned_at=now
            )
        else:
            old_co = list(assignment.co_units.values_list("pk", flat=True))
            before = {assignment.lead_unit_id, *old_co}
            assignment.lead_unit = lead_unit
            assignment.leader_in_charge = leader
            assignment.assigned_at = now
            assignment.save()
        wanted = [u for u in co_units if u.pk != lead_unit.pk]
        if wanted or old_co:
            assignment.co_units.set(wanted)
        audit.record_event(task, "task_assigned", data={"lead_unit": str(lead_unit)})
        # A district dropped from the task has its copy withdrawn; supervision tells a
        # district on its own instance (区县) with a signed webhook.
        units = [lead_unit, *wanted]
        removed = cascade.after_assignment(task, units=units, before=before, actor=actor)
        signals.task_assigned.send(Task, task=task, units=units, removed=removed)
    return assignment


@transaction.atomic
def cancel_task(task: Task, *, actor: Any, reason: str) -> Task:
    """撤销: the office takes a live task out of its plan, with a reason.

    The task and its sub-tasks stay on record, cancelled: no light, no report owed, not
    counted. Every district's copy is withdrawn (撤回), on this instance or a remote one.
    """
    access.require(actor, "edit", task)
    reason = (reason or "").strip()
    if not reason:
        raise InputError(gettext("撤销任务时请写明原因。"))
    if task.status == TaskStatus.CANCELLED:
        raise InputError(gettext("任务已撤销。"))
    if task.status == TaskStatus.CLOSED:
        raise InputError(gettext("任务已办结，不能撤销。"))
    with audit.acting_as(actor):
        cascade.cancel_tree(task, event="task_cancelled", reason=reason, data={})
        cascade.withdraw_from_districts(task, keep=set(), actor=actor, reason=reason)
        lead, co = access.task_units(task)
        signals.task_cancelled.send(Task, task=task, unit_ids={lead, *co} - {None}, reason=reason)
    return task


EDITABLE = ("text", "deadline", "deadline_text", "measures", "target_value")


@transaction.atomic
def update_task(task: Task, *, actor: Any, version: int, **values: Any) -> Task:
    """The office edits a task; a stale ``version`` raises ConflictError and changes nothing."""
    from duban.core.models import ConflictError

    access.require(actor, "edit", task)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"不可修改的字段: {sorted(unknown)}")
    if int(version) != task.version:
        raise ConflictError(task, int(version), task.version)
    if "text" in values and not str(values["text"]).strip():
        raise ValueError("任务内容不能为空。")
    with audit.acting_as(actor):
        for key, value in values.items():
            setattr(task, key, value)
        task.save()
    return task


@transaction.atomic
def add_subtask(
    parent: Task,
    *,
    actor: Any,
    text: str,
    deadline: dt.date | None = None,
    responsible: str = "",
) -> Task:
    """A lead unit refines its task into a sub-task or measure, owned by the same unit.

    The sub-task inherits the parent's plan, framework node and lead unit; its deadline may
    not be later than the parent's (a measure cannot finish after its task).
    """

    access.require(actor, "split", parent)
    text = text.strip()
    if not text:
        raise ValueError("请填写分解任务的内容。")
    if deadline and parent.deadline and deadline > parent.deadline:
        raise ValueError(f"分解任务的完成时限不能晚于上级任务（{parent.deadline}）。")
    lead_id, _co = access.task_units(parent)
    if lead_id is None:
        raise ValueError("上级任务尚未交办，不能分解。")
    with audit.acting_as(actor):
        n = Task.objects.filter(parent=parent).count() + 1
        child = Task.objects.create(
            plan=parent.plan,
            parent=parent,
            framework_node=parent.framework_node,
            code=f"{parent.code}.{n}" if parent.code else str(n),
            text=text,
            kind=TaskKind.TASK,
            status=TaskStatus.CONFIRMED,
            start_date=parent.start_date,
            deadline=deadline or parent.deadline,
            deadline_text="" if deadline else parent.deadline_text,
            sort_order=parent.sort_order,
        )
        Assignment.objects.create(
            task=child,
            lead_unit_id=lead_id,
            leader_in_charge=parent.assignment.leader_in_charge,
            responsible_text=responsible[:200],
            assigned_at=timezone.now(),
        )
        audit.record_event(parent, "task_split", data={"child": child.pk, "code": child.code})
    return child


@transaction.atomic
def complete_milestone(
    milestone: Milestone, *, actor: Any, done_at: dt.date | None = None, undo: bool = False
) -> Milestone:
    """The lead unit marks a stage (阶段目标) done, or undoes that; the light follows.

    Co-units report their part but do not tick the lead unit's milestones.
    """

    task = milestone.task
    access.require(actor, "report", task)
    lead_id, _co = access.task_units(task)
    if access.acting_unit(actor, task, "report") != lead_id:
        raise access.NotAllowed("complete_milestone")
    today = timezone.localdate()
    if done_at and done_at > today:
        raise ValueError("完成日期不能晚于今天。")
    with audit.acting_as(actor):
        milestone.done_at = None if undo else (done_at or today)
        milestone.save()
        audit.record_event(
            task,
            "milestone_undone" if undo else "milestone_done",
            note=milestone.name,
            data={"milestone": milestone.pk},
        )
    # Supervision recomputes the light (duban/supervision/receivers.py).
    signals.milestone_changed.send(Task, task=task)
    return milestone


def lights_stamp() -> str:
    """When a light last changed anywhere: pages that show lights are kept per this stamp
    (duban/core/pagecache.py), since the recompute writes lights past the audit log."""
    from django.db.models import Max

    newest = Task.objects.aggregate(newest=Max("light_updated_at"))["newest"]
    return newest.isoformat() if newest else ""
