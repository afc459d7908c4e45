"""Supervision's receivers of plans' signals (duban/plans/signals.py): they run at the
moment plans' services used to call supervision, in the same transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from duban.org.services import create_user
from duban.plans.models import Assignment, Milestone, Task
from duban.plans.services import assign_task, complete_milestone
from duban.supervision import cascade_remote, lights

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticking(units, office_user, task):
    """A task led by 市商务局, a clerk of that unit, and a stage of the task due a month ago."""
    assign_task(task, lead_unit=units["sw"], actor=office_user)
    clerk = create_user("sw_clerk", password="pw-clerk-1", unit=units["sw"], role="clerk")
    due = timezone.localdate() - dt.timedelta(days=30)
    milestone = Milestone.objects.create(task=task, name="方案制定", due_date=due)
    return task, clerk, milestone


def test_ticking_a_stage_recomputes_the_light_at_once(ticking):
    task, clerk, milestone = ticking
    # A light no rule gives: only a recompute can replace it.
    Task.objects.filter(pk=task.pk).update(light="red", light_reason="旧的亮灯原因")
    complete_milestone(Milestone.objects.get(pk=milestone.pk), actor=clerk)
    task.refresh_from_db()
    assert task.light_reason != "旧的亮灯原因"
    assert (task.light, task.light_reason) == tuple(lights.recompute_task_light(task))


def test_a_failing_recompute_rolls_the_stage_back(ticking, monkeypatch):
    task, clerk, milestone = ticking

    def broken(task, **kwargs):
        raise RuntimeError("light rules broke")

    monkeypatch.setattr(lights, "recompute_task_light", broken)
    with pytest.raises(RuntimeError):
        complete_milestone(Milestone.objects.get(pk=milestone.pk), actor=clerk)
    assert Milestone.objects.get(pk=milestone.pk).done_at is None


def test_assigning_announces_the_task_to_its_units_and_fails_with_it(
    units, office_user, task, monkeypatch
):
    heard = []
    monkeypatch.setattr(
        cascade_remote,
        "announce_assignment",
        lambda task, units, removed=(): heard.append({u.pk for u in units}),
    )
    assign_task(task, lead_unit=units["sw"], co_units=[units["cz"]], actor=office_user)
    assert heard == [{units["sw"].pk, units["cz"].pk}]

    def broken(task, units, removed=()):
        raise RuntimeError("outbox broke")

    monkeypatch.setattr(cascade_remote, "announce_assignment", broken)
    with pytest.raises(RuntimeError):
        assign_task(task, lead_unit=units["fgw"], actor=office_user)
    assert Assignment.objects.get(task=task).lead_unit == units["sw"]
