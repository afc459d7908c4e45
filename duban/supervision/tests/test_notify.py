"""Notifications: inbox rows, e-mail through a real SMTP server on loopback, and signed
webhooks (generic JSON, 企业微信, 钉钉) to a real HTTP receiver on loopback, with retries."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.db import DatabaseError, transaction
from django.utils import timezone

from duban.core import jobs, outbox
from duban.core.models import Job, OutboxMessage
from duban.org.services import create_user
from duban.plans.models import Assignment, Plan, Task
from duban.supervision.models import Notification, WebhookEndpoint
from duban.supervision.notify import sign
from duban.supervision.services import issue_notice


class Receiver(BaseHTTPRequestHandler):
    """A loopback webhook receiver that records requests and can be told to fail."""

    received: list[dict] = []
    fail_next = 0
    answer = b'{"errcode": 0}'

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.fail_next:
            Receiver.fail_next -= 1
            self.send_response(503)
            self.end_headers()
            return
        Receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(Receiver.answer)

    def log_message(self, *args):
        return


@pytest.fixture
def http_receiver():
    Receiver.received, Receiver.fail_next, Receiver.answer = [], 0, b'{"errcode": 0}'
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    box = Mailbox()
    with socket.socket() as probe:  # a free loopback port for the real SMTP server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    yield box
    controller.stop()


@pytest.fixture
def noticed_task(units):
    plan = Plan.objects.create(title="通知方案")
    task = Task.objects.create(plan=plan, code="2.1", text="推进老旧小区改造")
    Assignment.objects.create(task=task, lead_unit=units["sw"])
    create_user("clerk", password="x", unit=units["sw"], role="clerk").__class__.objects.filter(
        username="clerk"
    ).update(email="clerk@example.test")
    create_user("other", password="x", unit=units["cz"], role="clerk")
    return task


def run_all() -> None:
    while jobs.run_one() is not None:
        pass


pytestmark = pytest.mark.django_db(transaction=True)


def test_a_notice_reaches_the_inbox_and_the_mailbox(noticed_task, smtp_server):
    notice, created = issue_notice(noticed_task, level="chase", reason="逾期未报送")
    assert created
    inbox = Notification.objects.filter(notice=notice)
    assert [n.user.username for n in inbox] == ["clerk"]  # not the other unit's clerk
    run_all()
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail.rcpt_tos == ["clerk@example.test"]
    parsed = email.message_from_bytes(mail.content, policy=email.policy.default)
    assert "推进老旧小区改造" in parsed["Subject"]
    assert "逾期未报送" in parsed.get_content()
    # Issuing the same event again sends nothing more.
    _again, created = issue_notice(noticed_task, level="chase", reason="逾期未报送")
    run_all()
    assert not created and len(smtp_server.messages) == 1


@pytest.mark.parametrize("kind", ["generic", "wecom", "dingtalk"])
def test_webhooks_are_signed_in_the_receivers_format(noticed_task, http_receiver, kind):
    WebhookEndpoint.objects.create(
        name=kind, kind=kind, url=f"{http_receiver}/hook?key=abc", secret="s3cret"
    )
    issue_notice(noticed_task, level="supervise", reason="亮红灯")
    run_all()
    assert len(Receiver.received) == 1
    req = Receiver.received[0]
    body = json.loads(req["body"])
    ts = req["headers"]["X-Duban-Timestamp"]
    assert req["headers"]["X-Duban-Signature"] == sign("s3cret", ts, req["body"])
    if kind == "generic":
        assert body["event"] == "notice.issued" and body["task"]["code"] == "2.1"
    elif kind == "wecom":
        assert body["msgtype"] == "markdown" and "推进老旧小区改造" in body["markdown"]["content"]
    else:
        assert body["markdown"]["title"].startswith("【督办】")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(req["path"]).query)
        expected = base64.b64encode(
            hmac.new(
                b"s3cret", f"{query['timestamp'][0]}\ns3cret".encode(), hashlib.sha256
            ).digest()
        ).decode()
        assert query["sign"] == [expected] and query["key"] == ["abc"]


def test_a_failing_receiver_is_retried_and_succeeds_later(noticed_task, http_receiver):
    WebhookEndpoint.objects.create(name="g", kind="generic", url=f"{http_receiver}/h")
    Receiver.fail_next = 1
    issue_notice(noticed_task, level="reminder", reason="请按时报送")
    run_all()
    job = Job.objects.get(name="deliver_webhook")
    assert job.status == "pending" and job.attempts == 1 and "503" in job.error
    Job.objects.filter(pk=job.pk).update(run_after=job.created_at)
    run_all()
    job.refresh_from_db()
    assert job.status == "done" and len(Receiver.received) == 1


def test_a_robot_refusal_is_a_failure(noticed_task, http_receiver):
    WebhookEndpoint.objects.create(name="w", kind="wecom", url=f"{http_receiver}/w")
    Receiver.answer = b'{"errcode": 93000, "errmsg": "invalid webhook url"}'
    issue_notice(noticed_task, level="reminder", reason="请按时报送")
    run_all()
    job = Job.objects.get(name="deliver_webhook")
    assert job.attempts == 1 and "93000" in job.error


def test_messages_carry_their_idempotency_key(noticed_task, http_receiver, smtp_server):
    WebhookEndpoint.objects.create(name="g", kind="generic", url=f"{http_receiver}/h")
    notice, _ = issue_notice(noticed_task, level="supervise", reason="亮红灯")
    run_all()
    hook_key = Receiver.received[0]["headers"]["Idempotency-Key"]
    assert hook_key.startswith(f"notice:{notice.pk}:hook:")
    parsed = email.message_from_bytes(smtp_server.messages[0].content, policy=email.policy.default)
    mail_key = parsed["X-Duban-Idempotency-Key"]
    assert mail_key.startswith(f"notice:{notice.pk}:mail:")
    assert parsed["Message-ID"] == outbox.message_id(mail_key)
    assert set(OutboxMessage.objects.values_list("key", flat=True)) == {hook_key, mail_key}
    assert all(m.sent_at is not None for m in OutboxMessage.objects.all())


def test_nothing_is_sent_twice_when_the_jobs_commit_fails(
    noticed_task, http_receiver, smtp_server, monkeypatch
):
    """The receiver got the message, then recording the job as done failed (the database
    went away): the job is retried once its lease runs out, and finds the message sent."""
    WebhookEndpoint.objects.create(name="g", kind="generic", url=f"{http_receiver}/h")
    issue_notice(noticed_task, level="supervise", reason="亮红灯")
    real_record = jobs._record_success

    def commit_fails(job_obj, result):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(jobs, "_record_success", commit_fails)
    for _ in range(2):  # the mail and the webhook
        with pytest.raises(DatabaseError):
            jobs.run_one()
    assert len(Receiver.received) == 1 and len(smtp_server.messages) == 1
    assert set(Job.objects.values_list("status", flat=True)) == {"running"}

    monkeypatch.setattr(jobs, "_record_success", real_record)
    later = timezone.now() + dt.timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        run_all()
    assert len(Receiver.received) == 1 and len(smtp_server.messages) == 1
    assert set(Job.objects.values_list("status", flat=True)) == {"done"}
    assert {j.result.get("already_sent") for j in Job.objects.all()} == {True}
    assert list(OutboxMessage.objects.values_list("attempts", flat=True)) == [1, 1]


def test_a_rolled_back_notice_leaves_nothing_in_the_outbox(noticed_task, smtp_server):
    with pytest.raises(RuntimeError), transaction.atomic():
        issue_notice(noticed_task, level="supervise", reason="亮红灯")
        raise RuntimeError("the caller failed after issuing")
    run_all()
    assert not OutboxMessage.objects.exists() and not Job.objects.exists()
    assert smtp_server.messages == []
