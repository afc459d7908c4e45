"""The cascade between two instances, each side on its own: the city announces a task to a
remote district over a signed webhook; the district's inbound endpoint checks signature,
timestamp and key; the district queues its progress for the city's API. The two real
servers talking to each other are in test_cascade_two_instances.py."""

from __future__ import annotations

import json
import time

import pytest

from duban.core.models import OutboxMessage
from duban.org.models import Unit
from duban.org.services import create_user
from duban.plans.models import Plan, Task
from duban.plans.services import assign_task
from duban.supervision.models import CascadeInbound, RemoteTask, WebhookEndpoint
from duban.supervision.notify import sign
from duban.supervision.services import review_report, submit_report

SECRET = "shared-cascade-secret"


def _payload(task_id=101, text="推进老旧小区改造", plan_id=7):
    return {
        "event": "task.cascaded",
        "district": {"id": 5, "name": "金水区"},
        "plan": {"id": plan_id, "title": "2026年工作要点", "year": 2026},
        "task": {"id": task_id, "code": "2.1", "text": text, "kind": "task",
                 "deadline": "2026-12-31", "deadline_text": "年底前"},
        "report_to": f"/api/tasks/{task_id}/report/",
    }  # fmt: skip


def _post(client, payload, *, key="k-1", stamp=None, secret=SECRET, raw=None):
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    stamp = str(int(time.time()) if stamp is None else stamp)
    headers = {"HTTP_X_DUBAN_TIMESTAMP": stamp, "HTTP_X_DUBAN_SIGNATURE": sign(secret, stamp, body)}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(
        "/api/cascade/inbound/", data=body, content_type="application/json", **headers
    )


@pytest.fixture
def district_instance(db, settings):
    settings.DUBAN_CASCADE_SECRET = SECRET
    return settings


def test_a_signed_delivery_creates_the_task_once(client, district_instance):
    first = _post(client, _payload())
    assert first.status_code == 201, first.content
    task = Task.objects.get(pk=first.json()["task"])
    assert task.text == "推进老旧小区改造" and str(task.deadline) == "2026-12-31"
    assert task.remote.city_task_id == 101 and "市级交办" in task.plan.title
    again = _post(client, _payload())  # the same key: the first answer, nothing new
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and Task.objects.count() == 1
    edited = _post(client, _payload(text="推进老旧小区改造提升"), key="k-2")
    assert edited.status_code == 200 and edited.json()["created"] is False
    task.refresh_from_db()
    assert task.text == "推进老旧小区改造提升" and Task.objects.count() == 1
    # A second task of the same city plan joins the same local plan.
    other = _post(client, _payload(task_id=102, text="新增停车位"), key="k-3")
    assert Task.objects.get(pk=other.json()["task"]).plan == task.plan


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("wrong_secret", 401, "签名不正确"),
        ("stale", 400, "防重放"),
        ("no_key", 400, "Idempotency-Key"),
        ("not_json", 400, "JSON"),
        ("wrong_event", 400, "task.cascaded"),
        ("no_text", 400, "task.text"),
        ("bad_date", 400, "日期格式"),
    ],
)
def test_bad_deliveries_say_why_and_write_nothing(client, district_instance, case, status, message):
    payload, kw = _payload(), {}
    if case == "wrong_secret":
        kw["secret"] = "guessed"
    elif case == "stale":
        kw["stamp"] = int(time.time()) - 3600
    elif case == "no_key":
        kw["key"] = ""
    elif case == "not_json":
        kw["raw"] = b"<xml/>"
    elif case == "wrong_event":
        payload["event"] = "notice.issued"
    elif case == "no_text":
        payload["task"]["text"] = "  "
    elif case == "bad_date":
        payload["task"]["deadline"] = "明年"
    response = _post(client, payload, **kw)
    assert response.status_code == status
    assert message in response.json()["error"]["message"]
    assert not Task.objects.exists() and not CascadeInbound.objects.exists()


