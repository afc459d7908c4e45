"""The demo loads a whole city and a plan from our own sample report; every login works."""

from __future__ import annotations

import pytest

from duban.demo.loader import DEMO_PASSWORD, load_demo
from duban.org.models import Unit, User
from duban.plans import access
from duban.plans.choices import PlanStatus
from duban.plans.models import Plan, Task


@pytest.mark.django_db
def test_demo_city_plan_and_logins(client, media_root):
    summary = load_demo()
    assert summary["city"] == "青澜市"
    assert Unit.objects.filter(kind="district").count() == 6
    assert Unit.objects.exclude(kind__in=["district", "root"]).count() >= 40
    assert {u for u, _label in summary["users"]} == {
        "office", "leader", "unitlead", "clerk", "clerk2", "viewer",
    }  # fmt: skip

    plan = Plan.objects.get()
    assert plan.status == PlanStatus.CONFIRMED
    tasks = Task.objects.filter(plan=plan)
    assert tasks.count() == summary["tasks"] >= 20
    assert not tasks.filter(assignment__isnull=True).exists()
    # The review of past work is not in the plan.
    assert not tasks.filter(text__contains="过去一年").exists()
    # Every task keeps the link to its sentence in the stored document.
    doc = plan.documents.get()
    for t in tasks[:20]:
        assert 0 <= t.source_start < t.source_end <= len(doc.normalized_text)

    for username, _label in summary["users"]:
        assert client.login(username=username, password=DEMO_PASSWORD), username
        assert client.get("/").status_code == 200
        client.logout()

    # The two clerks see different, non-empty task lists.
    clerk = set(access.visible_tasks(User.objects.get(username="clerk")))
    clerk2 = set(access.visible_tasks(User.objects.get(username="clerk2")))
    assert clerk and clerk2 and not clerk & clerk2

    # The city is at work: milestones, reports and computed lights, not a blank plan.
    from duban.plans.models import Milestone
    from duban.supervision.models import ProgressReport

    assert ProgressReport.objects.filter(task__plan=plan).exists()
    assert Milestone.objects.filter(task__plan=plan).exists()
    assert tasks.exclude(light="none").count() > tasks.count() // 2

    again = load_demo()  # idempotent
    assert again["tasks"] == summary["tasks"] and Plan.objects.count() == 1
    assert User.objects.count() == 6
