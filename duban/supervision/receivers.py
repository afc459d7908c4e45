"""Supervision's answers to what happens in plans (``duban/plans/signals.py``).

Connected once in ``SupervisionConfig.ready()``; each runs in the sender's transaction,
where the call used to be written in ``plans.services``.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from duban.plans.models import Task
from duban.plans.signals import milestone_changed, task_assigned
from duban.supervision import cascade_remote, lights


@receiver(task_assigned, dispatch_uid="supervision.announce_assignment")
def announce_to_remote_districts(sender: Any, *, task: Task, unit_ids: set[int], **_: Any) -> None:
    """A district on its own instance (区县) gets the task as a signed webhook."""
    cascade_remote.announce_assignment(task, unit_ids)


@receiver(milestone_changed, dispatch_uid="supervision.recompute_after_milestone")
def recompute_light_after_milestone(sender: Any, *, task: Task, **_: Any) -> None:
    """A stage done or undone changes the light at once, not at the nightly recompute."""
    lights.recompute_task_light(Task.objects.get(pk=task.pk))
