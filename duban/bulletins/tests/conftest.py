"""A plan with one assigned task and the people the bulletin rules tell apart."""

from __future__ import annotations

import pytest

from duban.org.services import create_user
from duban.plans.models import Assignment, Plan, Task


@pytest.fixture
def office_world(units, media_root, settings):
    settings.DUBAN_DOC_PREFIX = "示督办"
    plan = Plan.objects.create(title="通报方案", year=2026, status="confirmed")
    task = Task.objects.create(plan=plan, code="1.1", text="推进城市更新", status="confirmed")
    Assignment.objects.create(task=task, lead_unit=units["sw"])
    office = create_user("office", password="x", unit=units["office"], role="office")
    viewer = create_user("viewer", password="x", unit=units["root"], role="viewer")
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    other = create_user("other", password="x", unit=units["cz"], role="clerk")
    return plan, task, office, viewer, clerk, other
