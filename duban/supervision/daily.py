"""What the nightly recompute records per day, beside the lights themselves.

- per plan, how many tasks showed each light (``LightDaily``: the battle map's trend);
- per lead unit, how many of its tasks were red (``UnitRedDaily``: 考核's red-light days).

Lights keep no history per task; these tallies are the history the pages need.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count

from duban.plans.choices import WORKING_STATUSES, Light, TaskStatus
from duban.plans.models import Task
from duban.supervision.models import LightDaily, UnitRedDaily

GREEN, YELLOW, RED = Light.GREEN, Light.YELLOW, Light.RED


def record_plan_lights(plan_ids: list[int], today: dt.date) -> None:
    """Refresh today's per-plan counts (one read and one upsert per 900 plans)."""
    for i in range(0, len(plan_ids), 900):
        chunk = plan_ids[i : i + 900]
        tallies = {pk: LightDaily(date=today, plan_id=pk) for pk in chunk}
        for plan_id, light, status, n in (
            Task.objects.filter(plan_id__in=chunk)
            .order_by()
            .values_list("plan_id", "light", "status")
            .annotate(n=Count("pk"))
        ):
            row = tallies[plan_id]
            if status == TaskStatus.CLOSED:
                row.closed += n
            elif light in (GREEN, YELLOW, RED):
                setattr(row, light, getattr(row, light) + n)
        LightDaily.objects.bulk_create(
            tallies.values(),
            update_conflicts=True,
            unique_fields=["date", "plan"],
            update_fields=["green", "yellow", "red", "closed"],
        )


def record_unit_reds(today: dt.date) -> None:
    """Today's red tasks per lead unit, replacing an earlier run's (one read, one write).

    Only the city's own plans: a district's plan repeats city tasks, which would count twice.
    """
    tallies = (
        Task.objects.filter(
            light=RED,
            status__in=WORKING_STATUSES,
            assignment__isnull=False,
            plan__owner_unit__isnull=True,
        )
        .order_by()
        .values_list("assignment__lead_unit_id")
        .annotate(n=Count("pk"))
    )
    with transaction.atomic():
        UnitRedDaily.objects.filter(date=today).delete()
        UnitRedDaily.objects.bulk_create(
            [UnitRedDaily(date=today, unit_id=unit_id, red=n) for unit_id, n in tallies if unit_id]
        )
