"""领导批示 over the API: the same rules as the pages, the list machinery (filters, ordering,
page size, ETag), Idempotency-Key on creating, If-Match on PATCH, the 报结 document.
Bad input is a 400 with a Chinese message and writes nothing."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest
from rest_framework.test import APIClient

from duban.core.models import AuditEntry
from duban.instructions.models import Instruction, InstructionReply
from duban.plans.models import Plan, Task

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def _body(units, **overrides):
    today = dt.date.today()
    body = {
        "leader_name": "王明",
        "leader_title": "市长",
        "instructed_on": (today - dt.timedelta(days=3)).isoformat(),
        "source_title": "关于外贸企业订单情况的调研报告",
        "content": "请商务局牵头研究，一周内报我。",
        "reply_by": (today + dt.timedelta(days=5)).isoformat(),
        "lead_unit": units["sw"].pk,
        "co_units": [units["cz"].pk],
    }
    body.update(overrides)
    return body


def test_the_office_creates_once_per_idempotency_key(people, units):
    c = api(people["office"])
    first = c.post("/api/instructions/", _body(units), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    again = c.post("/api/instructions/", _body(units), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Instruction.objects.count() == 1
    data = first.json()
    assert data["lead_unit_name"] == "市商务局" and data["co_units"] == [units["cz"].pk]
    assert data["status"] == "open" and data["overdue"] is False


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"reply_by": "2000-01-01"}, "反馈时限不能早于批示日期"),
        ({"content": "   "}, "content"),
        ({"lead_unit": 999999}, "lead_unit"),
        ({"instructed_on": "昨天"}, "instructed_on"),
    ],
)
def test_bad_input_is_a_400_that_writes_nothing(people, units, change, words):
    before = AuditEntry.objects.count()
    r = api(people["office"]).post("/api/instructions/", _body(units, **change), format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
    assert words in str(r.json()["error"]["message"])
    assert Instruction.objects.count() == 0 and AuditEntry.objects.count() == before


def test_units_cannot_create_and_see_only_their_own(people, units, register):
    mine = register()
    other = register(lead_unit=units["fgw"], co_units=[])
    assert (
        api(people["sw_clerk"]).post("/api/instructions/", _body(units), format="json").status_code
        == 403
    )
    listed = api(people["cz_clerk"]).get("/api/instructions/").json()
    assert [r["id"] for r in listed["results"]] == [mine.pk]
    assert api(people["cz_clerk"]).get(f"/api/instructions/{other.pk}/").status_code == 404
    assert api(people["leader"]).get("/api/instructions/").json()["count"] == 2


def test_filters_ordering_page_size_and_etag(people, units, register):
    today = dt.date.today()
    a = register(reply_by=today + dt.timedelta(days=9))
    b = register(leader_name="李华", reply_by=today - dt.timedelta(days=1))
    c_ = register(lead_unit=units["fgw"], co_units=[], reply_by=today + dt.timedelta(days=2))
    c = api(people["office"])

    def ids(query):
        r = c.get("/api/instructions/" + query)
        assert r.status_code == 200, r.content
        return [row["id"] for row in r.json()["results"]]

    assert ids("") == [b.pk, c_.pk, a.pk]  # by reply-by date
    assert ids("?ordering=-reply_by") == [a.pk, c_.pk, b.pk]
    assert ids("?leader=李华") == [b.pk]
    assert ids("?overdue=true") == [b.pk]
    assert ids(f"?unit={units['cz'].pk}") == [b.pk, a.pk]
    assert ids("?due=week") == [c_.pk]
    assert ids("?status=closed") == []
    assert len(ids("?page_size=1")) == 1
    for bad in ("?page_size=500", "?ordering=text", "?status=gone", "?unit=abc", "?overdue=maybe"):
        r = c.get("/api/instructions/" + bad)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid", bad
    first = c.get("/api/instructions/")
    assert c.get("/api/instructions/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_patch_needs_the_version_and_refuses_a_stale_one(people, units, register):
    instruction = register()
    c = api(people["office"])
    url = f"/api/instructions/{instruction.pk}/"
    assert c.patch(url, {"content": "新"}, format="json").status_code == 400
    stale = c.patch(url, {"content": "新"}, format="json", HTTP_IF_MATCH='"99"')
    assert stale.status_code == 412 and stale.json()["error"]["current_version"] == 1
    ok = c.patch(
        url, {"content": "改正后的批示", "co_units": []}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["content"] == "改正后的批示" and ok.json()["co_units"] == []
    bad = c.patch(url, {"reply_by": "2000-01-01", "version": 2}, format="json")
    assert bad.status_code == 400 and "反馈时限" in bad.json()["error"]["message"]
    assert Instruction.objects.get(pk=instruction.pk).reply_by != dt.date(2000, 1, 1)
    clerk = api(people["sw_clerk"]).patch(url, {"content": "x"}, format="json", HTTP_IF_MATCH='"2"')
    assert clerk.status_code == 403


def test_replies_task_close_and_the_report(people, units, register, media_root):
    instruction = register()
    url = f"/api/instructions/{instruction.pk}/"
    clerk = api(people["sw_clerk"])
    r = clerk.post(
        url + "replies/",
        {"text": "已召开座谈会，形成十条措施。", "attachment": io.BytesIO(b"%PDF-1.4 x")},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="reply-1",
    )
    assert r.status_code == 201, r.content
    assert r.json()["unit"] == units["sw"].pk and r.json()["has_attachment"] is True
    again = clerk.post(
        url + "replies/",
        {"text": "已召开座谈会，形成十条措施。"},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="reply-1",
    )
    assert again.json()["id"] == r.json()["id"] and InstructionReply.objects.count() == 1
    # Not a unit of this instruction / another unit's reply: refused, nothing written.
    assert (
        clerk.post(
            url + "replies/", {"text": "x", "unit": units["fgw"].pk}, format="json"
        ).status_code
        == 400
    )
    assert (
        clerk.post(
            url + "replies/", {"text": "x", "unit": units["cz"].pk}, format="json"
        ).status_code
        == 403
    )
    assert (
        api(people["fgw_clerk"]).post(url + "replies/", {"text": "x"}, format="json").status_code
        == 404
    )
    assert InstructionReply.objects.count() == 1
    assert api(people["office"]).get(url + "replies/").json()["count"] == 1

    plan = Plan.objects.create(title="重点工作", year=2026, status="confirmed")
    office = api(people["office"])
    both = office.post(url + "task/", {"plan": plan.pk, "task": 1}, format="json")
    assert both.status_code == 400 and Task.objects.count() == 0
    made = office.post(url + "task/", {"plan": plan.pk}, format="json")
    assert made.status_code == 200 and made.json()["task"] == Task.objects.get().pk
    assert clerk.post(url + "task/", {"plan": plan.pk}, format="json").status_code == 403

    accepted = office.post(url + "accept-reply/", {"reply": r.json()["id"]}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert office.post(url + "accept-reply/", {"reply": 999999}, format="json").status_code == 400

    word = office.get(url + "report/")
    assert word.status_code == 200 and word["Content-Disposition"].startswith("attachment")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    assert "关于王明同志批示办理情况的报告" in text
    assert "请商务局牵头，会同财政局研究稳外贸支持措施" in text
    assert "已召开座谈会，形成十条措施。" in text and "市商务局" in text
    assert clerk.get(url + "report/").status_code == 403

    closed = office.post(url + "close/", {"note": "已报王市长"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["closed_on_time"] is True
    twice = office.post(url + "close/", {}, format="json")
    assert twice.status_code == 400 and "已报结" in twice.json()["error"]["message"]


def test_stats_by_leader_and_unit(people, units, register):
    register()
    register(leader_name="李华", lead_unit=units["fgw"], co_units=[])
    stats = api(people["office"]).get("/api/instructions/stats/").json()
    assert {t["name"]: t["total"] for t in stats["leaders"]} == {"王明": 1, "李华": 1}
    assert {t["name"] for t in stats["units"]} == {"市商务局", "市财政局", "市发展和改革委员会"}
    mine = api(people["sw_clerk"]).get("/api/instructions/stats/").json()
    assert [t["name"] for t in mine["leaders"]] == ["王明"]


def test_a_scan_is_checked_before_anything_is_kept(people, media_root, settings):
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from duban.core.models import Job

    settings.DUBAN_INLINE_JOBS = True
    office = api(people["office"])
    for name, data in (("半张.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF"), ("页面.html", b"<script>")):
        r = office.post(
            "/api/instructions/scan/", {"file": SimpleUploadedFile(name, data)}, format="multipart"
        )
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid", name
    assert "请上传扫描件或照片" in r.json()["error"]["message"]
    assert Job.objects.count() == 0
    assert not default_storage.exists("uploads") or not default_storage.listdir("uploads")[1]
    clerk = api(people["sw_clerk"]).post("/api/instructions/scan/", {}, format="multipart")
    assert clerk.status_code == 403
    untyped = office.generic("POST", "/api/instructions/scan/", b"5\xc2\x8c/", content_type="")
    assert (
        untyped.status_code == 400 and "multipart/form-data" in untyped.json()["error"]["message"]
    )


def test_creating_with_a_recognised_scan_keeps_its_page_image(
    people, units, media_root, django_capture_on_commit_callbacks
):
    """The registration half of the scan path, with a finished job standing in for the OCR
    (tests/test_views.py runs the OCR itself once)."""
    from django.core.files.storage import default_storage
    from PIL import Image

    from duban.core import uploads
    from duban.core.jobs import enqueue

    image = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(image, format="JPEG")
    token = uploads.new_token(".jpg")
    uploads.save(token, image.getvalue())
    job, _new = enqueue(
        "recognize_instruction_scan", key="t", args={"user_id": people["office"].pk}
    )
    job.status = "done"
    job.result = {"text": "来文", "pages": [{"image": token, "width": 60, "height": 40}]}
    job.save()
    someone = api(people["leader"]).post(
        "/api/instructions/", {**_body(units), "scan_job": job.pk}, format="json"
    )
    assert someone.status_code == 403
    c = api(people["office"])
    missing = c.post("/api/instructions/", {**_body(units), "scan_job": job.pk + 1}, format="json")
    assert missing.status_code == 400 and Instruction.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/api/instructions/", {**_body(units), "scan_job": job.pk}, format="json")
    assert r.status_code == 201 and r.json()["has_scan"] is True
    assert r.json()["pages"] == [{"number": 1, "width": 60, "height": 40, "region": None}]
    kept = Instruction.objects.get().pages.get()
    assert kept.image.read() == image.getvalue() and (kept.width, kept.height) == (60, 40)
    assert not default_storage.exists(f"uploads/{token}")  # the waiting copy is gone


@pytest.mark.slow
def test_a_two_page_scanned_pdf_keeps_both_pages_and_a_region_on_page_two(
    people, units, media_root, settings, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from duban.instructions.tests.scanpage import SCRIBBLE, TITLE, two_page_scan

    settings.DUBAN_INLINE_JOBS = True
    office = api(people["office"])
    r = office.post(
        "/api/instructions/scan/",
        {"file": SimpleUploadedFile("批示.pdf", two_page_scan("PDF"))},
        format="multipart",
    )
    assert r.status_code == 202, r.content
    job = office.get(f"/api/jobs/{r.json()['id']}/").json()
    result = job["result"]
    assert job["status"] == "done" and len(result["pages"]) == 2, result
    assert TITLE in result["text"].replace(" ", "") and "专项资金" in result["text"]
    with django_capture_on_commit_callbacks(execute=True):
        made = office.post(
            "/api/instructions/", {**_body(units), "scan_job": job["id"]}, format="json"
        )
    assert made.status_code == 201 and [p["number"] for p in made.json()["pages"]] == [1, 2]
    url = f"/api/instructions/{made.json()['id']}/region/"
    x, y, w, h = SCRIBBLE
    half = office.post(url, {"page": 2, "x": x}, format="json")
    assert half.status_code == 400 and "x、y、w、h" in str(half.json()["error"])
    beyond = office.post(url, {"page": 3, "x": x, "y": y, "w": w, "h": h}, format="json")
    assert beyond.status_code == 400 and "没有第 3 页" in beyond.json()["error"]["message"]
    assert api(people["sw_clerk"]).post(url, {"page": 2, "clear": True}).status_code == 403
    marked = office.post(url, {"page": 2, "x": x, "y": y, "w": w, "h": h}, format="json")
    assert marked.status_code == 200
    regions = [p["region"] for p in marked.json()["pages"]]
    assert regions[0] is None and regions[1] == {"x": x, "y": y, "w": w, "h": h}
    cleared = office.post(url, {"page": 2, "clear": True}, format="json").json()
    assert [p["region"] for p in cleared["pages"]] == [None, None]
