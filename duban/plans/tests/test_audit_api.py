"""The audit log over the API: the office reads and filters it; nobody else does."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from duban.org.services import create_user
from duban.plans.services import update_task

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def test_the_office_reads_a_tasks_changes_newest_first(task, office_user):
    update_task(task, actor=office_user, version=task.version, text="加快建设示范工程")
    rows = api(office_user).get(
        "/api/audit/", {"object_type": "plans.task", "object_id": str(task.pk)}
    )
    assert rows.status_code == 200
    results = rows.json()["results"]
    assert [r["action"] for r in results][:2] == ["update", "create"]
    assert results[0]["changed"] == ["text"] and results[0]["actor"] == office_user.pk
    assert results[0]["after"]["text"] == "加快建设示范工程"
    one = api(office_user).get(f"/api/audit/{results[0]['id']}/")
    assert one.status_code == 200 and one.json()["object_repr"].startswith(task.code)
    oldest = (
        api(office_user)
        .get("/api/audit/", {"object_type": "plans.task", "ordering": "time"})
        .json()["results"]
    )
    assert oldest[0]["action"] == "create"


def test_others_are_refused_and_bad_filters_are_400(task, units, office_user):
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    leader = create_user("leader", password="x", unit=units["office"], role="leader")
    assert api(clerk).get("/api/audit/").status_code == 403
    assert api(leader).get("/api/audit/").status_code == 403
    assert api().get("/api/audit/").status_code == 401
    for bad in ({"since": "yesterday"}, {"actor": "abc"}, {"action": "erase"}):
        answer = api(office_user).get("/api/audit/", bad)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid"
    assert api(office_user).post("/api/audit/", {}).status_code == 405
