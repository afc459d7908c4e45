"""The city's side of a remote district's progress: ``POST /api/cascade/progress/``.

The report is the district's (its unit, 「金水区（远程）」 on the pages), not the clerk's
whose token carried it; the token must be a person of that district and the body signed
with the district's secret. Anything else is refused and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from duban.core.models import AuditEntry
from duban.org.models import Unit
from duban.org.services import create_user
from duban.org.tokens import issue_token
from duban.plans.choices import PlanStatus, TaskStatus
from duban.plans.models import Plan, Task
from duban.plans.services import assign_task
from duban.supervision.models import ProgressReport, WebhookEndpoint
from duban.supervision.notify import sign

SECRET = "jinshui-cascade-secret"


@pytest.fixture
def city(db, units, office_user):
    jinshui = Unit.objects.create(name="金水区", kind="district", parent=units["root"])
    erqi = Unit.objects.create(name="二七区", kind="district", parent=units["root"])
    WebhookEndpoint.objects.create(
        name="金水区督办系统", kind="generic", url="http://127.0.0.1:9/api/cascade/inbound/",
        secret=SECRET, district=jinshui,
    )  # fmt: skip
    plan = Plan.objects.create(title="2026年工作要点", year=2026, status=PlanStatus.CONFIRMED)
    deadline = timezone.localdate() + dt.timedelta(days=200)

    def task(code, lead):
        t = Task.objects.create(
            plan=plan, code=code, text=f"任务{code}", status=TaskStatus.CONFIRMED,
            deadline=deadline,
        )  # fmt: skip
        assign_task(t, lead_unit=lead, actor=office_user)
        return t

    people = {
        "js_clerk": create_user("js_clerk", password="x", unit=jinshui, role="clerk"),
        "sw_clerk": create_user("sw_clerk", password="x", unit=units["sw"], role="clerk"),
        "eq_clerk": create_user("eq_clerk", password="x", unit=erqi, role="clerk"),
    }
    tokens = {k: issue_token(u, scope="write", days=1)[1] for k, u in people.items()}
    return {
        "jinshui": jinshui,
        "erqi": erqi,
        "js_task": task("3.2", jinshui),
        "sw_task": task("3.3", units["sw"]),
        "eq_task": task("3.4", erqi),
        "tokens": tokens,
        "people": people,
        "office": office_user,
    }


def _push(client, token, task, *, percent=45, text="完成12个小区的入户调查", key="p-1",
          secret=SECRET, stamp=None):  # fmt: skip
    body = json.dumps(
        {"city_task": task.pk, "percent": percent, "progress": text}, ensure_ascii=False
    ).encode()
    stamp = str(int(time.time()) if stamp is None else stamp)
    headers = {
        "HTTP_AUTHORIZATION": f"Token {token}",
        "HTTP_X_DUBAN_TIMESTAMP": stamp,
        "HTTP_X_DUBAN_SIGNATURE": sign(secret, stamp, body),
    }
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(
        "/api/cascade/progress/", data=body, content_type="application/json", **headers
    )


def test_the_districts_push_is_filed_as_the_districts_report(client, city):
    task = city["js_task"]
    response = _push(client, city["tokens"]["js_clerk"], task)
    assert response.status_code == 201, response.content
    report = ProgressReport.objects.get(task=task)
    assert report.unit == city["jinshui"] and report.status == "unit_approved"
    assert report.percent == 45 and "入户调查" in report.progress
    assert report.remote_source == "金水区督办系统" and report.remote_signature.startswith(
        "sha256="
    )
    assert response.json()["remote_source"] == "金水区督办系统"
    event = AuditEntry.objects.get(event="report_received_remote", object_id=str(report.pk))
    assert event.after["signature"] == report.remote_signature
    assert event.after["endpoint"] == "金水区督办系统" and event.after["key"] == "p-1"
    # The city office sees the district, not the clerk whose token carried it.
    client.force_login(city["office"])
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    reports = page.split('id="reports-h"')[1].split("</section>")[0]
    assert "金水区（远程）" in reports and "js_clerk" not in reports
    # The history keeps who carried it (the token's holder) beside the event.
    history = page.split('id="history"')[-1]
    assert "区县系统远程报送" in history and "report_received_remote" not in history
    desk = client.get("/office/").content.decode()
    assert "金水区（远程）" in desk
    # The same key: the first answer, nothing new; a changed push updates the one report.
    client.logout()
    again = _push(client, city["tokens"]["js_clerk"], task)
    assert again["Idempotent-Replayed"] == "true" and again.json() == response.json()
    later = _push(client, city["tokens"]["js_clerk"], task, percent=60, text="签约", key="p-2")
    assert later.status_code == 200 and ProgressReport.objects.filter(task=task).count() == 1
    report.refresh_from_db()
    assert report.percent == 60


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("another_units_token", 403, "不属于与本市对接的区县"),
        ("district_without_endpoint", 403, "不属于与本市对接的区县"),
        ("wrong_secret", 401, "签名不正确"),
        ("stale", 400, "防重放"),
        ("no_key", 400, "Idempotency-Key"),
        ("not_its_task", 404, ""),
        ("bad_percent", 400, "小于或者等于 100"),
        ("cancelled", 400, "已撤销"),
    ],
)
def test_refused_pushes_say_why_and_write_nothing(client, city, case, status, message):
    token, task, kw = city["tokens"]["js_clerk"], city["js_task"], {}
    if case == "another_units_token":
        token, task = city["tokens"]["sw_clerk"], city["sw_task"]
    elif case == "district_without_endpoint":
        token, task = city["tokens"]["eq_clerk"], city["eq_task"]
    elif case == "wrong_secret":
        kw["secret"] = "guessed"
    elif case == "stale":
        kw["stamp"] = int(time.time()) - 3600
    elif case == "no_key":
        kw["key"] = ""
    elif case == "not_its_task":
        task = city["sw_task"]
    elif case == "bad_percent":
        kw["percent"] = 150
    elif case == "cancelled":
        from duban.plans.services import cancel_task

        cancel_task(task, actor=city["office"], reason="不再实施")
    entries = AuditEntry.objects.count()
    response = _push(client, token, task, **kw)
    assert response.status_code == status, response.content
    assert message in str(response.json()["error"]["message"])
    assert not ProgressReport.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_an_unsigned_push_or_no_token_is_refused(client, city):
    body = json.dumps({"city_task": city["js_task"].pk, "percent": 1, "progress": "x"}).encode()
    anonymous = client.post("/api/cascade/progress/", data=body, content_type="application/json")
    assert anonymous.status_code == 401
    unsigned = client.post(
        "/api/cascade/progress/", data=body, content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {city['tokens']['js_clerk']}",
        HTTP_X_DUBAN_TIMESTAMP=str(int(time.time())), HTTP_IDEMPOTENCY_KEY="u-1",
    )  # fmt: skip
    assert unsigned.status_code == 401 and "缺少签名" in unsigned.json()["error"]["message"]
    assert not ProgressReport.objects.exists()
