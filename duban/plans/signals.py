"""What happens to a task that the apps above plans act on, as Django signals.

``plans`` sits below ``supervision`` (lights, notices, the district webhooks), so its
services do not call those apps: they send a signal at the moment something happened, in
the same transaction, and the app above connects its receiver in ``AppConfig.ready()``
(``duban/supervision/receivers.py``). ``send`` (not ``send_robust``): a receiver's error
rolls the service back, as a direct call did.

- ``task_assigned(task, unit_ids)``: the task was assigned (交办) to a lead unit and
  co-units (``unit_ids``, all of them); sent inside the actor's audit context.
- ``milestone_changed(task)``: a stage (阶段目标) was ticked done or undone.
"""

from __future__ import annotations

from django.dispatch import Signal

task_assigned = Signal()
milestone_changed = Signal()
