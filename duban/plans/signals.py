"""What happens to a task that the apps above plans act on, as Django signals.

``plans`` sits below ``supervision`` (lights, notices, the district webhooks), so its
services do not call those apps: they send a signal at the moment something happened, in
the same transaction, and the app above connects its receiver in ``AppConfig.ready()``
(``duban/supervision/receivers.py``). ``send`` (not ``send_robust``): a receiver's error
rolls the service back, as a direct call did.

- ``task_assigned(task, units, removed)``: the task was assigned (交办) to a lead unit and
  co-units (``units``, Unit rows, all of them); ``removed`` are the ids of units it was
  taken from. Sent inside the actor's audit context.
- ``book_assigned(rows)``: a task book's import assigned its tasks at once; ``rows`` are
  ``(task, units)`` pairs, so a receiver can look its data up once for the whole book.
- ``task_cancelled(task, unit_ids, reason)``: the office cancelled (撤销) the task.
- ``milestone_changed(task)``: a stage (阶段目标) was ticked done or undone.
"""

from __future__ import annotations

from django.dispatch import Signal

task_assigned = Signal()
book_assigned = Signal()
task_cancelled = Signal()
milestone_changed = Signal()
