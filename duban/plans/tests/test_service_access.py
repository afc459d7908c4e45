"""Defence in depth: services that change state check their actor themselves, through
``plans/access.py``, so a page or command that forgets its own check still cannot write;
uploads have no URL that skips the permission checks, even with DEBUG on."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import get_resolver
from django.views.static import serve

from duban.documents.services import ingest_document
from duban.plans import access
from duban.plans.choices import PlanStatus
from duban.plans.models import Assignment, Plan
from duban.plans.services import assign_task, confirm_plan, propose_plan

pytestmark = pytest.mark.django_db

REPORT = "一、稳增长\n要加快建设城市更新重点工程。\n要着力抓项目强投资。\n"


@pytest.fixture
def people(units):
    from duban.org.services import create_user

    return {
        "office": create_user("office", password="x", unit=units["office"], role="office"),
        "leader": create_user("leader", password="x", unit=units["office"], role="leader"),
        "unitlead": create_user("lead", password="x", unit=units["sw"], role="unit_leader"),
        "clerk": create_user("clerk", password="x", unit=units["sw"], role="clerk"),
    }


@pytest.fixture
def document(media_root):
    return ingest_document(REPORT.encode("utf-8"), filename="安排.txt", catalog=None)


@pytest.mark.parametrize("who", ["leader", "unitlead", "clerk", "anonymous"])
def test_only_the_office_proposes_and_confirms_a_plan(people, document, who):
    actor = AnonymousUser() if who == "anonymous" else people[who]
    with pytest.raises(access.NotAllowed):
        propose_plan(document, title="方案", actor=actor)
    assert not Plan.objects.exists()
    plan = propose_plan(document, title="方案", actor=people["office"])
    with pytest.raises(access.NotAllowed):
        confirm_plan(plan, actor=actor)
    plan.refresh_from_db()
    assert plan.status != PlanStatus.CONFIRMED
    confirm_plan(plan, actor=people["office"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CONFIRMED


@pytest.mark.parametrize("who", ["leader", "unitlead", "clerk", "anonymous"])
def test_only_the_office_assigns(people, units, task, who):
    assign_task(task, lead_unit=units["sw"], actor=people["office"])
    actor = AnonymousUser() if who == "anonymous" else people[who]
    # Not visible → NotFound; visible but not allowed (the lead unit's own people) → NotAllowed.
    with pytest.raises((access.NotAllowed, access.NotFound)):
        assign_task(task, lead_unit=units["cz"], actor=actor)
    assert Assignment.objects.get(task=task).lead_unit == units["sw"]


def test_the_system_actor_is_none_and_only_none(units, task):
    # The operator's command line (duban import without --as) passes None on purpose.
    assign_task(task, lead_unit=units["sw"], actor=None)
    assert Assignment.objects.get(task=task).lead_unit == units["sw"]
    with pytest.raises(access.NotAllowed):
        access.require_actor(AnonymousUser(), "confirm_plan")


def test_office_gates_come_from_access(people):
    assert access.is_office(people["office"])
    assert not access.is_office(people["leader"])
    assert access.has_global_role(people["leader"], "office", "leader")
    with pytest.raises(access.NotAllowed):
        access.require_office(people["clerk"])


def iter_patterns(resolver):
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            yield from iter_patterns(pattern)
        else:
            yield pattern


def test_no_url_serves_uploads_without_a_check_even_in_debug(client, settings, media_root, people):
    settings.DEBUG = True
    media_root.mkdir(parents=True, exist_ok=True)
    (media_root / "evidence.txt").write_text("机密", encoding="utf-8")
    client.force_login(people["clerk"])
    assert client.get("/media/evidence.txt").status_code == 404
    assert all(p.callback is not serve for p in iter_patterns(get_resolver()))
