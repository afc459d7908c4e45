"""Class 9: bad input is a 400 with a message, never a server error.

The probe got 500s from ``?plan=abc``, ``?deadline_after=notadate`` and integers too large
for SQLite in the battle map, roadmap and API filters, and from a JSON body nested 100,000
levels deep.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

HUGE = "9" * 23

PAGES = [
    ("/battlemap/?plan=abc", "“plan”应为正整数编号"),
    (f"/battlemap/?plan={HUGE}", "“plan”应为正整数编号"),
    ("/battlemap/?from=notadate", "“from”应为 YYYY-MM-DD"),
    (f"/battlemap/wall/?leader={HUGE}", "“leader”"),
    ("/battlemap/?light=pink", "“light”的取值“pink”无效"),
    ("/roadmap/?plan=abc", "“plan”"),
    (f"/roadmap/?unit={HUGE}", "“unit”"),
    ("/roadmap/?to=2026-02-30", "“to”应为 YYYY-MM-DD"),
    (f"/roadmap/?pillar={HUGE}&by=unit", "“pillar”"),
]

API = [
    ("/api/tasks/?plan=abc", "“plan”"),
    (f"/api/tasks/?plan={HUGE}", "“plan”"),
    ("/api/tasks/?deadline_after=notadate", "“deadline_after”应为 YYYY-MM-DD"),
    ("/api/tasks/?deadline_before=2026-13-01", "“deadline_before”"),
    ("/api/tasks/?unit=abc", "“unit”"),
    (f"/api/tasks/?framework_node={HUGE}", "“framework_node”"),
    ("/api/tasks/?light=pink", "“light”"),
    ("/api/reports/?task=abc", "“task”"),
    (f"/api/reports/?task={HUGE}", "“task”"),
]


@pytest.fixture
def office_client(client, office_user):
    client.raise_request_exception = False
    client.force_login(office_user)
    return client


@pytest.mark.parametrize(("url", "message"), PAGES)
def test_bad_page_filters_are_400_with_a_message(office_client, url, message):
    response = office_client.get(url)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(("url", "message"), API)
def test_bad_api_filters_are_400_in_the_error_shape(office_user, url, message):
    c = APIClient()
    c.raise_request_exception = False
    c.force_authenticate(office_user)
    response = c.get(url)
    assert response.status_code == 400
    error = response.json()["error"]
    # The API's 400s carry the serializer's answer: the filter's name, and why.
    name = url.split("?")[1].split("=")[0]
    assert error["code"] == "invalid" and name in error["message"] and error["message"][name]
    assert message.strip("“”").split("”")[0] == name


def test_good_filters_still_work(office_client, task):
    assert office_client.get(f"/battlemap/?plan={task.plan_id}&from=2026-01-01").status_code == 200
    assert office_client.get("/roadmap/?light=red&by=unit").status_code == 200
    assert office_client.get("/api/tasks/?deadline_after=2026-01-01&plan=1").status_code == 200


@pytest.mark.parametrize("url", [f"/documents/{HUGE}/", f"/api/reports/{HUGE}/"])
def test_a_huge_id_in_the_path_is_never_a_server_error(office_client, url):
    response = office_client.get(url)
    # PostgreSQL finds nothing (404); SQLite cannot hold the number (400).
    assert response.status_code in (400, 404)


@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_json_nested_too_deep_is_400(office_user, task, depth):
    c = APIClient()
    c.raise_request_exception = False
    c.force_authenticate(office_user)
    body = '{"text": ' + "[" * depth + "]" * depth + "}"
    response = c.generic(
        "POST", f"/api/tasks/{task.pk}/comment/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] in (
        "JSON 嵌套层数过多，无法解析。",
        {"text": ["Not a valid string."]},
    )
