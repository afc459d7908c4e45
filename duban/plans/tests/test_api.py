"""The REST API: visibility, filters, one error shape, 409 on stale writes, tokens, schema."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from rest_framework.test import APIClient

from duban.org.services import create_user
from duban.plans.models import Assignment, Plan, Task


@pytest.fixture
def api_world(units):
    plan = Plan.objects.create(title="API方案", year=2026)
    t1 = Task.objects.create(
        plan=plan, code="1.1", text="促进消费", light="red", deadline=dt.date(2020, 1, 1)
    )
    t2 = Task.objects.create(plan=plan, code="1.2", text="优化营商环境", light="green")
    Assignment.objects.create(task=t1, lead_unit=units["sw"])
    Assignment.objects.create(task=t2, lead_unit=units["fgw"])
    office = create_user("office", password="x", unit=units["office"], role="office")
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    return plan, t1, t2, office, clerk


def client_for(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_lists_are_filtered_by_visibility_and_query(api_world):
    plan, t1, t2, office, clerk = api_world
    office_ids = [t["id"] for t in client_for(office).get("/api/tasks/").json()["results"]]
    assert office_ids == [t1.pk, t2.pk]
    clerk_ids = [t["id"] for t in client_for(clerk).get("/api/tasks/").json()["results"]]
    assert clerk_ids == [t1.pk]
    red = client_for(office).get("/api/tasks/", {"light": "red"}).json()["results"]
    assert [t["code"] for t in red] == ["1.1"]
    overdue = client_for(office).get("/api/tasks/", {"overdue": "true"}).json()["results"]
    assert [t["code"] for t in overdue] == ["1.1"]


def test_another_units_task_is_404_with_the_common_error_shape(api_world):
    plan, t1, t2, office, clerk = api_world
    r = client_for(clerk).get(f"/api/tasks/{t2.pk}/")
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "not_found", "message": "未找到该对象。"}}
    assert client_for(clerk).get("/api/tasks/99999/").json() == r.json()
    r = client_for(clerk).post(f"/api/tasks/{t1.pk}/assign/", {"lead_unit": 1})
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_allowed"


def test_a_stale_edit_is_409_and_keeps_the_first_edit(api_world):
    plan, t1, t2, office, clerk = api_world
    c = client_for(office)
    ok = c.patch(f"/api/tasks/{t1.pk}/", {"version": 1, "text": "甲改"}, format="json")
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = c.patch(f"/api/tasks/{t1.pk}/", {"version": 1, "text": "乙改"}, format="json")
    assert stale.status_code == 409
    body = stale.json()["error"]
    assert body["code"] == "conflict" and body["current_version"] == 2
    assert Task.objects.get(pk=t1.pk).text == "甲改"
    history = c.get(f"/api/tasks/{t1.pk}/history/").json()["results"]
    assert [h["action"] for h in history] == ["create", "update"]
    assert history[1]["before"]["text"] == "促进消费" and history[1]["after"]["text"] == "甲改"


def test_validation_errors_share_the_shape(api_world):
    plan, t1, t2, office, clerk = api_world
    r = client_for(clerk).post(
        f"/api/tasks/{t1.pk}/report/",
        {"period_start": "2026-03-01", "period_end": "2026-03-31", "due_date": "2026-03-31",
         "percent": 150, "progress": "x"},
        format="json",
    )  # fmt: skip
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
    assert "percent" in r.json()["error"]["message"]


def test_token_auth_for_integrations_and_anonymous_refused(api_world):
    plan, t1, t2, office, clerk = api_world
    from duban.org.tokens import issue_token

    _row, key = issue_token(clerk, scope="read", days=30)
    c = APIClient()
    assert c.get("/api/tasks/").status_code == 401
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert [t["id"] for t in c.get("/api/tasks/").json()["results"]] == [t1.pk]


@pytest.mark.django_db
def test_openapi_schema_and_offline_docs(client, office_user):
    schema = client.get("/api/schema")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/tasks/{id}/history/" in text and "openapi: 3" in text
    client.force_login(office_user)
    docs = client.get("/api/docs").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower()


def test_answers_match_the_schema_where_it_once_lied(api_world, client):
    # Task.framework may be null, and the task history is a paginated list: the schema says
    # both, and the answers follow it (schemathesis found both mismatches).
    plan, t1, t2, office, clerk = api_world
    schema = yaml.safe_load(client.get("/api/schema").content)
    framework = schema["components"]["schemas"]["Task"]["properties"]["framework"]
    assert framework.get("nullable") is True
    c = client_for(office)
    t1.framework_node = None
    t1.save()
    assert c.get(f"/api/tasks/{t1.pk}/").json()["framework"] is None
    history = schema["paths"]["/api/tasks/{id}/history/"]["get"]["responses"]["200"]
    ref = history["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    required = set(schema["components"]["schemas"][ref].get("required", []))
    body = c.get(f"/api/tasks/{t1.pk}/history/").json()
    assert required <= set(body) and {"count", "results"} <= set(body)
    assert body["count"] == len(body["results"]) >= 1
