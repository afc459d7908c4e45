"""API parity for integrators: ``ordering`` and ``page_size`` on every list, the task
filters, conditional GET with ETag, 400s in the one error shape, fixed query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from duban.org.services import create_user
from duban.plans.models import Assignment, FrameworkNode, Milestone, Plan, Task
from duban.supervision.models import ClosureRequest, Notice, ProgressReport

LISTS = ["/api/tasks/", "/api/reports/", "/api/notices/", "/api/closures/", "/api/units/", "/api/plans/"]  # fmt: skip


@pytest.fixture
def world(units):
    plan = Plan.objects.create(title="排序方案", year=2026)
    pillar = FrameworkNode.objects.create(plan=plan, name="稳增长", code="一", kind="pillar")
    rows = [
        ("1.10", "red", dt.date(2026, 3, 1), "in_progress", units["sw"], pillar),
        ("1.2", "green", dt.date(2026, 1, 1), "confirmed", units["fgw"], None),
        ("1.3", "yellow", None, "in_progress", units["sw"], pillar),
        ("2.1", "none", dt.date(2026, 2, 1), "closed", units["cz"], None),
    ]
    tasks = {}
    for code, light, deadline, status, unit, node in rows:
        t = Task.objects.create(
            plan=plan,
            code=code,
            text=f"任务{code}",
            light=light,
            deadline=deadline,
            status=status,
            framework_node=node,
        )
        a = Assignment.objects.create(task=t, lead_unit=unit)
        if code == "1.2":
            a.co_units.add(units["sw"])  # the 商务局 helps with 1.2
        tasks[code] = t
    office = create_user("office", password="x", unit=units["office"], role="office")
    return plan, tasks, office


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [t["code"] for t in response.json()["results"]]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("deadline", ["1.2", "2.1", "1.10", "1.3"]),  # no deadline: last either way
        ("-deadline", ["1.10", "2.1", "1.2", "1.3"]),
        ("light", ["2.1", "1.2", "1.3", "1.10"]),  # none, green, yellow, red
        ("-light", ["1.10", "1.3", "1.2", "2.1"]),  # red first
        ("code", ["1.10", "1.2", "1.3", "2.1"]),
        ("-code", ["2.1", "1.3", "1.2", "1.10"]),
        ("-light,code", ["1.10", "1.3", "1.2", "2.1"]),
    ],
)
def test_tasks_are_ordered_by_the_key_asked_for(world, ordering, expected):
    plan, tasks, office = world
    assert codes(api(office).get("/api/tasks/", {"ordering": ordering})) == expected


def test_ordering_by_updated_follows_the_last_change(world):
    plan, tasks, office = world
    later = tasks["1.3"]
    later.text = "改过"
    later.save()
    assert codes(api(office).get("/api/tasks/", {"ordering": "-updated"}))[0] == "1.3"
    assert codes(api(office).get("/api/tasks/", {"ordering": "updated"}))[-1] == "1.3"


def test_task_filters_unit_status_light_framework(world, units):
    plan, tasks, office = world
    c = api(office)
    by_unit = codes(c.get("/api/tasks/", {"unit": units["sw"].pk, "ordering": "code"}))
    assert by_unit == ["1.10", "1.2", "1.3"]  # lead on two, co-unit on 1.2
    assert codes(c.get("/api/tasks/", {"status": "in_progress", "ordering": "code"})) == [
        "1.10",
        "1.3",
    ]
    assert codes(c.get("/api/tasks/", {"light": "yellow"})) == ["1.3"]
    pillar = tasks["1.10"].framework_node_id
    assert codes(c.get("/api/tasks/", {"framework": pillar, "ordering": "code"})) == [
        "1.10",
        "1.3",
    ]
    both = c.get(
        "/api/tasks/", {"unit": units["sw"].pk, "status": "in_progress", "ordering": "-light"}
    )
    assert codes(both) == ["1.10", "1.3"]


def test_page_size_up_to_200(world):
    plan, tasks, office = world
    c = api(office)
    page = c.get("/api/tasks/", {"page_size": 1, "ordering": "code"}).json()
    assert page["count"] == 4 and len(page["results"]) == 1 and "page_size=1" in page["next"]
    assert len(c.get("/api/tasks/", {"page_size": 200}).json()["results"]) == 4
    for url in LISTS:
        assert c.get(url, {"page_size": 200}).status_code == 200, url


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": "201"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "abc"}, "page_size"),
        ({"ordering": "text"}, "ordering"),
        ({"ordering": "-deadline,secret"}, "ordering"),
        ({"light": "purple"}, "light"),
        ({"status": "bogus"}, "status"),
        ({"unit": "abc"}, "unit"),
        ({"unit": "99999999999999999999999"}, "unit"),
        ({"framework": "-1"}, "framework"),
        ({"plan": "abc"}, "plan"),
        ({"deadline_after": "notadate"}, "deadline_after"),
        ({"overdue": "maybe"}, "overdue"),
    ],
)
def test_bad_list_parameters_are_400_in_the_one_error_shape(world, params, field):
    plan, tasks, office = world
    r = api(office).get("/api/tasks/", params)
    assert r.status_code == 400
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == "invalid"
    assert field in body["error"]["message"]


@pytest.mark.parametrize("url", LISTS)
def test_every_list_orders_and_refuses_unknown_keys(world, units, url):
    plan, tasks, office = world
    _reports_notices_closures(tasks, units, office)
    c = api(office)
    keys = {
        "/api/tasks/": ["deadline", "updated", "light", "code"],
        "/api/reports/": ["deadline", "updated", "light", "code", "period"],
        "/api/notices/": ["deadline", "updated", "light", "code", "created"],
        "/api/closures/": ["deadline", "updated", "light", "code", "created"],
        "/api/units/": ["name", "updated"],
        "/api/plans/": ["updated", "year", "title"],
    }[url]
    for key in keys:
        up = c.get(url, {"ordering": key}).json()["results"]
        down = c.get(url, {"ordering": f"-{key}"}).json()["results"]
        assert len(up) == len(down) >= 1
    bad = c.get(url, {"ordering": "nonsense"})
    assert bad.status_code == 400 and "ordering" in bad.json()["error"]["message"]


def _reports_notices_closures(tasks, units, office):
    today = timezone.localdate()
    for code, unit in [("1.10", units["sw"]), ("1.2", units["fgw"])]:
        ProgressReport.objects.create(
            task=tasks[code],
            unit=unit,
            period_start=today,
            period_end=today,
            due_date=today,
            percent=10,
            progress="进展",
        )
        Notice.objects.create(
            task=tasks[code], unit=unit, level="chase", reason="催办", dedup_key=f"t:{code}"
        )
        ClosureRequest.objects.create(task=tasks[code], unit=unit, note="申请")


def test_reports_are_ordered_by_their_tasks_light(world, units, office_user=None):
    plan, tasks, office = world
    _reports_notices_closures(tasks, units, office)
    c = api(office)
    rows = c.get("/api/reports/", {"ordering": "-light"}).json()["results"]
    assert [r["task"] for r in rows] == [tasks["1.10"].pk, tasks["1.2"].pk]
    rows = c.get("/api/notices/", {"ordering": "code"}).json()["results"]
    assert [r["task"] for r in rows] == [tasks["1.10"].pk, tasks["1.2"].pk]
    assert c.get("/api/reports/", {"light": "green"}).json()["count"] == 1


@pytest.mark.parametrize("kind", ["list", "detail"])
def test_conditional_get_answers_304_until_something_changes(world, kind):
    plan, tasks, office = world
    c = api(office)
    url = "/api/tasks/" if kind == "list" else f"/api/tasks/{tasks['1.2'].pk}/"
    first = c.get(url)
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"') and len(etag) > 10
    assert first["Cache-Control"] == "private, no-cache"
    again = c.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert c.get(url, HTTP_IF_NONE_MATCH='"other", ' + etag).status_code == 304
    # A change that touches no version counter: lights recomputed in bulk, as the
    # recompute writes them (with the time of the change).
    Task.objects.filter(pk=tasks["1.2"].pk).update(light="red", light_updated_at=timezone.now())
    changed = c.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_an_etag_is_per_user(world, units):
    plan, tasks, office = world
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    office_tag = api(office).get("/api/tasks/")["ETag"]
    assert api(clerk).get("/api/tasks/", HTTP_IF_NONE_MATCH=office_tag).status_code == 200


def _grow(plan, units, n: int) -> None:
    for i in range(n):
        t = Task.objects.create(plan=plan, code=f"9.{i}", text=f"加量{i}", light="green")
        a = Assignment.objects.create(task=t, lead_unit=units["sw"])
        a.co_units.add(units["fgw"], units["cz"])
        Milestone.objects.create(task=t, name="阶段", due_date=dt.date(2026, 6, 30))


@pytest.mark.parametrize(
    ("url", "params", "queries", "kept"),
    [
        # the user's grants, the two stamps of a kept answer (newest audit row, newest
        # light), count, page, co-units, milestones; kept: the grants and the stamps
        ("/api/tasks/", {"page_size": 200, "ordering": "-light"}, 7, 3),
        ("/api/tasks/", {"unit": 0, "status": "in_progress", "page_size": 25}, 7, 3),
        # grants, count, page
        ("/api/reports/", {"page_size": 200, "ordering": "deadline"}, 3, 3),
        ("/api/notices/", {"ordering": "-updated"}, 3, 3),
        ("/api/closures/", {"ordering": "code"}, 3, 3),
        # count, page
        ("/api/units/", {"ordering": "name"}, 2, 2),
        # grants (a district's plan is shown to its district only), count, page
        ("/api/plans/", {"ordering": "-year"}, 3, 3),
    ],
)
def test_list_query_counts_are_fixed(
    world, units, django_assert_num_queries, url, params, queries, kept
):
    plan, tasks, office = world
    if params.get("unit") == 0:
        params = {**params, "unit": units["sw"].pk}
    _reports_notices_closures(tasks, units, office)
    _grow(plan, units, 30)
    first, second = fresh(office), fresh(office)
    with django_assert_num_queries(queries):
        r = first.get(url, params)
    assert r.status_code == 200
    with django_assert_num_queries(kept):
        assert second.get(url, params, HTTP_IF_NONE_MATCH=r["ETag"]).status_code == 304


def fresh(user) -> APIClient:
    """A client for a freshly loaded user, as each real request has (nothing cached)."""
    return api(type(user).objects.get(pk=user.pk))


def test_detail_query_count_is_fixed(world, units, django_assert_num_queries):
    plan, tasks, office = world
    _grow(plan, units, 3)
    # grants, the two stamps of a kept answer, the task with its assignment and units,
    # co-units, milestones
    with django_assert_num_queries(6):
        assert api(office).get(f"/api/tasks/{tasks['1.2'].pk}/").status_code == 200


def test_the_fast_task_representation_is_the_model_serializers(world, units):
    # TaskSerializer and MilestoneSerializer build their dictionaries by hand for speed;
    # they must stay what DRF's ModelSerializer would give, field for field.
    from rest_framework import serializers as drf

    from duban.plans.api import MilestoneSerializer, TaskSerializer

    plan, tasks, office = world
    t = tasks["1.2"]
    t.start_date, t.light_reason, t.lead_suggestions = dt.date(2026, 1, 5), "逾期", [{"unit": "x"}]
    t.save()
    Milestone.objects.create(task=t, name="启动", due_date=dt.date(2026, 3, 1), proportion=30)
    Milestone.objects.create(
        task=t,
        name="完成",
        due_date=dt.date(2026, 6, 1),
        proportion=70,
        done_at=dt.date(2026, 5, 9),
    )
    orphan = Task.objects.create(plan=plan, code="9", text="未交办")  # no assignment, no node
    qs = Task.objects.select_related("assignment__lead_unit", "framework_node").prefetch_related(
        "assignment__co_units", "milestones"
    )
    for task in qs.filter(pk__in=[t.pk, orphan.pk, tasks["1.10"].pk]):
        fast = TaskSerializer(task).data
        slow = drf.ModelSerializer.to_representation(TaskSerializer(), task)
        slow["milestones"] = [
            drf.ModelSerializer.to_representation(MilestoneSerializer(), m)
            for m in task.milestones.all()
        ]
        assert dict(fast) == dict(slow)
        assert list(fast) == list(slow)  # and in the same order
    assert len(TaskSerializer(qs.get(pk=t.pk)).data["milestones"]) == 2


def test_a_kept_list_shows_an_audited_change_at_once(world, units):
    from duban.plans.services import update_task

    plan, tasks, office = world
    c = api(office)
    first = c.get("/api/tasks/", {"page_size": 200}).json()
    assert "加快建设示范区" not in str(first)
    assert c.get("/api/tasks/", {"page_size": 200}).json() == first  # kept, the same answer
    task = Task.objects.get(pk=tasks["1.2"].pk)
    update_task(task, actor=office, version=task.version, text="加快建设示范区")
    assert "加快建设示范区" in str(c.get("/api/tasks/", {"page_size": 200}).json())
    assert "加快建设示范区" in c.get(f"/api/tasks/{task.pk}/").json()["text"]
