"""Hostile uploads (issue 12 point 5): whatever a clerk uploads comes back only as a
download that no browser renders, stored under a name of ours, byte for byte; and text
typed into a notice cannot reach the server's files through the PDF renderer."""

from __future__ import annotations

import datetime as dt
import io

import pypdfium2
import pytest
from django.test import Client

from duban.org.services import create_user
from duban.plans.models import Assignment, Plan, Task
from duban.supervision import services

pytestmark = pytest.mark.django_db

SCRIPT = b"<script>alert(document.cookie)</script>"
HOSTILE = [
    ("报告.html", b"<html><body>" + SCRIPT + b"</body></html>", "application/octet-stream"),
    ("图表.svg", b'<svg xmlns="http://www.w3.org/2000/svg">' + SCRIPT + b"</svg>", "application/octet-stream"),
    ("佐证.pdf.html", SCRIPT, "application/octet-stream"),
    ("../../../etc/passwd", b"root-lookalike", "application/octet-stream"),
    ("照片.gif", b"GIF89a" + SCRIPT, "image/gif"),
    ("脚本.js", SCRIPT, "application/octet-stream"),
    ("页面.xhtml", SCRIPT, "application/octet-stream"),
    ("进展.txt", "第一季度进展".encode(), "text/plain"),
]  # fmt: skip


@pytest.fixture
def filed(units, media_root):
    plan = Plan.objects.create(title="上传方案", year=2026, status="confirmed")
    task = Task.objects.create(plan=plan, code="1", text="推进", status="in_progress")
    Assignment.objects.create(task=task, lead_unit=units["sw"])
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    today = dt.date.today()
    report = services.submit_report(
        task, actor=clerk, period_start=today, period_end=today, due_date=today,
        percent=10, progress="附件见后", files=[(name, data) for name, data, _t in HOSTILE],
    )  # fmt: skip
    return clerk, report


def test_every_upload_comes_back_as_an_inert_download_byte_for_byte(filed):
    clerk, report = filed
    client = Client()
    client.force_login(clerk)
    stored = {e.name: e for e in report.evidence.all()}
    assert len(stored) == len(HOSTILE)
    for name, data, expected_type in HOSTILE:
        evidence = next(e for n, e in stored.items() if n.endswith(name.rsplit("/", 1)[-1]))
        segments = evidence.file.name.split("/")
        assert ".." not in segments and segments[0] == "evidence", evidence.file.name
        response = client.get(f"/evidence/{evidence.pk}/")
        assert response.status_code == 200, name
        assert response["Content-Disposition"].startswith("attachment"), name
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["Content-Type"].split(";")[0] == expected_type, name
        assert b"".join(response.streaming_content) == data, name


def test_a_notice_pdf_prints_markup_as_text_and_reads_no_local_file(units, media_root):
    plan = Plan.objects.create(title="通知方案", year=2026, status="confirmed")
    task = Task.objects.create(plan=plan, code="1", text="推进", status="in_progress")
    Assignment.objects.create(task=task, lead_unit=units["sw"])
    office = create_user("office", password="x", unit=units["office"], role="office")
    reason = '请补报<img src="file:///etc/passwd"><iframe src="file:///etc/hostname">进展'
    notice, _created = services.issue_notice(task, level="supervise", reason=reason, actor=office)
    client = Client()
    client.force_login(office)
    response = client.get(f"/notices/{notice.pk}/document.pdf")
    assert response.status_code == 200
    pdf = pypdfium2.PdfDocument(io.BytesIO(response.content))
    text = "".join(page.get_textpage().get_text_range() for page in pdf)
    assert "root:" not in text  # /etc/passwd was never read into the document
    assert "<img" in text.replace("\r", "").replace("\n", "")  # the markup printed as text
