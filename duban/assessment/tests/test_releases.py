"""考核 results: a leader's praise, publication that locks the ranking, units' objections and
the office's decisions, the result in the bulletin and in Excel, over pages and the API.

The ``year`` fixture (test_assessment) scores the first quarter: 市商务局 6, 市教育局 −2.1,
市财政局 −5.5. Today is Monday 2026-03-16.
"""

# ruff: noqa: F811 - the shared fixtures are imported by name and used as arguments
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import docx
import openpyxl
import pytest
import time_machine
from rest_framework.test import APIClient

from duban.assessment import services
from duban.assessment.models import AssessmentRelease, AssessmentResult, AssessmentScheme, Objection
from duban.assessment.tests.test_assessment import year  # noqa: F401 - fixture
from duban.core.models import AuditEntry
from duban.plans.tests.test_views import client_for, frozen, world  # noqa: F401 - fixtures
from duban.supervision import services as supervision
from duban.supervision.lights import recompute_lights
from duban.supervision.models import Comment, UnitRedDaily

Q1 = {"start": "2026-01-01", "end": "2026-03-31"}
START, END = dt.date(2026, 1, 1), dt.date(2026, 3, 16)  # the first quarter, to today


def _totals(release: AssessmentRelease) -> dict[str, tuple[int, Decimal]]:
    return {r.unit.name: (r.rank, r.total) for r in release.results.select_related("unit")}


def _publish(world, **kw) -> AssessmentRelease:
    return services.publish_release(start=START, end=END, actor=world["people"]["office"], **kw)


# --- a leader's praise and red-light days ------------------------------------------------


def test_a_leaders_praise_is_a_bonus_for_the_lead_unit(year):
    task = year["task"]  # led by 市商务局
    leader = client_for(year, "leader")
    r = leader.post(
        f"/tasks/{task.pk}/comment/", {"text": "数据中心推进有力，予以表扬", "praise": "on"}
    )
    assert r.status_code == 302
    assert Comment.objects.get(text__startswith="数据中心").praise is True
    page = leader.get(f"/tasks/{task.pk}/").content.decode()
    assert '<span class="tag done">表扬</span>' in page
    scores = {s.unit.name: s for s in services.score_units(AssessmentScheme.current(), **_q1())}
    praise = {line.rule: line for line in scores["市商务局"].lines}["bonus_praise"]
    assert praise.items == ["1.1 2026-03-16"] and praise.points == Decimal("2")
    assert scores["市商务局"].total == Decimal("8")


def test_a_clerk_cannot_praise_over_the_page_or_the_api(year):
    task = year["task"]
    clerk = client_for(year, "clerk")
    page = clerk.get(f"/tasks/{task.pk}/").content.decode()
    assert 'name="praise"' not in page
    r = clerk.post(f"/tasks/{task.pk}/comment/", {"text": "我单位自评优秀", "praise": "on"})
    assert r.status_code == 302
    assert Comment.objects.get(text="我单位自评优秀").praise is False
    api = APIClient()
    api.force_authenticate(year["people"]["clerk"])
    answer = api.post(
        f"/api/tasks/{task.pk}/comment/", {"text": "再次自评", "praise": True}, format="json"
    )
    assert answer.status_code == 403
    assert not Comment.objects.filter(text="再次自评").exists()
    office = APIClient()
    office.force_authenticate(year["people"]["office"])
    answer = office.post(
        f"/api/tasks/{task.pk}/comment/", {"text": "督查室表扬", "praise": True}, format="json"
    )
    assert answer.status_code == 201 and answer.json()["praise"] is True


