"""/api/indicators/: visibility as tasks, filters, ordering, ETag, actuals with an
Idempotency-Key, peers (office), PATCH with If-Match, generation; bad input writes nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from duban.core.models import AuditEntry
from duban.indicators import services
from duban.indicators.models import Indicator, IndicatorMonth, PeerValue

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["task_code"] for r in response.json()["results"]]


def test_the_list_is_filtered_like_tasks(target_plan, indicators, people, units):
    plan, tasks = target_plan
    office = client_for(people["office"])
    assert codes(office.get("/api/indicators/")) == ["1.1", "1.2", "1.3"]
    assert codes(client_for(people["co_clerk"]).get("/api/indicators/")) == ["1.1", "1.2"]
    assert codes(client_for(people["other"]).get("/api/indicators/")) == ["1.3"]
    assert codes(office.get("/api/indicators/", {"unit": units["cz"].pk})) == ["1.3"]
    node = tasks["jobs"].framework_node_id
    assert codes(office.get("/api/indicators/", {"framework": node})) == ["1.2"]
    services.enter_actual(indicators["1.1"], actor=people["clerk"], month=1, value="4")
    assert codes(office.get("/api/indicators/", {"light": "red"})) == ["1.1"]
    assert codes(office.get("/api/indicators/", {"ordering": "-gap,code"}))[0] == "1.1"
    assert codes(office.get("/api/indicators/", {"ordering": "-code", "page_size": 2})) == [
        "1.3",
        "1.2",
    ]
    row = office.get("/api/indicators/").json()["results"][0]
    assert row["gap_percent"] == 33.3 and row["gap_month"] == 1 and row["kind"] == "growth"
    assert row["light_reason"] == "指标“地区生产总值”1月完成进度落后计划33.3%"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"light": "purple"}, "light"),
        ({"unit": "abc"}, "unit"),
        ({"ordering": "text"}, "ordering"),
        ({"page_size": "500"}, "page_size"),
    ],
)
def test_bad_list_parameters_are_400_naming_them(indicators, people, params, field):
    r = client_for(people["office"]).get("/api/indicators/", params)
    assert r.status_code == 400 and field in r.json()["error"]["message"]


def test_the_list_has_an_etag_and_a_fixed_number_of_queries(indicators, people):
    c = client_for(people["office"])
    first = c.get("/api/indicators/")
    assert c.get("/api/indicators/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    with CaptureQueriesContext(connection) as three:
        c.get("/api/indicators/")
    for month, value in ((1, "5"), (1, "5.5")):
        services.enter_actual(indicators["1.2"], actor=people["office"], month=month, value=value)
    services.enter_peer_value(
        indicators["1.2"], actor=people["office"], month=1, city="甲", value="1"
    )
    changed = c.get("/api/indicators/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    with CaptureQueriesContext(connection) as again:
        c.get("/api/indicators/")
    assert len(again.captured_queries) == len(three.captured_queries) == 4


def test_the_detail_has_months_peers_and_rank(indicators, people):
    gdp = indicators["1.1"]
    services.enter_actual(gdp, actor=people["clerk"], month=1, value="5.5", note="快报")
    services.enter_peer_value(
        gdp, actor=people["office"], month=1, city="甲市", value="6.2", source="公报"
    )
    body = client_for(people["co_clerk"]).get(f"/api/indicators/{gdp.pk}/").json()
    assert len(body["months"]) == 12
    assert body["months"][0] == {
        "month": 1,
        "plan": 6.0,
        "actual": 5.5,
        "gap_percent": 8.3,
        "note": "快报",
    }
    assert body["months"][1]["actual"] is None and body["months"][1]["plan"] == 6.0
    assert body["peers"] == [{"month": 1, "city": "甲市", "value": 6.2, "source": "公报"}]
    assert (body["rank"], body["rank_of"], body["rank_month"]) == (2, 2, 1)
    assert client_for(people["other"]).get(f"/api/indicators/{gdp.pk}/").status_code == 404
    assert client_for(people["other"]).get("/api/indicators/abc/").status_code == 404


def test_an_actual_is_posted_once_per_key_and_a_second_month_entry_updates(indicators, people):
    gdp = indicators["1.1"]
    c = client_for(people["clerk"])
    url = f"/api/indicators/{gdp.pk}/actuals/"
    first = c.post(url, {"month": 1, "value": "5.1"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201, first.content
    assert first.json()["indicator"]["light"] == "yellow"
    replay = c.post(url, {"month": 1, "value": "5.1"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    update = c.post(url, {"month": 1, "value": 6, "note": "修正"}, format="json")
    assert update.status_code == 200 and not update.json()["created"]
    assert IndicatorMonth.objects.get(indicator=gdp).actual == 6
    assert (
        AuditEntry.objects.filter(object_type="indicators.indicatormonth", action="update").count()
        == 1
    )


def test_a_bad_actual_is_400_in_chinese_and_writes_nothing(indicators, people):
    gdp = indicators["1.1"]
    c = client_for(people["clerk"])
    before = AuditEntry.objects.count()
    r = c.post(f"/api/indicators/{gdp.pk}/actuals/", {"month": 1, "value": "五点二"}, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "实际值应为数字，例如 5.2 或 -2.5（收到“五点二”）。"
    r = c.post(f"/api/indicators/{gdp.pk}/actuals/", {"month": 14, "value": "5"}, format="json")
    assert r.status_code == 400 and "月份" in r.json()["error"]["message"]
    assert not IndicatorMonth.objects.exists() and AuditEntry.objects.count() == before


def test_who_may_post_actuals_and_peers(indicators, people):
    gdp = indicators["1.1"]
    body = {"month": 1, "value": "5"}
    assert (
        client_for(people["co_clerk"]).post(f"/api/indicators/{gdp.pk}/actuals/", body).status_code
        == 403
    )
    assert (
        client_for(people["other"]).post(f"/api/indicators/{gdp.pk}/actuals/", body).status_code
        == 404
    )
    peer = {"month": 1, "city": "甲市", "value": "6.3", "source": "统计局"}
    assert (
        client_for(people["clerk"]).post(f"/api/indicators/{gdp.pk}/peers/", peer).status_code
        == 403
    )
    r = client_for(people["office"]).post(
        f"/api/indicators/{gdp.pk}/peers/", peer, format="json", HTTP_IDEMPOTENCY_KEY="p1"
    )
    assert r.status_code == 201 and r.json()["city"] == "甲市"
    bad = client_for(people["office"]).post(
        f"/api/indicators/{gdp.pk}/peers/", {**peer, "value": "高"}, format="json"
    )
    assert bad.status_code == 400 and "对标数值应为数字" in bad.json()["error"]["message"]
    assert PeerValue.objects.count() == 1


def test_patch_needs_the_version_and_a_stale_one_changes_nothing(indicators, people):
    gdp = indicators["1.1"]
    c = client_for(people["office"])
    url = f"/api/indicators/{gdp.pk}/"
    assert c.patch(url, {"name": "地区生产总值增速"}, format="json").status_code == 400
    ok = c.patch(
        url,
        {"name": "地区生产总值增速", "plans": {"1": "5.5"}, "tolerance": "0"},
        format="json",
        HTTP_IF_MATCH=f'"{gdp.version}"',
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["name"] == "地区生产总值增速" and ok.json()["months"][0]["plan"] == 5.5
    stale = c.patch(url, {"name": "旧"}, format="json", HTTP_IF_MATCH=f'"{gdp.version}"')
    assert stale.status_code == 412 and stale.json()["error"]["current_version"] == gdp.version + 1
    bad = c.patch(url, {"target": "六", "version": gdp.version + 1}, format="json")
    assert bad.status_code == 400 and "年度目标值应为数字" in bad.json()["error"]["message"]
    assert Indicator.objects.get(pk=gdp.pk).name == "地区生产总值增速"
    r = client_for(people["clerk"]).patch(url, {"name": "x"}, format="json", HTTP_IF_MATCH='"2"')
    assert r.status_code == 403


def test_generate_is_the_offices_and_makes_each_indicator_once(target_plan, people):
    r = client_for(people["clerk"]).post("/api/indicators/generate/", {}, format="json")
    assert r.status_code == 403
    c = client_for(people["office"])
    made = c.post("/api/indicators/generate/", {}, format="json")
    assert made.status_code == 201 and [i["task_code"] for i in made.json()] == [
        "1.1",
        "1.2",
        "1.3",
    ]
    assert c.post("/api/indicators/generate/", {}, format="json").json() == []


def test_the_schema_documents_the_indicator_routes(db, people):
    import yaml

    r = client_for(people["office"]).get("/api/schema")
    paths = yaml.safe_load(r.content)["paths"]
    for path in (
        "/api/indicators/",
        "/api/indicators/{id}/",
        "/api/indicators/{id}/actuals/",
        "/api/indicators/{id}/peers/",
        "/api/indicators/generate/",
    ):
        assert path in paths, path
    assert "412" in paths["/api/indicators/{id}/"]["patch"]["responses"]
