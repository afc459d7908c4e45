"""The district cascade between two instances (区县 running its own duban).

City side: when a task is assigned to a unit that has a district endpoint
(``WebhookEndpoint.district``), :func:`announce_assignment` puts a ``task.cascaded``
message in the outbox; the webhook job signs and delivers it like any webhook
(``X-Duban-Timestamp``, ``X-Duban-Signature``, ``Idempotency-Key``; see notify.py).

District side: ``POST /api/cascade/inbound/`` (duban/supervision/cascade_api.py) checks the
signature with ``DUBAN_CASCADE_SECRET``, refuses stale timestamps and answers a repeated
key with its first answer, then :func:`receive_cascaded_task` creates or updates the task
in the district's plan. When that task's progress changes, :func:`push_progress` puts a
report in the outbox, and the ``push_cascade_report`` job posts it to the city's
``/api/cascade/progress/`` with an API token of the district unit at the city
(``DUBAN_CASCADE_CITY_URL``, ``DUBAN_CASCADE_CITY_TOKEN``), signed with
``DUBAN_CASCADE_SECRET``, the outbox key as its ``Idempotency-Key``: the city files it
as the district's report (cascade_api.py). The city's ``task.withdrawn`` cancels the
task here and stops the pushes. Within one instance the roll-up is direct
(``services.roll_up_to_city``); both share :func:`district_progress`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import audit
from duban.core import outbox as outbox_module
from duban.core.errors import InputError
from duban.core.jobs import job
from duban.core.language import in_site_language
from duban.core.models import OutboxMessage
from duban.org.choices import UnitKind
from duban.plans.choices import PlanStatus, TaskKind, TaskStatus
from duban.plans.models import Plan, Task
from duban.supervision.choices import ReportStatus
from duban.supervision.models import CascadeInbound, ProgressReport, RemoteTask, WebhookEndpoint
from duban.supervision.notify import sign

PUSH_TIMEOUT = 10
EVENT = "task.cascaded"
WITHDRAWN = "task.withdrawn"


# -- the district's progress, as text --------------------------------------------------------


@in_site_language
def district_progress(carrier: Task, *, district: Any = None) -> tuple[int, str]:
    """The district's percent on its city task and a text listing its departments' progress.

    The percent is the district task's accepted progress, or the mean of its sub-tasks'
    (a closed one counts 100) when that is further along.
    """
    parts = [carrier, *Task.objects.filter(parent=carrier).order_by("sort_order", "id")]
    children = parts[1:]
    percent = carrier.progress
    if children:
        percent = max(percent, round(sum(c.progress for c in children) / len(children)))
    leads = dict(
        Task.objects.filter(pk__in=[p.pk for p in parts]).values_list(
            "pk", "assignment__lead_unit__name"
        )
    )
    latest: dict[int, ProgressReport] = {}
    for report in (
        ProgressReport.objects.filter(task__in=[p.pk for p in parts], status=ReportStatus.ACCEPTED)
        .select_related("unit")
        .order_by("period_end", "id")
    ):
        latest[report.task_id] = report
    lines = [
        _("{district}汇总上报：区县任务 {code} 完成 {percent}%。").format(
            district=district or carrier.plan.owner_unit, code=carrier.code, percent=percent
        )
    ]
    for part in parts:
        line = _("{code} {unit}：{percent}%（{status}）").format(
            code=part.code,
            unit=leads.get(part.pk) or _("未交办"),
            percent=part.progress,
            status=part.get_status_display(),
        )
        report = latest.get(part.pk)
        if report is not None and report.progress.strip():
            line += " " + report.progress.strip().splitlines()[0][:120]
        lines.append(line)
    return percent, "\n".join(lines)


# -- city side: announce -----------------------------------------------------------------------


def cascaded_payload(task: Task, district: Any) -> dict[str, Any]:
    """The ``task.cascaded`` body: stable keys, the city's ids."""
    plan = task.plan
    return {
        "event": EVENT,
        "district": {"id": district.pk, "name": district.name},
        "plan": {"id": plan.pk, "title": plan.title, "year": plan.year},
        "task": {
            "id": task.pk,
            "code": task.code,
            "text": task.text,
            "kind": task.kind,
            "start_date": task.start_date.isoformat() if task.start_date else None,
            "deadline": task.deadline.isoformat() if task.deadline else None,
            "deadline_text": task.deadline_text,
            "target_value": task.target_value,
            "measures": task.measures,
        },
        "report_to": f"/api/tasks/{task.pk}/report/",
    }


