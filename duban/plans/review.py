"""Reviewing the engine's proposals before a plan is confirmed (任务分解审核).

The engine proposes tasks; the office accepts, rejects, edits, merges, splits and moves
them, adds what the engine missed, picks each task's lead unit, and confirms the plan
(立项). Every function here is a service: one transaction, office only (checked with
``access``), audited by the models plus an explicit business event.

Choices worth knowing:

- *Accepting* a task sets it to ``confirmed`` at once; confirming the plan accepts every
  task still ``proposed``. A rejected task stays in the plan for the record, so its
  ``extraction_key`` keeps re-extraction from proposing it again.
- *Editing* a task's text keeps its ``extraction_key`` (the fingerprint of the sentence it
  came from), so re-extracting the document matches the edited task, not a new one.
- *Splitting* reuses the original task for the first part (it keeps its id, code, history
  and chosen lead) and adds the other parts as new proposals with the same source span.
- *Merging* keeps the first task and rejects the others with a note naming the survivor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils.translation import gettext as _

from duban.core import audit
from duban.documents.models import Document
from duban.extract.errors import ExtractError
from duban.extract.units import is_bundle
from duban.org.models import Unit
from duban.org.unitnames import EXACT, UnitNames
from duban.plans import access
from duban.plans.choices import TaskStatus
from duban.plans.models import Assignment, FrameworkNode, Plan, Task
from duban.plans.services import assign_task, confirm_plan, extraction_key, propose_plan

# Statuses a reviewer may still change; once a task is being worked on it is supervision's.
REVIEWABLE = (TaskStatus.PROPOSED, TaskStatus.CONFIRMED, TaskStatus.REJECTED)
_UNSET: Any = object()


class ReviewError(ValueError):
    """A review step that the rules refuse; ``str()`` is a message for the reviewer."""


def _require_task(actor: Any, task: Task) -> None:
    access.require(actor, "edit", task)
    if task.status not in REVIEWABLE:
        raise ReviewError(_("任务 {code} 已进入推进阶段，不能再审核修改。").format(code=task.code))


def _require_office(actor: Any) -> None:
    """Plan-level review steps have no task to ask about: only the office may do them."""
    access.require_office(actor, "edit")


def _has_assignment(task: Task) -> bool:
    return Assignment.objects.filter(task=task).exists()


def _set_note(task: Task, note: str, **extra: Any) -> None:
    review = dict(task.extracted.get("review") or {})
    review["note"] = note
    review.update(extra)
    task.extracted = {**task.extracted, "review": review}


def review_note(task: Task) -> str:
    """The reviewer's note on a task (「已合并入 1.2」), or ``""``."""
    return str((task.extracted or {}).get("review", {}).get("note", ""))


def _renumber(plan: Plan, node: FrameworkNode | None) -> None:
    """Number the live tasks of one node 1, 2, 3 … in their order; rejected ones keep theirs."""
    prefix = node.code if node is not None and node.code else "0"
    tasks = plan.tasks.filter(framework_node=node, parent=None).exclude(status=TaskStatus.REJECTED)
    for i, task in enumerate(tasks.order_by("sort_order", "id"), start=1):
        code = f"{prefix}.{i}"
        if task.code != code:
            task.code = code
            task.save()


def _next_sort(plan: Plan) -> int:
    return (plan.tasks.aggregate(m=Max("sort_order"))["m"] or 0) + 1


@transaction.atomic
def accept_task(task: Task, *, actor: Any) -> Task:
    """采纳: the task goes into the plan (also restores a rejected task)."""
    _require_task(actor, task)
    if task.status == TaskStatus.CONFIRMED:
        return task
    with audit.acting_as(actor):
        task.status = TaskStatus.CONFIRMED
        task.save()
        audit.record_event(task, "task_accepted")
    return task


@transaction.atomic
def reject_task(task: Task, *, actor: Any, note: str = "") -> Task:
    """驳回: the task stays in the plan for the record, with the reviewer's note."""
    _require_task(actor, task)
    if _has_assignment(task):
        raise ReviewError(_("任务 {code} 已交办，不能驳回。").format(code=task.code))
    with audit.acting_as(actor):
        task.status = TaskStatus.REJECTED
        if note:
            _set_note(task, note)
        task.save()
        audit.record_event(task, "task_rejected", note=note)
    return task