def test_the_nightly_recompute_records_each_units_red_tasks_once_a_day(year):
    recompute_lights()  # the fixture ran it once today already
    rows = list(UnitRedDaily.objects.values_list("date", "unit__name", "red"))
    assert rows == [(dt.date(2026, 3, 16), "市教育局", 1)]
    with time_machine.travel(dt.datetime(2026, 3, 17, 10, tzinfo=dt.UTC), tick=False):
        recompute_lights()
    assert UnitRedDaily.objects.filter(unit__name="市教育局").count() == 2
    scores = {s.unit.name: s for s in services.score_units(AssessmentScheme.current(), **_q1())}
    red_days = {line.rule: line for line in scores["市教育局"].lines}["deduct_red_day"]
    assert red_days.count == 2 and red_days.points == Decimal("-0.2")


def _q1() -> dict[str, dt.date]:
    return {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 3, 31)}


# --- publication locks the ranking ------------------------------------------------------


def test_publishing_freezes_the_ranking_against_later_facts(year):
    office = client_for(year, "office")
    r = office.post(
        "/assessment/publish/",
        {"start": START.isoformat(), "end": END.isoformat(), "title": "", "objections_until": ""},
    )
    assert r.status_code == 302, r.content.decode()
    release = AssessmentRelease.objects.get()
    assert release.title == "2026-01-01至2026-03-16考核结果"
    assert release.objections_until == dt.date(2026, 3, 23)
    frozen_totals = _totals(release)
    assert frozen_totals["市商务局"] == (1, Decimal("6"))
    assert frozen_totals["市财政局"][0] == 3
    # A 通报 for 市商务局 dated in the period changes the live score, not the release.
    supervision.issue_notice(
        year["task"], level="criticism", reason="仍然滞后", actor=year["people"]["office"]
    )
    live = {
        s.unit.name: s.total
        for s in services.score_units(AssessmentScheme.current(), start=START, end=dt.date.today())
    }
    assert live["市商务局"] == Decimal("1")
    assert _totals(AssessmentRelease.objects.get()) == frozen_totals
    assert AuditEntry.objects.filter(object_type="assessment.assessmentresult").count() == 3
    page = office.get(r["Location"]).content.decode()
    assert "结果已锁定" in page and "市商务局" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"end": "2026-03-17"}, "考核期尚未结束（截至 2026-03-17），不能发布结果。"),
        ({"objections_until": "2026-03-01"}, "异议截止日期不能早于今天。"),
        ({"title": "考" * 201}, "标题不能超过 200 字。"),
    ],
)
def test_a_release_that_cannot_be_published_says_why_and_writes_nothing(year, data, message):
    office = client_for(year, "office")
    form = {"start": START.isoformat(), "end": END.isoformat(), "title": "", **data}
    r = office.post("/assessment/publish/", form)
    assert r.status_code == 400
    assert message in r.content.decode()
    assert not AssessmentRelease.objects.exists()
    assert not AssessmentResult.objects.exists()


def test_a_period_is_published_once(year):
    first = _publish(year)
    with pytest.raises(services.ValidationError, match="该考核期的结果已经发布"):
        _publish(year, title="再发一次")
    assert list(AssessmentRelease.objects.all()) == [first]


@pytest.mark.parametrize("name", ["leader", "unitlead", "clerk", "viewer"])
def test_only_the_office_publishes(year, name):
    r = client_for(year, name).post(
        "/assessment/publish/", {"start": START.isoformat(), "end": END.isoformat()}
    )
    assert r.status_code == 403
    assert not AssessmentRelease.objects.exists()


# --- objections ---------------------------------------------------------------------------