def _key(task: Task, endpoint: WebhookEndpoint, kind: str) -> str:
    return f"cascade:{task.pk}:hook:{endpoint.pk}:{kind}"


def _queue(task: Task, endpoint: WebhookEndpoint, payload: dict[str, Any], key: str) -> bool:
    # The latest word wins: a task.cascaded still waiting (its delivery failing, say) when
    # the task is withdrawn is never sent, nor a waiting withdrawal once the task is given
    # back, so a late retry cannot undo the newer event at the district. Marked sent, with
    # why, so the worker passes over them (core.outbox.deliver).
    prefix = _key(task, endpoint, "")
    withdrawn = _key(task, endpoint, "withdrawn:")
    waiting = OutboxMessage.objects.filter(key__startswith=prefix, sent_at__isnull=True)
    if payload["event"] == WITHDRAWN:
        waiting = waiting.exclude(key__startswith=withdrawn)
    else:
        waiting = waiting.filter(key__startswith=withdrawn)
    waiting.update(sent_at=timezone.now(), result={"superseded_by": payload["event"]})
    _message, created = outbox_module.add(
        OutboxMessage.Channel.WEBHOOK, key, {"endpoint": endpoint.pk, "payload": payload}
    )
    return created


def district_endpoints(unit_ids: Iterable[int]) -> dict[int, WebhookEndpoint]:
    """The active cascade endpoints of these units, by district (one query)."""
    return {
        e.district_id: e
        for e in WebhookEndpoint.objects.filter(
            is_active=True, district_id__in=set(unit_ids)
        ).select_related("district")
    }