@transaction.atomic
def edit_task(
    task: Task,
    *,
    actor: Any,
    version: int,
    text: str = _UNSET,
    deadline: dt.date | None = _UNSET,
    deadline_text: str = _UNSET,
) -> Task:
    """Change a proposal's wording or deadline; a stale ``version`` raises ConflictError."""
    from duban.core.models import ConflictError

    _require_task(actor, task)
    if int(version) != task.version:
        raise ConflictError(task, int(version), task.version)
    values: dict[str, Any] = {}
    if text is not _UNSET:
        text = str(text).strip()
        if not text:
            raise ReviewError(_("任务内容不能为空。"))
        values["text"] = text
    if deadline is not _UNSET:
        values["deadline"] = deadline
    if deadline_text is not _UNSET:
        values["deadline_text"] = str(deadline_text).strip()[:100]
    with audit.acting_as(actor):
        for key, value in values.items():
            setattr(task, key, value)
        task.save()
    return task


def _join(texts: Sequence[str]) -> str:
    parts = [t.strip().rstrip("。；;") for t in texts if t.strip()]
    ends_with_stop = any(t.strip().endswith("。") for t in texts)
    return "；".join(parts) + ("。" if ends_with_stop else "")


@transaction.atomic
def merge_tasks(tasks: Sequence[Task], *, actor: Any, text: str | None = None) -> Task:
    """合并: keep the first task, join the texts with 「；」, reject the others with a note."""
    tasks = list(tasks)
    if len(tasks) < 2:
        raise ReviewError(_("请至少选择两条任务进行合并。"))
    if len({t.pk for t in tasks}) != len(tasks):
        raise ReviewError(_("同一任务不能与自身合并。"))
    for t in tasks:
        _require_task(actor, t)
    first, others = tasks[0], tasks[1:]
    if any(t.plan_id != first.plan_id for t in others):
        raise ReviewError(_("只能合并同一方案中的任务。"))
    if any(t.status == TaskStatus.REJECTED for t in tasks):
        raise ReviewError(_("已驳回的任务不能合并。"))
    if any(_has_assignment(t) for t in others):
        raise ReviewError(_("已交办的任务不能被合并。"))
    merged_text = (text or "").strip() or _join([t.text for t in tasks])
    with audit.acting_as(actor):
        first.text = merged_text
        docs = {t.source_document_id for t in tasks}
        # One source span covering all parts, but only when it is one text to point into.
        if len(docs) == 1 and None not in docs and all(t.source_start is not None for t in tasks):
            first.source_start = min(t.source_start for t in tasks)
            first.source_end = max(t.source_end for t in tasks)
        if first.deadline is None:
            dated = next((t for t in others if t.deadline is not None), None)
            if dated is not None:
                first.deadline, first.deadline_text = dated.deadline, dated.deadline_text
        first.extracted = {
            **first.extracted,
            "merged_from": [t.pk for t in others],
        }
        first.save()
        for t in others:
            t.status = TaskStatus.REJECTED
            t.save()
        for node_id in {t.framework_node_id for t in tasks}:
            _renumber(first.plan, FrameworkNode.objects.filter(pk=node_id).first())
        first.refresh_from_db()
        # The note names the survivor by its code after renumbering, as the reviewer sees it.
        for t in others:
            _set_note(t, _("已合并入 {code}").format(code=first.code), merged_into=first.pk)
            t.save()
        audit.record_event(first, "tasks_merged", data={"merged": [t.pk for t in others]})
    return first


