"""The office's task page stays the same work with a province's units and reports:
a fixed number of queries, whatever the size (issue "Performance and scale-out")."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.battlemap.synthetic import build_dataset
from duban.org.models import Unit
from duban.org.services import create_user
from duban.plans.models import Task


@pytest.mark.django_db
def test_task_page_query_count_does_not_grow_with_units_or_reports(client):
    office_unit = Unit.objects.create(name="省委督查室", kind="office")
    office = create_user("office", password="Office-pass-1", unit=office_unit, role="office")
    client.force_login(office)

    def queries_for(units: int, reports: int, prefix: str) -> tuple[int, str]:
        data = build_dataset(units=units, tasks=4, reports=reports, prefix=prefix, title=prefix)
        task = Task.objects.filter(plan_id=data["plan_id"]).first()
        client.get(f"/tasks/{task.pk}/")
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(f"/tasks/{task.pk}/").content.decode()
        return len(ctx.captured_queries), body

    small, _ = queries_for(3, 8, "小")
    big, body = queries_for(120, 80, "大")
    assert small == big
    assert body.count("<option") >= 2 * 120  # lead unit and co-units list every unit
