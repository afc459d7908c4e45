"""The instruction pages: register, reply, turn into a task, 报结, and hostile scans.

A broken or hostile scan is refused on the upload form with one Chinese sentence, and
nothing is written: no job, no kept file, no instruction. The one test that runs the OCR
is marked slow (a page takes about 3 s on two cores); it still runs in ``make test``.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib

import docx
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from duban.core.models import Job
from duban.instructions.models import Instruction
from duban.instructions.tests.scanpage import SCRIBBLE, TITLE, two_page_scan
from duban.plans.models import Plan, Task

pytestmark = pytest.mark.django_db


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _form(units, **overrides):
    today = dt.date.today()
    data = {
        "leader_name": "王明",
        "leader_title": "市长",
        "instructed_on": (today - dt.timedelta(days=2)).isoformat(),
        "source_title": "关于外贸企业订单情况的调研报告",
        "source_number": "",
        "source_text": "",
        "content": "请商务局牵头研究，一周内报我。",
        "reply_by": (today + dt.timedelta(days=5)).isoformat(),
        "lead_unit": units["sw"].pk,
        "co_units": [units["cz"].pk],
    }
    data.update(overrides)
    return data


def test_the_office_registers_and_the_unit_replies_on_the_pages(people, units, media_root):
    office = client(people["office"])
    bad = office.post("/instructions/new/", _form(units, reply_by="2000-01-01"))
    assert bad.status_code == 400 and "反馈时限不能早于批示日期。" in bad.content.decode()
    assert Instruction.objects.count() == 0
    r = office.post("/instructions/new/", _form(units))
    instruction = Instruction.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/instructions/{instruction.pk}/"
    page = office.get(r["Location"]).content.decode()
    assert "请商务局牵头研究，一周内报我。" in page and "手工登记，无扫描件。" in page

    # The lead unit's clerk replies from their side, with an attachment.
    clerk = client(people["sw_clerk"])
    assert "反馈办理情况" in clerk.get(r["Location"]).content.decode()
    sent = clerk.post(
        f"/instructions/{instruction.pk}/reply/",
        {
            "unit": units["sw"].pk,
            "text": "已形成措施初稿。",
            "attachment": SimpleUploadedFile("措施.txt", "十条措施".encode()),
        },
    )
    assert sent.status_code == 302
    reply = instruction.replies.get()
    download = clerk.get(f"/instructions/replies/{reply.pk}/attachment")
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == "十条措施".encode()
    # Another unit sees nothing, not even that it exists.
    other = client(people["fgw_clerk"])
    assert other.get(r["Location"]).status_code == 404
    assert other.get(f"/instructions/replies/{reply.pk}/attachment").status_code == 404
    assert clerk.post(f"/instructions/{instruction.pk}/close/").status_code == 403

    # The office accepts, turns it into a task, compiles the 报结 and closes it.
    assert office.post(f"/instructions/replies/{reply.pk}/accept/").status_code == 302
    plan = Plan.objects.create(title="重点工作", year=2026, status="confirmed")
    made = office.post(f"/instructions/{instruction.pk}/task/", {"create": "1", "plan": plan.pk})
    assert made.status_code == 302 and Task.objects.get().assignment.lead_unit == units["sw"]
    word = office.get(f"/instructions/{instruction.pk}/report.docx")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    assert "已形成措施初稿。" in text and "请商务局牵头研究，一周内报我。" in text
    assert (
        office.post(f"/instructions/{instruction.pk}/close/", {"note": "已报"}).status_code == 302
    )
    assert Instruction.objects.get().status == "closed"


def test_the_list_shows_the_counts_and_the_workbench_links_to_what_is_due(people, units, register):
    register()
    register(leader_name="李华", lead_unit=units["fgw"], co_units=[])
    page = client(people["office"]).get("/instructions/").content.decode()
    assert (
        'id="by-leader"' in page and 'data-name="李华"' in page and 'data-name="市财政局"' in page
    )
    home = client(people["cz_clerk"]).get("/").content.decode()
    assert 'data-item="instructions"' in home and "/instructions/?due=week" in home
    due = client(people["cz_clerk"]).get("/instructions/?due=week").content.decode()
    assert "关于外贸企业订单情况的调研报告" in due and "李华" not in due.split('id="counts"')[0]


def png_declaring(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = b"IDAT" + zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)) + struct.pack(">I", len(idat) - 4)
        + idat + struct.pack(">I", zlib.crc32(idat)) + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )  # fmt: skip


def _half_a_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(out, format="JPEG")
    return out.getvalue()[: len(out.getvalue()) // 2]


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("炸弹.png", png_declaring(100_000, 100_000), "像素"),
        ("半张.jpg", _half_a_photo(), "不完整"),
        ("乱码.jpg", b"\xff\xd8\xff\xe0" + b"\x00garbage" * 100, "无法识别"),
        ("手机.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100, "HEIC"),
        ("页面.html", b"<script>alert(1)</script>", "请上传扫描件或照片"),
        ("坏.pdf", b"%PDF-1.4 broken", "PDF"),
        ("空.png", b"", "空"),
    ],
)
def test_a_hostile_or_broken_scan_is_refused_and_nothing_is_written(
    people, media_root, settings, name, data, words
):
    settings.DUBAN_INLINE_JOBS = True
    r = client(people["office"]).post(
        "/instructions/scan/", {"file": SimpleUploadedFile(name, data)}
    )
    assert r.status_code == 400
    assert words in r.content.decode()
    assert Job.objects.count() == 0 and Instruction.objects.count() == 0
    assert not default_storage.exists("uploads") or not default_storage.listdir("uploads")[1]


def test_only_the_office_uploads_scans(people):
    assert client(people["sw_clerk"]).get("/instructions/scan/").status_code == 403
    assert client(people["sw_clerk"]).get("/instructions/new/").status_code == 403


@pytest.mark.slow
def test_a_two_page_scan_is_recognised_kept_and_its_region_marked_on_page_two(
    people, units, media_root, settings, django_capture_on_commit_callbacks
):
    """OCR reads both pages of a TIFF into the source text; both page images are kept; the
    region marked on page 2 crops the scribble, on the page and in the 报结 report."""
    settings.DUBAN_INLINE_JOBS = True
    office = client(people["office"])
    r = office.post(
        "/instructions/scan/", {"file": SimpleUploadedFile("批示.tif", two_page_scan())}
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    job = Job.objects.get()
    assert job.status == "done" and "error" not in job.result, job.result
    read = job.result["text"].replace(" ", "")
    assert TITLE in read and "稳外贸专项资金" in read  # the second page was read too
    assert read.index(TITLE) < read.index("稳外贸专项资金")
    assert job.result["title"] == TITLE  # the first line, not the paragraph the OCR joined
    assert len(job.result["pages"]) == 2
    # Another office user cannot reuse this user's recognised scan.
    from duban.org.services import create_user

    second = client(create_user("office2", password="pw-x-2", unit=units["office"], role="office"))
    assert second.get(f"/instructions/scan/{job.pk}/pages/1.jpg").status_code == 404
    for n in (1, 2):
        shown = office.get(f"/instructions/scan/{job.pk}/pages/{n}.jpg")
        assert shown["Content-Type"] == "image/jpeg"
    assert office.get(f"/instructions/scan/{job.pk}/pages/3.jpg").status_code == 404
    form = office.get(f"/instructions/new/?scan={job.pk}").content.decode()
    assert "外贸企业订单" in form and f'value="{job.pk}"' in form
    assert f"/instructions/scan/{job.pk}/pages/2.jpg" in form
    data = _form(units, source_text=job.result["text"], scan_job=job.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert office.post("/instructions/new/", data).status_code == 302
    instruction = Instruction.objects.get()
    kept = list(instruction.pages.all())
    assert [(p.number, p.width, p.height) for p in kept] == [(1, 900, 560), (2, 900, 560)]
    for page in job.result["pages"]:  # the waiting copies are gone
        assert not default_storage.exists(f"uploads/{page['image']}")
    again = office.post("/instructions/new/", data)
    assert again.status_code == 400 and "识别的图像已过期" in again.content.decode()
    assert Instruction.objects.count() == 1
    page = office.get(f"/instructions/{instruction.pk}/pages/2.jpg")
    assert page["Content-Type"] == "image/jpeg"
    assert office.get(f"/instructions/{instruction.pk}/pages/3.jpg").status_code == 404
    x, y, w, h = SCRIBBLE
    beyond = office.post(
        f"/instructions/{instruction.pk}/region/", {"x": x, "y": y, "w": w, "h": h, "page": 3}
    )
    assert beyond.status_code == 400 and "没有第 3 页" in beyond.content.decode()
    saved = office.post(
        f"/instructions/{instruction.pk}/region/", {"x": x, "y": y, "w": w, "h": h, "page": 2}
    )
    assert saved.status_code == 302 and saved["Location"].endswith("#page-2")
    assert instruction.pages.get(number=1).region is None
    crop = Image.open(
        io.BytesIO(office.get(f"/instructions/{instruction.pk}/pages/2/annotation.png").content)
    )
    assert abs(crop.width - round(w * 900)) <= 2 and abs(crop.height - round(h * 560)) <= 2
    # The scribble is there: the crop is not blank paper.
    assert crop.convert("L").getextrema()[0] < 100
    detail = office.get(f"/instructions/{instruction.pk}/").content.decode()
    assert f"/instructions/{instruction.pk}/pages/2/annotation.png" in detail
    assert "扫描件第 2 页（共 2 页）" in detail
    # The 报结 report carries the marked region of page 2, and only that picture.
    word = docx.Document(
        io.BytesIO(office.get(f"/instructions/{instruction.pk}/report.docx").content)
    )
    pictures = [
        rel.target_part.blob for rel in word.part.rels.values() if rel.reltype.endswith("/image")
    ]
    assert len(pictures) == 1
    assert Image.open(io.BytesIO(pictures[0])).size == crop.size
    assert "批示原件（扫描，第2页）" in "\n".join(p.text for p in word.paragraphs)
    assert (
        client(people["fgw_clerk"]).get(f"/instructions/{instruction.pk}/pages/1.jpg").status_code
        == 404
    )


def test_a_scan_over_the_page_limit_is_refused_at_upload(people, media_root, settings):
    from duban.extract.ocr import OCR_MAX_PAGES

    settings.DUBAN_INLINE_JOBS = True
    blank = Image.new("L", (40, 40), 255)
    out = io.BytesIO()
    blank.save(out, format="TIFF", save_all=True, append_images=[blank] * OCR_MAX_PAGES)
    r = client(people["office"]).post(
        "/instructions/scan/", {"file": SimpleUploadedFile("长.tif", out.getvalue())}
    )
    assert r.status_code == 400
    assert f"超过文字识别上限 {OCR_MAX_PAGES} 页" in r.content.decode()
    assert Job.objects.count() == 0 and Instruction.objects.count() == 0


def test_an_edit_from_a_stale_page_is_a_409_and_keeps_the_text(people, units, register):
    instruction = register()
    office = client(people["office"])
    form = office.get(f"/instructions/{instruction.pk}/edit/").content.decode()
    assert 'name="version" value="1"' in form
    data = _form(units, content="第一次改正", co_units=[], version=1)
    assert office.post(f"/instructions/{instruction.pk}/edit/", data).status_code == 302
    fresh = Instruction.objects.get(pk=instruction.pk)
    assert fresh.content == "第一次改正" and not fresh.co_units.exists() and fresh.version == 2
    stale = office.post(
        f"/instructions/{instruction.pk}/edit/", _form(units, content="旧页面的改动", version=1)
    )
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "已被他人修改" in page and "旧页面的改动" in page and 'name="version" value="2"' in page
    assert Instruction.objects.get(pk=instruction.pk).content == "第一次改正"


def test_attaching_an_existing_task_by_its_number_shows_in_the_tasks_history(people, register):
    plan = Plan.objects.create(title="重点工作", year=2026, status="confirmed")
    task = Task.objects.create(plan=plan, code="2.4", text="稳外贸", status="in_progress")
    instruction = register()
    office = client(people["office"])
    missing = office.post(f"/instructions/{instruction.pk}/task/", {"link": "1", "task": "9.9"})
    assert missing.status_code == 400 and "没有找到该任务" in missing.content.decode()
    r = office.post(f"/instructions/{instruction.pk}/task/", {"link": "1", "task": "2.4"})
    assert r.status_code == 302 and Instruction.objects.get().task == task
    assert "关联领导批示" in office.get(f"/tasks/{task.pk}/").content.decode()
    office.post(f"/instructions/{instruction.pk}/task/", {"unlink": "1"})
    assert Instruction.objects.get().task is None


def test_a_notice_about_an_instruction_reaches_the_units_desk_and_is_answered(
    people, units, register
):
    """The chase of an instruction with no task: on the lead unit's desk (linking to the
    instruction), answered on the instruction's page; the notice document names the
    instruction; another unit sees nothing of it, on the pages or the API."""
    from rest_framework.test import APIClient

    from duban.supervision.models import Notice
    from duban.supervision.services import run_chasing

    today = dt.date.today()
    instruction = register(
        instructed_on=today - dt.timedelta(days=60), reply_by=today - dt.timedelta(days=40)
    )
    run_chasing()
    notice = Notice.objects.get(instruction=instruction)
    clerk = client(people["sw_clerk"])
    desk = clerk.get("/desk/").content.decode()
    assert f"/instructions/{instruction.pk}/" in desk
    assert f"/instructions/notices/{notice.pk}/reply/" in desk
    page = clerk.get(f"/instructions/{instruction.pk}/").content.decode()
    assert "催办督办通知" in page and notice.reason in page
    assert f'action="/instructions/notices/{notice.pk}/reply/"' in page
    # The co-unit sees the instruction but may not answer the lead unit's notice.
    co_page = client(people["cz_clerk"]).get(f"/instructions/{instruction.pk}/").content.decode()
    assert notice.reason in co_page and f"/instructions/notices/{notice.pk}/reply/" not in co_page
    denied = client(people["cz_clerk"]).post(
        f"/instructions/notices/{notice.pk}/reply/", {"reply": "代答", "version": notice.version}
    )
    assert denied.status_code == 403
    assert (
        client(people["fgw_clerk"])
        .post(
            f"/instructions/notices/{notice.pk}/reply/", {"reply": "x", "version": notice.version}
        )
        .status_code
        == 404
    )
    # The task page's reply route does not take a notice that has no task.
    assert (
        clerk.post(
            f"/notices/{notice.pk}/reply/", {"reply": "x", "version": notice.version}
        ).status_code
        == 404
    )
    empty = clerk.post(
        f"/instructions/notices/{notice.pk}/reply/", {"reply": "", "version": notice.version}
    )
    assert empty.status_code == 400 and "请填写回复内容" in empty.content.decode()
    answered = clerk.post(
        f"/instructions/notices/{notice.pk}/reply/",
        {"reply": "已召开专题会研究。", "version": notice.version, "next": "/desk/"},
    )
    assert answered.status_code == 302 and answered["Location"] == "/desk/"
    notice.refresh_from_db()
    assert notice.status == "replied" and notice.reply == "已召开专题会研究。"
    # The notice document: about the instruction, for whoever may see it.
    word = clerk.get(f"/notices/{notice.pk}/document.docx")
    assert word.status_code == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    assert "批示事项" in text and "关于外贸企业订单情况的调研报告" in text and "王明" in text
    assert client(people["fgw_clerk"]).get(f"/notices/{notice.pk}/document.docx").status_code == 404

    # The API: the addressed unit and the office see it, another unit does not.
    def notices(who):
        api = APIClient()
        api.force_authenticate(people[who])
        return [
            (n["id"], n["task"], n["instruction"])
            for n in api.get("/api/notices/").json()["results"]
        ]

    assert notices("sw_clerk") == [(notice.pk, None, instruction.pk)]
    assert notices("office") == [(notice.pk, None, instruction.pk)]
    assert notices("fgw_clerk") == []


def test_the_task_page_links_the_instruction_it_carries_out(people, units, register):
    plan = Plan.objects.create(title="重点工作", year=2026, status="confirmed")
    task = Task.objects.create(plan=plan, code="2.4", text="稳外贸", status="in_progress")
    instruction = register()
    office = client(people["office"])
    link = f'href="/instructions/{instruction.pk}/"'
    assert link not in office.get(f"/tasks/{task.pk}/").content.decode()
    office.post(f"/instructions/{instruction.pk}/task/", {"link": "1", "task": "2.4"})
    page = office.get(f"/tasks/{task.pk}/").content.decode()
    head = page[page.index('class="card task-head"') :]
    head = head[: head.index("</section>")]
    assert link in head and "王明同志" in head  # near the top, not only in the history
