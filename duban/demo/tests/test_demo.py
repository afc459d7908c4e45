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
        "office", "leader", "unitlead", "clerk", "clerk2", "viewer", "district", "districtclerk",
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

    # 对标对表: the report's targets as indicators, with months entered and peer figures,
    # some behind their plan and lit for it.
    from duban.indicators.models import Indicator, IndicatorMonth, PeerValue

    indicators = Indicator.objects.filter(task__plan=plan)
    assert indicators.count() >= 8
    assert IndicatorMonth.objects.filter(actual__isnull=False).count() >= indicators.count()
    assert PeerValue.objects.values("indicator").distinct().count() == 3
    assert indicators.filter(task__light="red", task__light_reason__contains="指标").exists()

    # 领导批示件: typed ones, one carried out by a task of the plan, one overdue with no
    # task, one 报结 on time; the chasing run sends the overdue one's notice to its unit.
    from duban.instructions import services as instructions
    from duban.instructions.models import Instruction
    from duban.supervision.models import Notice
    from duban.supervision.services import run_chasing

    assert Instruction.objects.count() == 4
    linked = Instruction.objects.get(task__isnull=False)
    assert linked.task.plan == plan and linked.task.deadline == linked.reply_by
    assert linked.task.assignment.lead_unit.name == "市商务局"
    overdue = [i for i in Instruction.objects.filter(task=None) if instructions.is_overdue(i)]
    assert [i.lead_unit.name for i in overdue] == ["市教育局"]
    closed = Instruction.objects.get(status="closed")
    assert instructions.closed_on_time(closed) and closed.replies.get().status == "accepted"
    assert all(i.content and i.source_title for i in Instruction.objects.all())
    clerk = User.objects.get(username="clerk")
    assert instructions.coming_due(clerk) == 1  # the workbench's item for the demo bureau
    run_chasing()
    assert Notice.objects.get(instruction=overdue[0]).unit.name == "市教育局"

    again = load_demo()  # idempotent
    assert again["tasks"] == summary["tasks"] and Plan.objects.count() == 1
    assert Indicator.objects.count() == indicators.count()
    assert User.objects.count() == 8
    assert Instruction.objects.count() == 4


@pytest.mark.django_db
def test_province_scale_demo_adds_a_generated_plan_once_with_work_for_the_clerk(client, media_root):
    from duban.demo.loader import PROVINCE_TITLE, load_province_scale

    summary = load_province_scale(units=12, tasks=300, reports=1500)
    plan = Plan.objects.get(title=PROVINCE_TITLE)
    assert summary["province_tasks"] == plan.tasks.count() == 300
    assert summary["province_reports"] == 1500
    assert {u for u, _label in summary["users"]} >= {"office", "clerk"}
    again = load_province_scale(units=12, tasks=300, reports=1500)  # a second `duban demo`
    assert again["province_tasks"] == 300 and Plan.objects.filter(title=PROVINCE_TITLE).count() == 1

    clerk = User.objects.get(username="clerk")
    ours = plan.tasks.filter(assignment__lead_unit=clerk.memberships.get().unit)
    assert ours.count() == 3  # one task in a hundred
    assert client.login(username="clerk", password=DEMO_PASSWORD)
    assert client.get(f"/tasks/{ours.first().pk}/").status_code == 200
    theirs = plan.tasks.exclude(pk__in=ours).first()
    assert client.get(f"/tasks/{theirs.pk}/").status_code in (403, 404)


@pytest.mark.django_db
def test_province_demo_size_must_be_three_positive_numbers():
    from click.testing import CliRunner

    from duban.cli import main

    for bad in ("300,20000", "a,b,c", "0,10,10"):
        result = CliRunner().invoke(
            main, ["demo", "--scale", "province", "--size", bad, "--no-serve"]
        )
        assert result.exit_code == 2, (bad, result.output)
        assert "--size" in result.output
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_the_demo_district_has_its_office_departments_and_two_tasks_to_cascade(media_root):
    from duban.plans.cascade import cascade_to_district

    load_demo(lifelike=False)
    district_office = User.objects.get(username="district")
    district = Unit.objects.get(memberships__user=district_office)
    assert district.kind == "district" and district.children.count() == 2
    clerk = User.objects.get(username="districtclerk")
    assert clerk.memberships.get().unit.parent == district
    plan = Plan.objects.get()
    assert access.visible_tasks(district_office).count() == 2
    done = cascade_to_district(plan, district, actor=User.objects.get(username="office"))
    assert done.created == 2
    assert access.visible_tasks(district_office).count() == 4
