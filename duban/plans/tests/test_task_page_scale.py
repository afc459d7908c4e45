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

    def queries_for(units: int, reports: int, prefix: str) -> tuple[int, int, str]:
        data = build_dataset(units=units, tasks=4, reports=reports, prefix=prefix, title=prefix)
        task = Task.objects.filter(plan_id=data["plan_id"]).first()
        client.get(f"/tasks/{task.pk}/")
        with CaptureQueriesContext(connection) as ctx:
            client.get(f"/tasks/{task.pk}/")
        # The reassignment form, fetched when the office opens it (htmx).
        with CaptureQueriesContext(connection) as form_ctx:
            form = client.get(f"/tasks/{task.pk}/assign/", HTTP_HX_REQUEST="true")
        return len(ctx.captured_queries), len(form_ctx.captured_queries), form.content.decode()

    small, small_form, _ = queries_for(3, 8, "小")
    big, big_form, form = queries_for(120, 80, "大")
    assert small == big
    assert small_form == big_form
    assert form.count("<option") >= 2 * 120  # lead unit and co-units list every unit