def test_an_unsigned_delivery_or_an_unconfigured_instance_is_401(client, settings, db):
    settings.DUBAN_CASCADE_SECRET = ""
    assert _post(client, _payload()).status_code == 401
    settings.DUBAN_CASCADE_SECRET = SECRET
    body = json.dumps(_payload()).encode()
    response = client.post(
        "/api/cascade/inbound/",
        data=body,
        content_type="application/json",
        HTTP_X_DUBAN_TIMESTAMP=str(int(time.time())),
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 401 and "缺少签名" in response.json()["error"]["message"]
    assert not Task.objects.exists()


def test_the_city_announces_a_task_assigned_to_a_remote_district(db, units, office_user):
    district = Unit.objects.create(name="金水区", kind="district", parent=units["root"])
    endpoint = WebhookEndpoint.objects.create(
        name="金水区督办", kind="generic", url="http://127.0.0.1:9/api/cascade/inbound/",
        secret=SECRET, district=district,
    )  # fmt: skip
    plan = Plan.objects.create(title="2026年工作要点", year=2026)
    task = Task.objects.create(plan=plan, code="1.1", text="推进老旧小区改造")
    other = Task.objects.create(plan=plan, code="1.2", text="市级自办")
    assign_task(other, lead_unit=units["sw"], actor=office_user)
    assert not OutboxMessage.objects.exists()  # not a district's task
    assign_task(task, lead_unit=units["sw"], co_units=[district], actor=office_user)
    message = OutboxMessage.objects.get()
    assert message.payload["endpoint"] == endpoint.pk
    assert message.payload["payload"]["task"]["id"] == task.pk
    assert message.payload["payload"]["report_to"] == f"/api/tasks/{task.pk}/report/"
    assign_task(task, lead_unit=units["sw"], co_units=[district], actor=office_user)
    assert OutboxMessage.objects.count() == 1  # the same content is not sent twice


def test_a_notice_is_not_sent_to_a_district_endpoint(db, units, office_user, task):
    from duban.supervision.services import issue_notice

    district = Unit.objects.create(name="金水区", kind="district", parent=units["root"])
    WebhookEndpoint.objects.create(
        name="金水区督办", kind="generic", url="http://127.0.0.1:9/", secret=SECRET,
        district=district,
    )  # fmt: skip
    WebhookEndpoint.objects.create(name="群机器人", kind="generic", url="http://127.0.0.1:9/")
    assign_task(task, lead_unit=units["sw"], actor=office_user)
    issue_notice(task, level="reminder", reason="请加快进度。", actor=office_user)
    hooks = [m.payload for m in OutboxMessage.objects.filter(channel="webhook")]
    assert [h["payload"]["event"] for h in hooks] == ["notice.issued"]


def test_an_accepted_report_on_a_received_task_is_queued_for_the_city(
    client, district_instance, units, office_user
):
    import datetime as dt

    from django.utils import timezone

    created = _post(client, _payload()).json()
    task = Task.objects.get(pk=created["task"])
    assign_task(task, lead_unit=units["sw"], actor=office_user)
    clerk = create_user("sw_clerk", password="x", unit=units["sw"], role="clerk")
    today = timezone.localdate()
    report = submit_report(
        task, actor=clerk, period_start=today - dt.timedelta(days=6), period_end=today,
        due_date=today, percent=35, progress="完成入户调查",
    )  # fmt: skip
    assert not OutboxMessage.objects.filter(channel="cascade").exists()
    review_report(report, actor=office_user, accept=True)
    pushed = OutboxMessage.objects.get(channel="cascade")
    assert pushed.payload["city_task"] == 101
    assert pushed.payload["body"]["percent"] == 35
    assert "金水区" in pushed.payload["body"]["progress"]
    assert "完成入户调查" in pushed.payload["body"]["progress"]
    assert RemoteTask.objects.get().task == task


# -- withdrawal (撤回) ---------------------------------------------------------------------------


def _hooks():
    return [
        (m.payload["payload"]["event"], m.payload["payload"]["task"]["id"])
        for m in OutboxMessage.objects.filter(channel="webhook").order_by("id")
    ]


def test_the_city_tells_a_remote_district_when_the_task_is_taken_away(db, units, office_user):
    from duban.plans.services import cancel_task

    district = Unit.objects.create(name="金水区", kind="district", parent=units["root"])
    WebhookEndpoint.objects.create(
        name="金水区督办", kind="generic", url="http://127.0.0.1:9/api/cascade/inbound/",
        secret=SECRET, district=district,
    )  # fmt: skip
    plan = Plan.objects.create(title="2026年工作要点", year=2026)
    task = Task.objects.create(plan=plan, code="1.1", text="推进老旧小区改造")
    assign_task(task, lead_unit=district, actor=office_user)
    assign_task(task, lead_unit=units["sw"], actor=office_user)  # taken away
    assert _hooks() == [("task.cascaded", task.pk), ("task.withdrawn", task.pk)]
    withdrawn = OutboxMessage.objects.filter(channel="webhook").last().payload["payload"]
    assert withdrawn["district"] == {"id": district.pk, "name": "金水区"}
    assert "改派" in withdrawn["reason"]
    # Given back with the same content: sent again, since the district withdrew it.
    assign_task(task, lead_unit=district, actor=office_user)
    assert _hooks()[-1] == ("task.cascaded", task.pk) and len(_hooks()) == 3
    assign_task(task, lead_unit=district, actor=office_user)
    assert len(_hooks()) == 3  # and only once
    cancel_task(Task.objects.get(pk=task.pk), actor=office_user, reason="不再实施")
    assert _hooks()[-1] == ("task.withdrawn", task.pk) and len(_hooks()) == 4
    assert (
        OutboxMessage.objects.filter(channel="webhook").last().payload["payload"]["reason"]
        == "不再实施"
    )


def _withdrawal(task_id=101, reason="市级任务已改派"):
    return {
        "event": "task.withdrawn",
        "district": {"id": 5, "name": "金水区"},
        "task": {"id": task_id, "code": "2.1"},
        "reason": reason,
    }


def test_a_signed_withdrawal_cancels_the_received_task_and_its_sub_tasks_once(
    client, district_instance, units, office_user
):
    from duban.core.models import AuditEntry
    from duban.plans.services import add_subtask

    task = Task.objects.get(pk=_post(client, _payload()).json()["task"])
    assign_task(task, lead_unit=units["sw"], actor=office_user)
    child = add_subtask(task, actor=office_user, text="入户调查")
    first = _post(client, _withdrawal(), key="w-1")
    assert first.status_code == 200, first.content
    assert first.json() == {"task": task.pk, "plan": task.plan_id, "created": False,
                            "withdrawn": True}  # fmt: skip
    assert [Task.objects.get(pk=t.pk).status for t in (task, child)] == ["cancelled"] * 2
    entries = AuditEntry.objects.filter(event="cascade_withdrawn", object_id=str(task.pk))
    assert entries.count() == 1 and entries.get().note == "市级任务已改派"
    replay = _post(client, _withdrawal(), key="w-1")
    assert replay["Idempotent-Replayed"] == "true" and replay.json() == first.json()
    other_key = _post(client, _withdrawal(), key="w-2")  # a second delivery: no second cancel
    assert other_key.status_code == 200 and entries.count() == 1
    # No more progress goes up for it.
    from duban.supervision.cascade_remote import push_progress

    assert push_progress(Task.objects.get(pk=task.pk)) is None
    assert not OutboxMessage.objects.filter(channel="cascade").exists()
    # Given back by the city: in the plan again.
    back = _post(client, _payload(), key="k-back")
    assert back.status_code == 200 and Task.objects.get(pk=task.pk).status == "confirmed"


def test_a_withdrawal_of_a_task_never_received_changes_nothing(client, district_instance):
    response = _post(client, _withdrawal(task_id=999), key="w-x")
    assert response.status_code == 200
    assert response.json() == {"task": None, "plan": None, "created": False, "withdrawn": False}
    assert not Task.objects.exists()
    bad = _withdrawal()
    bad["task"] = {"code": "2.1"}
    refused = _post(client, bad, key="w-y")
    assert refused.status_code == 400 and "task.id" in refused.json()["error"]["message"]


# -- the hot path: assigning looks for district endpoints only when a district is there --------


def _endpoint_queries(captured):
    return [q["sql"] for q in captured if "supervision_webhookendpoint" in q["sql"]]


def test_assigning_to_plain_units_never_looks_for_district_endpoints(db, units, office_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    district = Unit.objects.create(name="金水区", kind="district", parent=units["root"])
    plan = Plan.objects.create(title="2026年工作要点", year=2026)
    task = Task.objects.create(plan=plan, code="1.1", text="推进老旧小区改造")
    with CaptureQueriesContext(connection) as plain:
        assign_task(task, lead_unit=units["sw"], actor=office_user)
    with CaptureQueriesContext(connection) as again:
        assign_task(task, lead_unit=units["sw"], actor=office_user)  # the same units
    assert _endpoint_queries(plain.captured_queries) == []
    assert _endpoint_queries(again.captured_queries) == []
    with CaptureQueriesContext(connection) as to_district:
        assign_task(task, lead_unit=units["sw"], co_units=[district], actor=office_user)
    assert len(_endpoint_queries(to_district.captured_queries)) == 1
    # The first assignment costs what it did before the cascade existed.
    # The whole cost, savepoints included: the first assignment reads the actor's roles
    # and the assignment, writes it and two audit rows; a second reads the co-units too.
    assert (len(plain.captured_queries), len(again.captured_queries)) == (9, 11)


def test_a_task_book_announces_its_remote_districts_tasks_with_one_look_up(db, units, office_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from duban.plans import taskbook
    from duban.plans.taskbook import commit_import, plan_import

    district = Unit.objects.create(name="金水区", kind="district", parent=units["root"])
    WebhookEndpoint.objects.create(
        name="金水区督办", kind="generic", url="http://127.0.0.1:9/api/cascade/inbound/",
        secret=SECRET, district=district,
    )  # fmt: skip
    rows = [("1.1", "市商务局", []), ("1.2", "金水区", []), ("1.3", "市商务局", ["金水区"])]
    book = json.dumps(
        {
            "format": taskbook.JSON_FORMAT, "version": taskbook.JSON_VERSION,
            "title": "2026年工作要点", "year": 2026,
            "tasks": [
                {"code": c, "text": f"任务{c}", "lead_unit": lead, "co_units": co,
                 "deadline": "2026-12-31"}
                for c, lead, co in rows
            ],
        },
        ensure_ascii=False,
    ).encode()  # fmt: skip
    preview = plan_import(book, filename="book.json")
    with CaptureQueriesContext(connection) as queries:
        plan = commit_import(preview, actor=office_user)
    sent = sorted(Task.objects.get(pk=task_id).code for _event, task_id in _hooks())
    assert sent == ["1.2", "1.3"] and plan.tasks.count() == 3
    assert len(_endpoint_queries(queries.captured_queries)) == 1


def test_a_waiting_delivery_is_superseded_by_the_newer_event(db, units, office_user):
    district = Unit.objects.create(name="金水区", kind="district", parent=units["root"])
    WebhookEndpoint.objects.create(
        name="金水区督办", kind="generic", url="http://127.0.0.1:9/api/cascade/inbound/",
        secret=SECRET, district=district,
    )  # fmt: skip
    plan = Plan.objects.create(title="2026年工作要点", year=2026)
    task = Task.objects.create(plan=plan, code="1.1", text="推进老旧小区改造")
    assign_task(task, lead_unit=district, actor=office_user)  # not delivered yet (the
    assign_task(task, lead_unit=units["sw"], actor=office_user)  # district is down)
    cascaded, withdrawn = OutboxMessage.objects.filter(channel="webhook").order_by("id")
    # The withdrawal waits; the cascade it overtook will never be sent after it.
    assert cascaded.sent_at is not None and cascaded.result == {"superseded_by": "task.withdrawn"}
    assert withdrawn.sent_at is None
    assign_task(task, lead_unit=district, actor=office_user)  # given back before delivery
    withdrawn.refresh_from_db()
    assert withdrawn.result == {"superseded_by": "task.cascaded"}
    waiting = OutboxMessage.objects.filter(channel="webhook", sent_at__isnull=True)
    assert [m.payload["payload"]["event"] for m in waiting] == ["task.cascaded"]
    # A delivered message is history: never marked.
    OutboxMessage.objects.filter(pk=waiting.get().pk).update(sent_at=cascaded.sent_at)
    assign_task(task, lead_unit=units["sw"], actor=office_user)
    assert OutboxMessage.objects.filter(result__superseded_by__isnull=False).count() == 2