def test_a_unit_objects_and_the_office_upholds_and_the_ranks_follow(year):
    release = _publish(year)
    cz = year["units"]["cz"]  # 市财政局, last with −5.5
    unit = client_for(year, "coclerk")
    page = unit.get(f"/assessment/releases/{release.pk}/").content.decode()
    assert "提出异议" in page
    r = unit.post(
        f"/assessment/releases/{release.pk}/object/",
        {"unit": cz.pk, "reason": "2.2 项任务因上级政策调整延期，已报备"},
    )
    assert r.status_code == 302
    objection = Objection.objects.get()
    assert objection.status == "pending" and objection.filed_by == year["people"]["coclerk"]
    again = unit.post(
        f"/assessment/releases/{release.pk}/object/", {"unit": cz.pk, "reason": "补充理由"}
    )
    assert again.status_code == 400
    assert "本单位已有一条异议正在处理" in again.content.decode()
    # Another unit's people see neither the form for 市财政局 nor its objection.
    other = client_for(year, "clerk").get(f"/assessment/releases/{release.pk}/").content.decode()
    assert "上级政策调整" not in other
    office = client_for(year, "office")
    assert "上级政策调整" in office.get(f"/assessment/releases/{release.pk}/").content.decode()
    r = office.post(
        f"/assessment/releases/{release.pk}/objections/{objection.pk}/decide/",
        {"uphold": "1", "points": "6", "decision": "情况属实，恢复扣分"},
    )
    assert r.status_code == 302
    totals = _totals(release)
    assert totals["市财政局"] == (2, Decimal("0.5"))
    assert totals["市教育局"][0] == 3
    line = AssessmentResult.objects.get(release=release, unit=cz)
    assert (line.computed, line.adjustment) == (Decimal("-5.5"), Decimal("6"))
    assert AuditEntry.for_object(line).filter(action="update").exists()
    decided = office.post(
        f"/assessment/releases/{release.pk}/objections/{objection.pk}/decide/",
        {"uphold": "0", "decision": "再次处理"},
    )
    assert decided.status_code == 400
    assert "该异议已经处理" in decided.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"uphold": "0", "points": "3", "decision": "不予采纳"}, "不予采纳的异议不调整分值。"),
        ({"uphold": "1", "points": "", "decision": "采纳"}, "采纳异议时请填写调整分值"),
        ({"uphold": "1", "points": "150", "decision": "采纳"}, "调整分值应在 -100 到 100 之间"),
        ({"uphold": "1", "points": "2", "decision": ""}, "请填写处理意见。"),
    ],
)
def test_a_bad_decision_is_refused_and_changes_nothing(year, data, message):
    release = _publish(year)
    result = release.results.get(unit=year["units"]["cz"])
    objection = services.file_objection(result, actor=year["people"]["coclerk"], reason="理由")
    before = _totals(release)
    r = client_for(year, "office").post(
        f"/assessment/releases/{release.pk}/objections/{objection.pk}/decide/", data
    )
    assert r.status_code == 400
    assert message in r.content.decode()
    assert Objection.objects.get().status == "pending"
    assert _totals(release) == before


def test_objections_close_on_their_date_and_belong_to_the_unit(year):
    release = _publish(year, objections_until=dt.date(2026, 3, 18))
    sw_line = release.results.get(unit=year["units"]["sw"])
    with pytest.raises(services.access.NotAllowed):
        services.file_objection(sw_line, actor=year["people"]["coclerk"], reason="代为提出")
    with pytest.raises(services.access.NotAllowed):  # the office decides, it does not object
        services.file_objection(sw_line, actor=year["people"]["office"], reason="代为提出")
    r = client_for(year, "coclerk").post(
        f"/assessment/releases/{release.pk}/object/", {"unit": sw_line.unit_id, "reason": "x"}
    )
    assert r.status_code == 403
    with time_machine.travel(dt.datetime(2026, 3, 19, 10, tzinfo=dt.UTC), tick=False):
        with pytest.raises(services.ValidationError, match="异议期已于 2026-03-18 截止"):
            services.file_objection(sw_line, actor=year["people"]["clerk"], reason="迟到的异议")
        page = client_for(year, "clerk").get(f"/assessment/releases/{release.pk}/")
        assert "异议期已截止" in page.content.decode()
    assert not Objection.objects.exists()


# --- the result in Excel and in the bulletin ----------------------------------------------


