"""Step 4, commit: one transaction, all rows or none, audited in bulk."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from duban.core import audit, bulk, faults
from duban.plans import signals
from duban.plans.models import Assignment, FrameworkNode, Plan, Task
from duban.plans.taskbook.common import (
    ProgressCallback,
    TaskbookError,
)
from duban.plans.taskbook.dryrun import (
    ImportPreview,
)

# -- commit ---------------------------------------------------------------------------


#: Rows per bulk INSERT: under SQLite's limit on query parameters with every column.
BULK_BATCH = 500


def commit_import(
    preview: ImportPreview, *, actor: Any, on_progress: ProgressCallback | None = None
) -> Plan:
    """Write the previewed plan: all rows or none, in one transaction, audited.

    Refuses (:class:`TaskbookError`) when the preview has errors. Tasks are created as
    proposals (待审核) like the engine's, so 立项 (:func:`confirm_plan`) stays one step.
    """
    if preview.committed:
        raise TaskbookError("这份预览已经导入过了，请勿重复导入。")
    if preview.errors:
        raise TaskbookError(f"有 {len(preview.errors)} 处错误，未导入任何内容；请修改后重新导入。")
    total = len(preview.tasks)
    with transaction.atomic(), audit.acting_as(actor):
        plan = preview.plan
        if plan is None:
            plan = Plan.objects.create(
                title=preview.title[:200] or "导入的任务分解表", year=preview.year
            )
        else:
            plan = Plan.objects.select_for_update().get(pk=plan.pk)
            clash = set(plan.tasks.values_list("code", flat=True)) & {t.code for t in preview.tasks}
            if clash:
                raise TaskbookError(
                    "方案中已有编号为 {codes} 的任务（可能在预览后被他人添加），未导入。".format(
                        codes="、".join(sorted(clash)[:5])
                    )
                )
        # The plan's own headings first: tasks may name them by code without the file
        # repeating them.
        nodes: dict[str, FrameworkNode] = {n.code: n for n in plan.framework_nodes.all()}
        order = len(nodes)
        for draft in preview.nodes:
            if draft.existing_id is not None:
                continue
            order += 1
            nodes[draft.code] = FrameworkNode.objects.create(
                plan=plan,
                parent=nodes.get(draft.parent_code) if draft.parent_code else None,
                name=draft.name,
                code=draft.code[:30],
                kind="section",
                sort_order=order,
            )
        # Thousands of rows: bulk inserts with their audit rows written in bulk beside them
        # (the same entries the services would write one by one: task and assignment
        # created, co-units set, task assigned), a few statements per 500 rows.
        sort = plan.tasks.count()
        now = timezone.now()
        tasks: list[Task] = []
        for draft in preview.tasks:
            sort += 1
            book: dict[str, Any] = {"source": preview.source, "row": draft.row}
            if draft.leader_text:
                book["leader_text"] = draft.leader_text
            if draft.stage_goals:
                book["stage_goals"] = draft.stage_goals
            extracted: dict[str, Any] = {"taskbook": book}
            if draft.items:
                extracted["items"] = [{"text": t, "verb": ""} for t in draft.items]
            tasks.append(
                Task(
                    plan=plan,
                    framework_node=nodes.get(draft.node_code) if draft.node_code else None,
                    code=draft.code[:30],
                    text=draft.text,
                    deadline_text=draft.deadline_text[:100],
                    deadline=draft.deadline,
                    measures=draft.measures,
                    extracted=extracted,
                    sort_order=sort,
                )
            )
        through = Assignment.co_units.through._meta
        link_table = through.db_table
        link_columns = [through.get_field("assignment").column, through.get_field("unit").column]
        for start in range(0, total, BULK_BATCH):
            batch = tasks[start : start + BULK_BATCH]
            drafts = preview.tasks[start : start + BULK_BATCH]
            Task.objects.bulk_create(batch)
            entries = [audit.created(t) for t in batch]
            assignments = [
                Assignment(
                    task=t, lead_unit=d.lead_unit, leader_in_charge=d.leader, assigned_at=now
                )
                for t, d in zip(batch, drafts, strict=True)
                if d.lead_unit is not None
            ]
            Assignment.objects.bulk_create(assignments)
            links = []
            for a, d in zip(
                assignments, [d for d in drafts if d.lead_unit is not None], strict=True
            ):
                entries.append(audit.created(a))
                co = sorted({u.pk for u in d.co_units if u.pk != a.lead_unit_id})
                links += [(a.pk, pk) for pk in co]
                if co:
                    entries.append(
                        audit.entry(a, "update", before={"co_units": []}, after={"co_units": co})
                    )
                entries.append(
                    audit.entry(
                        a.task,
                        "event",
                        event="task_assigned",
                        after=audit.jsonable({"lead_unit": str(a.lead_unit)}),
                    )
                )
            bulk.insert_rows(link_table, link_columns, links)  # pairs of ids, no instances
            audit.write_all(entries)
            if on_progress is not None:
                on_progress(min(start + BULK_BATCH, total), total)
        # A district running its own duban hears of the book's tasks assigned to it.
        signals.book_assigned.send(
            Task,
            rows=[
                (t, [d.lead_unit, *d.co_units])
                for t, d in zip(tasks, preview.tasks, strict=True)
                if d.lead_unit is not None
            ],
        )
        audit.record_event(
            plan,
            "taskbook_imported",
            data={
                "source": preview.source,
                "nodes": len(preview.new_nodes),
                "tasks": total,
                "assignments": len(preview.assignments),
            },
        )
        faults.pause("taskbook.commit")  # fault tests: every row written, none committed
    preview.committed = True
    return plan
