"""Telling people: the in-app inbox, e-mail over SMTP, and outgoing webhooks.

When a notice is issued, :func:`notify_notice` writes inbox rows for the people of the
addressed unit and puts one message per e-mail and per webhook in the outbox
(:mod:`duban.core.outbox`), in the same transaction as the notice: if the notice rolls
back, nothing is sent; once it commits, the worker sends, a failed delivery is retried
with back-off by the job queue, and a message marked sent is never sent again. Each
message carries its idempotency key (``notice:<id>:mail:<user>``, ``notice:<id>:hook:<endpoint>``):
webhooks in the ``Idempotency-Key`` header, mails as a stable ``Message-ID``.

Webhooks are signed. Every request carries ``X-Duban-Timestamp`` and
``X-Duban-Signature: sha256=<hex>``, the HMAC-SHA256 of ``"<timestamp>.<body>"`` with the
endpoint's secret. DingTalk robots additionally get their own ``timestamp``/``sign`` query
parameters (HMAC-SHA256 of ``"<timestamp>\\n<secret>"``, Base64), as their robots require.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage

from duban.core import outbox as outbox_module
from duban.core.jobs import job
from duban.core.models import OutboxMessage
from duban.org.choices import Role
from duban.org.models import User
from duban.supervision.models import Notice, Notification, WebhookEndpoint

WEBHOOK_TIMEOUT = 10


class DeliveryError(Exception):
    """The receiver did not accept the message; the job queue will retry."""


def notice_payload(notice: Notice) -> dict[str, Any]:
    """The generic JSON body: stable keys for integrations."""
    return {
        "event": "notice.issued",
        "notice": {
            "id": notice.pk,
            "level": notice.level,
            "level_label": str(notice.get_level_display()),
            "reason": notice.reason,
            "reply_deadline": notice.reply_deadline.isoformat() if notice.reply_deadline else None,
        },
        # About a task, or (a leader's instruction with no task) the instruction: the
        # other key is null, and ``url`` leads to whichever it is.
        "task": (
            {"id": notice.task_id, "code": notice.task.code, "text": notice.task.text}
            if notice.task_id is not None
            else None
        ),
        "instruction": (
            {"id": notice.instruction_id, "text": notice.subject_text}
            if notice.instruction_id is not None
            else None
        ),
        "unit": {"id": notice.unit_id, "name": notice.unit.name},
        "url": notice.subject_url,
    }


def _markdown(payload: dict[str, Any]) -> tuple[str, str]:
    n, u = payload["notice"], payload["unit"]
    t = payload["task"] or {"code": "", "text": payload["instruction"]["text"]}
    title = f"【{n['level_label']}】{t['code']} {t['text'][:30]}".replace("】 ", "】")
    lines = [
        f"### {title}",
        f"> 主送：{u['name']}",
        f"> 事由：{n['reason']}",
    ]
    if n["reply_deadline"]:
        lines.append(f"> 请于 {n['reply_deadline']} 前回复")
    return title, "\n".join(lines)


def render_webhook(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The request body in the receiver's own format."""
    if kind == WebhookEndpoint.Kind.WECOM:
        _title, text = _markdown(payload)
        return {"msgtype": "markdown", "markdown": {"content": text}}
    if kind == WebhookEndpoint.Kind.DINGTALK:
        title, text = _markdown(payload)
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    return payload


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _dingtalk_url(url: str, secret: str, timestamp_ms: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    sign_value = urllib.parse.quote_plus(base64.b64encode(mac.digest()).decode())
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign_value}"


def recipients(notice: Notice) -> list[User]:
    """The addressed unit's clerks and leaders; a coordination request also goes to the
    task's leader in charge."""
    users = list(
        User.objects.filter(
            is_active=True,
            memberships__unit_id=notice.unit_id,
            memberships__role__in=[Role.CLERK, Role.UNIT_LEADER],
        ).distinct()
    )
    if notice.level == "coordination":
        leader = getattr(getattr(notice.task, "assignment", None), "leader_in_charge", None)
        if leader is not None and leader not in users:
            users.append(leader)
    return users


def notify_notice(notice: Notice) -> dict[str, int]:
    """Inbox rows now; e-mails and webhooks as jobs (sent after commit by the worker)."""
    payload = notice_payload(notice)
    title, text = _markdown(payload)
    users = recipients(notice)
    Notification.objects.bulk_create(
        [
            Notification(user=u, title=title, body=notice.reason, url=payload["url"], notice=notice)
            for u in users
        ]
    )
    mails = 0
    for u in users:
        if u.email:
            outbox_module.add(
                OutboxMessage.Channel.EMAIL,
                f"notice:{notice.pk}:mail:{u.pk}",
                {"to": u.email, "subject": title, "body": text},
            )
            mails += 1
    hooks = 0
    # A district's own instance (``district`` set) takes cascaded tasks, not notices.
    endpoints = WebhookEndpoint.objects.filter(is_active=True, district__isnull=True)
    endpoints = endpoints.prefetch_related("units")
    for endpoint in endpoints:
        scoped = {unit.pk for unit in endpoint.units.all()}
        if scoped and notice.unit_id not in scoped:
            continue
        outbox_module.add(
            OutboxMessage.Channel.WEBHOOK,
            f"notice:{notice.pk}:hook:{endpoint.pk}",
            {"endpoint": endpoint.pk, "payload": payload},
        )
        hooks += 1
    return {"inbox": len(users), "email": mails, "webhook": hooks}


@job("send_email", atomic=False)
def send_email_job(outbox: int) -> dict[str, Any]:
    return outbox_module.deliver(outbox, _send_email)


def _send_email(message: OutboxMessage) -> dict[str, Any]:
    data = message.payload
    mail = EmailMessage(
        data["subject"],
        data["body"],
        settings.DEFAULT_FROM_EMAIL,
        [data["to"]],
        headers={
            "Message-ID": outbox_module.message_id(message.key),
            "X-Duban-Idempotency-Key": message.key,
        },
    )
    return {"sent": mail.send(fail_silently=False)}


@job("deliver_webhook", atomic=False)
def deliver_webhook_job(outbox: int) -> dict[str, Any]:
    return outbox_module.deliver(outbox, _send_webhook)


def _send_webhook(message: OutboxMessage) -> dict[str, Any]:
    endpoint, payload = message.payload["endpoint"], message.payload["payload"]
    target = WebhookEndpoint.objects.get(pk=endpoint)
    body = json.dumps(render_webhook(target.kind, payload), ensure_ascii=False).encode("utf-8")
    timestamp = str(int(time.time()))
    url = target.url
    if target.kind == WebhookEndpoint.Kind.DINGTALK and target.secret:
        url = _dingtalk_url(url, target.secret, str(int(time.time() * 1000)))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "duban-webhook/1",
        "X-Duban-Timestamp": timestamp,
        "Idempotency-Key": message.key,
    }
    if target.secret:
        headers["X-Duban-Signature"] = sign(target.secret, timestamp, body)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
            status = response.status
            answer = response.read(2000).decode("utf-8", "replace")
    except OSError as exc:  # URLError, HTTPError, timeouts
        raise DeliveryError(f"{target.name}: {exc}") from exc
    # Both robots answer HTTP 200 with {"errcode": non-zero} when they refuse a message.
    try:
        errcode = json.loads(answer).get("errcode", 0) if answer else 0
    except (ValueError, AttributeError):
        errcode = 0
    if errcode:
        raise DeliveryError(f"{target.name}: errcode {errcode}: {answer[:200]}")
    return {"status": status}
