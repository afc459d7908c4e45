"""Supervision's answers to what happens in plans (``duban/plans/signals.py``).

Connected once in ``SupervisionConfig.ready()``; each runs in the sender's transaction,
where the call used to be written in ``plans.services``.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from duban.org.choices import UnitKind
from duban.org.models import Unit
from duban.plans.models import Task
from duban.plans.signals import book_assigned, milestone_changed, task_assigned, task_cancelled
from duban.supervision import cascade_remote, lights


@receiver(task_assigned, dispatch_uid="supervision.announce_assignment")
def announce_to_remote_districts(
    sender: Any, *, task: Task, units: list[Unit], removed: set[int], **_: Any
) -> None:
    """A district on its own instance (区县) gets the task as a signed webhook, and one the
    task was taken from gets its withdrawal."""
    cascade_remote.announce_assignment(task, units, removed=removed)


@receiver(book_assigned, dispatch_uid="supervision.announce_book")
def announce_book_to_remote_districts(
    sender: Any, *, rows: list[tuple[Task, list[Unit]]], **_: Any
) -> None:
    """The same for a task book's import: one look-up for the whole book, and none unless
    a district is among its units."""
    districts = {u.pk for _t, units in rows for u in units if u.kind == UnitKind.DISTRICT}
    if not districts:
        return
    endpoints = cascade_remote.district_endpoints(districts)
    if not endpoints:
        return
    for task, units in rows:
        if any(u.pk in endpoints for u in units):
            cascade_remote.announce_assignment(task, units, endpoints=endpoints)


@receiver(task_cancelled, dispatch_uid="supervision.announce_withdrawal")
def announce_withdrawal_to_remote_districts(
    sender: Any, *, task: Task, unit_ids: set[int], reason: str, **_: Any
) -> None:
    """A cancelled task is withdrawn from every remote district that had it."""
    cascade_remote.announce_withdrawal(task, unit_ids, reason=reason)


@receiver(milestone_changed, dispatch_uid="supervision.recompute_after_milestone")
def recompute_light_after_milestone(sender: Any, *, task: Task, **_: Any) -> None:
    """A stage done or undone changes the light at once, not at the nightly recompute."""
    lights.recompute_task_light(Task.objects.get(pk=task.pk))