@transaction.atomic
def split_task(task: Task, *, actor: Any, parts: Sequence[str]) -> list[Task]:
    """拆分: the original becomes the first part; the others are new proposals after it.

    Every part keeps the original's source span and section, so the reviewer still sees
    where it came from. Returns the tasks in order, the original first.
    """
    _require_task(actor, task)
    parts = [p.strip() for p in parts if p and p.strip()]
    if len(parts) < 2:
        raise ReviewError(_("拆分至少需要两条内容。"))
    if task.status == TaskStatus.REJECTED:
        raise ReviewError(_("已驳回的任务不能拆分。"))
    plan = task.plan
    extra = len(parts) - 1
    with audit.acting_as(actor):
        # Make room right after the original. sort_order is display order only, so a bulk
        # shift (no per-row audit entry, no version bump) keeps others' open edit forms valid.
        plan.tasks.filter(sort_order__gt=task.sort_order).update(sort_order=F("sort_order") + extra)
        task.text = parts[0]
        task.save()
        created = [task]
        for i, part in enumerate(parts[1:], start=1):
            created.append(
                Task.objects.create(
                    plan=plan,
                    framework_node=task.framework_node,
                    parent=task.parent,
                    text=part,
                    verb=task.verb,
                    kind=task.kind,
                    status=TaskStatus.PROPOSED,
                    source_document=task.source_document,
                    source_start=task.source_start,
                    source_end=task.source_end,
                    extraction_key=extraction_key(part),
                    deadline_text=task.deadline_text,
                    start_date=task.start_date,
                    deadline=task.deadline,
                    lead_suggestions=task.lead_suggestions,
                    extracted={
                        k: v
                        for k, v in task.extracted.items()
                        if k not in ("review", "merged_from")
                    }
                    | {"split_from": task.pk},
                    sort_order=task.sort_order + i,
                )
            )
        audit.record_event(task, "task_split", data={"parts": [t.pk for t in created]})
        _renumber(plan, task.framework_node)
    for t in created:
        t.refresh_from_db()
    return created


@transaction.atomic
def move_task(task: Task, *, actor: Any, framework_node: FrameworkNode | None) -> Task:
    """移动: put the task last under another node of the same plan and renumber both nodes."""
    _require_task(actor, task)
    if framework_node is not None and framework_node.plan_id != task.plan_id:
        raise ReviewError(_("只能移动到同一方案的框架节点下。"))
    old = task.framework_node
    if (old.pk if old else None) == (framework_node.pk if framework_node else None):
        return task
    with audit.acting_as(actor):
        task.framework_node = framework_node
        task.sort_order = _next_sort(task.plan)
        task.save()
        audit.record_event(
            task,
            "task_moved",
            data={"from": str(old) if old else "", "to": str(framework_node or "")},
        )
        _renumber(task.plan, old)
        _renumber(task.plan, framework_node)
    task.refresh_from_db()
    return task


@transaction.atomic
def add_task(
    plan: Plan,
    *,
    actor: Any,
    text: str,
    framework_node: FrameworkNode | None = None,
    deadline: dt.date | None = None,
) -> Task:
    """手工添加: a task the engine missed; it has no source span in any document."""
    _require_office(actor)
    text = (text or "").strip()
    if not text:
        raise ReviewError(_("任务内容不能为空。"))
    if framework_node is not None and framework_node.plan_id != plan.pk:
        raise ReviewError(_("只能添加到同一方案的框架节点下。"))
    with audit.acting_as(actor):
        task = Task.objects.create(
            plan=plan,
            framework_node=framework_node,
            text=text,
            status=TaskStatus.PROPOSED,
            deadline=deadline,
            extracted={"added_by_hand": True},
            sort_order=_next_sort(plan),
        )
        audit.record_event(task, "task_added")
        _renumber(plan, framework_node)
    task.refresh_from_db()
    return task


@transaction.atomic
def set_lead_from_suggestion(task: Task, *, actor: Any, unit: Unit) -> Task:
    """Record the reviewer's choice of lead unit; assigning happens on confirmation."""
    _require_task(actor, task)
    with audit.acting_as(actor):
        task.extracted = {**task.extracted, "lead_choice": {"id": unit.pk, "name": unit.name}}
        task.save()
        audit.record_event(task, "lead_chosen", data={"unit": unit.name})
    learn_from_lead(task, unit)
    return task


def learn_from_lead(task: Task, unit: Unit) -> bool:
    """Teach the site's lead weights the office's choice of ``unit`` for ``task``.

    Uses the catalog the task's document was extracted with (recorded at ingestion;
    documents from before that record used the default city catalog). A document
    extracted without a catalog, or a unit the catalog does not know, teaches nothing.
    """
    from duban.documents.services import learn_lead_choice

    doc = task.source_document
    if doc is None:
        return False
    catalog = (doc.metadata or {}).get("catalog", "city")
    if not catalog:
        return False
    suggested = [s.get("unit", "") for s in task.lead_suggestions or [] if isinstance(s, dict)]
    try:
        return learn_lead_choice(
            text=task.text,
            chosen=[unit.name, unit.short_name, *(unit.aliases or [])],
            suggested=suggested,
            catalog=catalog,
        )
    except ExtractError:
        return False  # an uploaded catalog since deleted or broken: the choice still stands