def announce_assignment(
    task: Task,
    units: Iterable[Any],
    *,
    removed: Iterable[int] = (),
    endpoints: dict[int, WebhookEndpoint] | None = None,
) -> int:
    """Queue ``task.cascaded`` for each remote district among the task's units (``units``,
    Unit rows: lead and co-units), and ``task.withdrawn`` for each one dropped from them
    (``removed``, ids).

    No query at all unless a district is among the units or a unit was dropped: the kind
    is on the rows the caller already holds. The key carries a digest of the body and of
    the withdrawals so far: assigning again with the same content queues nothing, an
    edited task is sent again, and so is a task given back to a district it was taken
    from. ``endpoints`` (:func:`district_endpoints`), when the caller announces many tasks
    at once (a task book's import), saves the look-up per task.
    """
    districts = {u.pk for u in units if u.kind == UnitKind.DISTRICT}
    removed = set(removed) - districts
    if not districts and not removed:
        return 0
    sent = 0
    if endpoints is None:
        endpoints = district_endpoints(districts | removed)
    for unit_id in sorted(districts | removed):
        endpoint = endpoints.get(unit_id)
        if endpoint is None:
            continue
        if endpoint.district_id in removed:
            sent += _withdraw(task, endpoint, _("市级任务已改派，不再由本区县承办。"))
            continue
        payload = cascaded_payload(task, endpoint.district)
        withdrawals = OutboxMessage.objects.filter(
            key__startswith=_key(task, endpoint, "withdrawn:")
        ).count()
        digest = hashlib.sha256(
            json.dumps([payload, withdrawals], sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()[:16]
        sent += _queue(task, endpoint, payload, _key(task, endpoint, digest))
    return sent


def _withdraw(task: Task, endpoint: WebhookEndpoint, reason: str) -> bool:
    payload = {
        "event": WITHDRAWN,
        "district": {"id": endpoint.district_id, "name": endpoint.district.name},
        "task": {"id": task.pk, "code": task.code},
        "reason": reason,
    }
    # Each withdrawal is its own event (given back and taken away again: sent again).
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S.%f")
    return _queue(task, endpoint, payload, _key(task, endpoint, f"withdrawn:{stamp}"))


def announce_withdrawal(task: Task, unit_ids: set[int], *, reason: str) -> int:
    """Queue ``task.withdrawn`` for each remote district among ``unit_ids`` (the task was
    cancelled); one query."""
    endpoints = WebhookEndpoint.objects.filter(
        is_active=True, district_id__in=unit_ids
    ).select_related("district")
    return sum(_withdraw(task, endpoint, reason) for endpoint in endpoints)


# -- district side: receive --------------------------------------------------------------------


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise InputError(_("日期格式不正确：{value}").format(value=value)) from exc


def receive(payload: Any) -> dict[str, Any]:
    """One delivery from the city: ``task.cascaded`` or ``task.withdrawn``; the answer."""
    event = payload.get("event") if isinstance(payload, dict) else None
    if event == EVENT:
        return receive_cascaded_task(payload)
    if event == WITHDRAWN:
        return receive_withdrawn_task(payload)
    raise InputError(_("不支持的事件类型，应为 task.cascaded 或 task.withdrawn。"))


@transaction.atomic
def receive_withdrawn_task(payload: dict[str, Any]) -> dict[str, Any]:
    """撤回: the city took the task away from this district. The task and the district's
    sub-tasks are cancelled (kept on record, audited) and no more progress is pushed. A
    task never received, or already withdrawn, changes nothing."""
    from duban.plans.cascade import cancel_tree

    task_in = payload.get("task")
    try:
        city_task_id = int(task_in["id"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(_("task.id 必须提供。")) from exc
    reason = str(payload.get("reason") or "")[:500]
    link = RemoteTask.objects.select_related("task").filter(city_task_id=city_task_id).first()
    if link is None:
        return {"task": None, "plan": None, "created": False, "withdrawn": False}
    task = link.task
    if task.status != TaskStatus.CANCELLED:
        with audit.acting_as(None):
            cancel_tree(
                task, event="cascade_withdrawn", reason=reason, data={"city_task": city_task_id}
            )
    return {"task": task.pk, "plan": task.plan_id, "created": False, "withdrawn": True}


@transaction.atomic
def receive_cascaded_task(payload: dict[str, Any]) -> dict[str, Any]:
    """Create or update the city's task in this (the district's) instance; the answer."""
    if not isinstance(payload, dict) or payload.get("event") != EVENT:
        raise InputError(_("不支持的事件类型，应为 task.cascaded 或 task.withdrawn。"))
    task_in, plan_in = payload.get("task"), payload.get("plan")
    district = payload.get("district") or {}
    if not isinstance(task_in, dict) or not isinstance(plan_in, dict):
        raise InputError(_("缺少 task 或 plan。"))
    try:
        city_task_id, city_plan_id = int(task_in["id"]), int(plan_in["id"])
        text = str(task_in["text"]).strip()
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(_("task.id、task.text 和 plan.id 必须提供。")) from exc
    if not text:
        raise InputError(_("task.text 不能为空。"))
    values = {
        "code": str(task_in.get("code") or "")[:30],
        "text": text,
        "kind": task_in.get("kind") if task_in.get("kind") in TaskKind.values else TaskKind.TASK,
        "start_date": _date(task_in.get("start_date")),
        "deadline": _date(task_in.get("deadline")),
        "deadline_text": str(task_in.get("deadline_text") or "")[:100],
        "target_value": str(task_in.get("target_value") or "")[:50],
        "measures": str(task_in.get("measures") or ""),
    }
    link = RemoteTask.objects.select_related("task").filter(city_task_id=city_task_id).first()
    with audit.acting_as(None):
        if link is not None:
            task = link.task
            for key, value in values.items():
                setattr(task, key, value)
            if task.status == TaskStatus.CANCELLED:
                # Given back to the district after a withdrawal: in its plan again.
                task.status = TaskStatus.CONFIRMED
                audit.record_event(task, "cascade_restored", data={"city_task": city_task_id})
            task.save()
            audit.record_event(task, "cascade_updated", data={"city_task": city_task_id})
            return {"task": task.pk, "plan": task.plan_id, "created": False, "withdrawn": False}
        sibling = RemoteTask.objects.filter(city_plan_id=city_plan_id).select_related("task")
        plan = sibling.first().task.plan if sibling.exists() else None
        if plan is None:
            plan = Plan.objects.create(
                title=_("{title}（市级交办）").format(title=plan_in.get("title") or "")[:200],
                year=plan_in.get("year") if isinstance(plan_in.get("year"), int) else None,
                status=PlanStatus.CONFIRMED,
                confirmed_at=timezone.now(),
            )
        task = Task.objects.create(
            plan=plan, status=TaskStatus.CONFIRMED, sort_order=plan.tasks.count() + 1, **values
        )
        RemoteTask.objects.create(
            task=task,
            city_plan_id=city_plan_id,
            city_task_id=city_task_id,
            district_name=str(district.get("name") or "")[:100],
        )
        audit.record_event(task, "cascade_received", data={"city_task": city_task_id})
    return {"task": task.pk, "plan": plan.pk, "created": True, "withdrawn": False}


def remember_inbound(key: str, status: int, body: dict[str, Any]) -> None:
    CascadeInbound.objects.create(key=key, status=status, body=body)


def inbound_answer(key: str) -> CascadeInbound | None:
    return CascadeInbound.objects.filter(key=key).first()


# -- district side: push progress back ------------------------------------------------------


def _remote_carrier(task: Task) -> tuple[Task, RemoteTask] | None:
    seen: set[int] = set()
    node: Task | None = task
    while node is not None and node.pk not in seen:
        link = RemoteTask.objects.filter(task=node).first()
        if link is not None:
            return node, link
        seen.add(node.pk)
        node = node.parent
    return None


def push_progress(task: Task) -> OutboxMessage | None:
    """Queue the district's progress on a task received from the city, if it is one.

    The key names the city task, the day and the content: the same progress is sent once,
    a change the same day is sent again (the city's report for the period is updated).
    """
    found = _remote_carrier(task)
    if found is None:
        return None
    carrier, link = found
    carrier = Task.objects.get(pk=carrier.pk)
    if carrier.status == TaskStatus.CANCELLED:
        return None  # withdrawn by the city: its progress is no longer the city's business
    percent, text = district_progress(carrier, district=link.district_name or _("区县"))
    body = {"percent": percent, "progress": text}
    digest = hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()[:16]
    day = timezone.localdate().isoformat()
    message, _created = outbox_module.add(
        OutboxMessage.Channel.CASCADE,
        f"cascade-push:{link.city_task_id}:{day}:{digest}",
        {"city_task": link.city_task_id, "body": body},
    )
    audit.record_event(carrier, "cascade_progress_queued", data={"percent": percent})
    return message


class PushError(Exception):
    """The city did not take the report; the job queue retries."""


@job("push_cascade_report", atomic=False)
def push_cascade_report_job(outbox: int) -> dict[str, Any]:
    return outbox_module.deliver(outbox, _push)


def _push(message: OutboxMessage) -> dict[str, Any]:
    base, token = settings.DUBAN_CASCADE_CITY_URL, settings.DUBAN_CASCADE_CITY_TOKEN
    secret = settings.DUBAN_CASCADE_SECRET
    if not base or not token or not secret:
        raise PushError(
            "DUBAN_CASCADE_CITY_URL / DUBAN_CASCADE_CITY_TOKEN / DUBAN_CASCADE_SECRET not set"
        )
    url = f"{base}/api/cascade/progress/"
    body = json.dumps(
        {"city_task": message.payload["city_task"], **message.payload["body"]},
        ensure_ascii=False,
    ).encode("utf-8")
    stamp = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Token {token}",
            "Idempotency-Key": message.key,
            "X-Duban-Timestamp": stamp,
            # The district's own proof beside the token: the secret it shares with the city.
            "X-Duban-Signature": sign(secret, stamp, body),
            "User-Agent": "duban-cascade/1",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=PUSH_TIMEOUT) as response:
            answer = json.loads(response.read(20000) or b"{}")
            return {"status": response.status, "report": answer.get("id")}
    except urllib.error.HTTPError as exc:
        detail = exc.read(500).decode("utf-8", "replace")
        raise PushError(f"{url}: HTTP {exc.code}: {detail}") from exc
    except OSError as exc:
        raise PushError(f"{url}: {exc}") from exc