def test_the_published_result_exports_to_excel_with_its_adjustments(year):
    release = _publish(year)
    result = release.results.get(unit=year["units"]["cz"])
    objection = services.file_objection(result, actor=year["people"]["coclerk"], reason="理由")
    services.decide_objection(
        objection, actor=year["people"]["office"], uphold=True, points=Decimal("1"), decision="是"
    )
    r = client_for(year, "viewer").get(f"/assessment/releases/{release.pk}/export.xlsx")
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    rows = list(book["排名"].iter_rows(values_only=True))
    assert rows[0] == ("名次", "单位", "计算得分", "异议调整", "总分")
    assert (3, "市财政局", -5.5, 1, -4.5) in rows
    detail = list(book["明细"].iter_rows(values_only=True))
    assert ("市商务局", "督办通知", 1, 3, -3, "1.1 2026-03-16") in detail


def test_the_bulletin_of_the_period_reprints_the_published_ranking(year):
    from duban.bulletins.services import build_bulletin_document, generate_bulletin

    release = _publish(year, title="一季度考核结果")
    bulletin = generate_bulletin(
        year["plan"], dt.date(2026, 3, 1), dt.date(2026, 3, 16), actor=year["people"]["office"]
    )
    assessed = bulletin.content["assessment"]
    assert assessed["title"] == "一季度考核结果"
    assert [row["unit"] for row in assessed["rows"]] == ["市商务局", "市教育局", "市财政局"]
    word = docx.Document(bulletin.docx.open("rb"))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "考核结果" in text and "一季度考核结果" in text
    cells = [[c.text for c in row.cells] for table in word.tables for row in table.rows]
    assert ["1", "市商务局", "6.0", "—", "6.0"] in cells
    assert build_bulletin_document(bulletin).title == bulletin.title
    assert release.results.count() == 3


# --- over the API ---------------------------------------------------------------------------


def _api(world, name: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(world["people"][name])
    return client


def test_the_loop_over_the_api(year):
    office = _api(year, "office")
    answer = office.post(
        "/api/assessments/releases/",
        {"start": START.isoformat(), "end": END.isoformat(), "title": "一季度"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="publish-q1",
    )
    assert answer.status_code == 201, answer.content
    release = answer.json()
    assert [r["unit_name"] for r in release["results"]] == ["市商务局", "市教育局", "市财政局"]
    replay = office.post(
        "/api/assessments/releases/",
        {"start": START.isoformat(), "end": END.isoformat(), "title": "一季度"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="publish-q1",
    )
    assert replay.status_code == 201 and replay.json()["id"] == release["id"]
    assert AssessmentRelease.objects.count() == 1
    unit = _api(year, "coclerk")
    cz = year["units"]["cz"].pk
    filed = unit.post(
        f"/api/assessments/releases/{release['id']}/objections/",
        {"unit": cz, "reason": "政策调整"},
        format="json",
    )
    assert filed.status_code == 201, filed.content
    assert unit.get("/api/assessments/objections/").json()["count"] == 1
    assert _api(year, "clerk").get("/api/assessments/objections/").json()["count"] == 0
    refused = unit.post(
        f"/api/assessments/objections/{filed.json()['id']}/decide/",
        {"uphold": True, "points": "1", "decision": "自己采纳"},
        format="json",
    )
    assert refused.status_code == 403
    bad = office.post(
        f"/api/assessments/objections/{filed.json()['id']}/decide/",
        {"uphold": False, "points": "2", "decision": "否"},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "不予采纳的异议不调整分值。"
    done = office.post(
        f"/api/assessments/objections/{filed.json()['id']}/decide/",
        {"uphold": True, "points": "6", "decision": "属实"},
        format="json",
    )
    assert done.status_code == 200 and done.json()["status"] == "upheld"
    detail = _api(year, "viewer").get(f"/api/assessments/releases/{release['id']}/").json()
    assert [(r["unit_name"], r["rank"], r["total"]) for r in detail["results"]] == [
        ("市商务局", 1, "6.0"),
        ("市财政局", 2, "0.5"),
        ("市教育局", 3, "-2.1"),
    ]
    other = _api(year, "clerk").post(
        f"/api/assessments/releases/{release['id']}/objections/",
        {"unit": cz, "reason": "代别人提"},
        format="json",
    )
    assert other.status_code == 403