def chosen_lead_id(task: Task) -> int | None:
    choice = (task.extracted or {}).get("lead_choice") or {}
    return choice.get("id")


class UnitIndex(UnitNames):
    """Every unit by full name, short name and alias, matched exactly (the engine's
    suggestions are the catalog's own names): one query for a whole plan."""

    def resolve(self, name: str) -> Unit | None:
        return self.match(name, mode=EXACT)

    def lead_for(self, task: Task) -> Unit | None:
        """The chosen lead, else the first engine suggestion that names a known unit.

        When the engine's first suggestion is a bundle (各地各部门, 各区县), no single unit
        leads: the task is left for the office to assign rather than forced onto the
        next suggestion.
        """
        chosen = chosen_lead_id(task)
        if chosen is not None and chosen in self.by_id:
            return self.by_id[chosen]
        first = (task.lead_suggestions or [{}])[0]
        if isinstance(first, dict) and is_bundle(first.get("unit", "")):
            return None
        for suggestion in task.lead_suggestions or []:
            unit = self.resolve(suggestion.get("unit", ""))
            if unit is not None:
                return unit
        return None


@dataclass
class Confirmation:
    plan: Plan
    assigned: list[Task] = field(default_factory=list)
    unassigned: list[Task] = field(default_factory=list)


@transaction.atomic
def confirm_plan_with_assignments(plan: Plan, *, actor: Any) -> Confirmation:
    """立项并交办: accept what is still proposed, then assign each task to its lead unit.

    Tasks already assigned keep their assignment; a task whose lead cannot be resolved is
    confirmed but left for the office to assign by hand (listed in ``unassigned``).
    """
    _require_office(actor)
    confirm_plan(plan, actor=actor)
    result = Confirmation(plan=plan)
    index = UnitIndex()
    tasks = (
        plan.tasks.filter(status=TaskStatus.CONFIRMED, parent=None)
        .filter(Q(assignment__isnull=True))
        .order_by("sort_order", "id")
    )
    for task in tasks:
        unit = index.lead_for(task)
        if unit is None:
            result.unassigned.append(task)
            continue
        assign_task(task, lead_unit=unit, actor=actor)
        result.assigned.append(task)
    with audit.acting_as(actor):
        audit.record_event(
            plan,
            "plan_assigned",
            data={"assigned": len(result.assigned), "unassigned": len(result.unassigned)},
        )
    return result


@dataclass
class Reextraction:
    plan: Plan
    added: int = 0
    relinked: int = 0
    kept: int = 0


@transaction.atomic
def reextract(plan: Plan, document: Document, *, actor: Any) -> Reextraction:
    """Bring an edited document (a re-upload, already read by the engine) into ``plan``.

    Tasks are matched by ``extraction_key``: a sentence the plan already has is never
    proposed again. Confirmed and rejected tasks are left exactly as they are; a task
    still proposed is pointed at the new document's span so the review page shows it
    there. Sentences the plan does not have yet become new proposals.
    """
    _require_office(actor)
    if document.extraction is None:
        raise ReviewError(_("文件“{title}”尚未解析。").format(title=document.title))
    before = set(plan.tasks.values_list("pk", flat=True))
    spans = {
        extraction_key(item["text"]): item["source"]
        for item in document.extraction.get("tasks", [])
    }
    with audit.acting_as(actor):
        propose_plan(document, plan=plan, actor=actor)
        result = Reextraction(plan=plan)
        result.added = plan.tasks.exclude(pk__in=before).count()
        for task in plan.tasks.filter(pk__in=before, extraction_key__in=list(spans)):
            if task.status != TaskStatus.PROPOSED:
                result.kept += 1
                continue
            source = spans[task.extraction_key]
            if (task.source_document_id, task.source_start, task.source_end) != (
                document.pk,
                source["start"],
                source["end"],
            ):
                task.source_document = document
                task.source_start, task.source_end = source["start"], source["end"]
                task.save()
                result.relinked += 1
        audit.record_event(
            plan,
            "plan_reextracted",
            data={
                "document": document.pk,
                "added": result.added,
                "relinked": result.relinked,
                "kept": result.kept,
            },
        )
    return result
