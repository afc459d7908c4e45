"""The upload and review pages through the Django test client.

Jobs run inside the request (``DUBAN_INLINE_JOBS``) so a test sees the whole path: the
form, the stored upload, the job, the engine, the plan, the review page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from duban.core import jobs
from duban.core.models import Job
from duban.documents.models import Document
from duban.extract.tests.ofdgen import Text, build_ofd
from duban.org.services import create_user
from duban.plans.choices import PlanStatus, TaskStatus
from duban.plans.models import Assignment, Plan, Task

REPORT = """关于2026年重点工作的报告

一、重点任务

（一）扩大有效投资。

今年要加快推进重大项目建设。

年底前完成城东水厂二期工程。

要着力优化营商环境，6月底前出台促进民间投资的若干措施。

（二）提振消费。

要大力促进消费扩容提质。

办好城市消费节系列活动。

支持外贸企业开拓新兴市场。

力争进出口总额增长5%。

（三）财政保障。

要加强预算绩效管理。

严控一般性支出。
"""
# One commitment per paragraph above, so that each review action has its own task; the
# engine folds the clauses of one sentence into one task (see duban/extract).


@pytest.fixture
def inline(settings, media_root):
    settings.DUBAN_INLINE_JOBS = True
    return media_root


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


def upload(client, name: str, data: bytes, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("documents"),
        {"file": SimpleUploadedFile(name, data), **fields},
        follow=True,
    )


def zip_bomb() -> bytes:
    """A .docx whose document.xml inflates 6 MB of nothing from a few KB (ratio > 100:1)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<" + b"0" * (6 * 1024 * 1024))
    return buf.getvalue()


def uploads_left(media_root: Path) -> list[Path]:
    folder = Path(media_root) / "uploads"
    return list(folder.iterdir()) if folder.exists() else []


def upload_and_review(client, django_capture_on_commit_callbacks) -> Document:
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "report.txt", REPORT.encode("utf-8"), date="2026-02-10")
    assert response.status_code == 200
    document = Document.objects.get()
    assert reverse("document-review", args=[document.pk]) in response.content.decode()
    return document


def test_a_valid_upload_is_read_proposed_and_linked_to_review(
    office_client, inline, django_capture_on_commit_callbacks
):
    document = upload_and_review(office_client, django_capture_on_commit_callbacks)
    plan = document.plans.get()
    assert plan.tasks.filter(status=TaskStatus.PROPOSED).count() == 9
    assert document.doc_date is not None
    job = Job.objects.get(name="extract_document")
    assert job.status == Job.Status.DONE and job.result["plan"] == plan.pk
    assert uploads_left(inline) == []  # the raw upload is gone once the job committed
    page = office_client.get(reverse("documents")).content.decode()
    assert document.title in page and "已解析" in page


def test_a_text_document_has_no_page_regions(
    office_client, inline, django_capture_on_commit_callbacks
):
    document = upload_and_review(office_client, django_capture_on_commit_callbacks)
    task = document.plans.get().tasks.first()
    html = office_client.get(reverse("document-review", args=[document.pk])).content.decode()
    assert "region.png" not in html
    url = reverse("document-task-region", args=[document.pk, task.pk])
    assert office_client.get(url).status_code == 404


def test_an_ofd_upload_gives_the_same_proposals_as_its_text(
    office_client, inline, django_capture_on_commit_callbacks
):
    # The report laid out as an OFD from the standard's structure: 6 lines a page, 2 pages.
    lines = [ln for ln in REPORT.split("\n") if ln.strip()]
    pages = [
        [Text(25, 40 + 10 * i, line) for i, line in enumerate(lines[p : p + 6])]
        for p in range(0, len(lines), 6)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(office_client, "report.ofd", build_ofd([pages]), date="2026-02-10")
    assert response.status_code == 200
    document = Document.objects.get()
    assert document.file_format == "ofd"
    proposed = document.plans.get().tasks.filter(status=TaskStatus.PROPOSED)
    assert proposed.count() == 9
    assert proposed.filter(text__contains="城东水厂二期工程").exists()


def test_a_photographed_page_is_recognised_and_proposed(
    office_client, inline, django_capture_on_commit_callbacks
):
    import io

    from duban.extract.tests.pagegen import PARAGRAPHS, render_page

    photo = io.BytesIO()
    render_page(PARAGRAPHS, dpi=200).convert("RGB").save(photo, format="JPEG", quality=80)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(office_client, "批示件.jpg", photo.getvalue(), date="2027-01-15")
    assert response.status_code == 200
    document = Document.objects.get()
    assert (document.file_format, document.encoding) == ("image", "ocr")
    proposed = document.plans.get().tasks.filter(status=TaskStatus.PROPOSED)
    assert proposed.filter(text__contains="滨河新区综合管廊二期工程").exists()
    assert proposed.filter(text__contains="社区养老服务站").exists()
    # Each recognised line is kept with its box on the page, for the review page to show.
    ocr = document.metadata["ocr"]
    assert [p["number"] for p in ocr["pages"]] == [1] and ocr["pages"][0]["rotation"] == 0
    page, left, top, right, bottom, text = next(ln for ln in ocr["lines"] if "滨河新区" in ln[-1])
    assert page == 1 and 0 <= left < right <= ocr["pages"][0]["width"] and top < bottom

    # The review card shows the region of the page the proposal was read from.
    task = proposed.get(text__contains="滨河新区综合管廊二期工程")
    url = reverse("document-task-region", args=[document.pk, task.pk])
    html = office_client.get(reverse("document-review", args=[document.pk])).content.decode()
    assert f'src="{url}"' in html and "原件第 1 页" in html
    response = office_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    from PIL import Image as PILImage

    region = PILImage.open(io.BytesIO(response.content))
    # Two printed lines of the paragraph (the task runs onto the second), not the page.
    assert 2 * (bottom - top) < region.height < 4 * (bottom - top)
    assert region.getextrema()[0] < 100  # ink: the text is in it


def test_a_scanned_ofd_page_gets_its_cut_out_which_an_edit_keeps(
    office_client, inline, django_capture_on_commit_callbacks
):
    """An OFD whose second page is a scan (built from the standard's structure): OCR reads
    it, the review card cuts the proposal's region out of that page, and after the clerk
    corrects the proposal's words the card still shows the same region."""
    import io

    from PIL import Image as PILImage

    from duban.extract.tests.ofdgen import build_scanned_ofd
    from duban.extract.tests.pagegen import PARAGRAPHS, render_page

    scan = io.BytesIO()
    render_page(PARAGRAPHS, dpi=150).save(scan, format="PNG")
    data = build_scanned_ofd([[[Text(25, 40, "青澜市人民政府办公室文件")], scan.getvalue()]])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(office_client, "扫描件.ofd", data, date="2027-01-15")
    assert response.status_code == 200
    document = Document.objects.get()
    assert document.file_format == "ofd"
    assert any("第 2 页是扫描页" in w for w in document.metadata["warnings"])
    assert [p["number"] for p in document.metadata["ocr"]["pages"]] == [2]
    task = document.plans.get().tasks.get(text__contains="滨河新区综合管廊二期工程")
    url = reverse("document-task-region", args=[document.pk, task.pk])
    review = reverse("document-review", args=[document.pk])
    html = office_client.get(review).content.decode()
    assert f'src="{url}"' in html and "原件第 2 页" in html
    before = office_client.get(url)
    assert before.status_code == 200 and before["Content-Type"] == "image/png"
    cut = PILImage.open(io.BytesIO(before.content))
    assert cut.getextrema()[0] < 100 and cut.height < cut.width  # lines of ink, not the page
    # The clerk rewrites the proposal (a misread figure put right, the words shortened).
    edited = office_client.post(
        reverse("document-review-task", args=[document.pk, task.pk, "edit"]),
        {"text": "年内建成滨河新区综合管廊二期工程（已核对）", "version": task.version},
    )
    assert edited.status_code in (200, 302)
    task.refresh_from_db()
    assert task.text == "年内建成滨河新区综合管廊二期工程（已核对）"
    html = office_client.get(review).content.decode()
    assert f'src="{url}"' in html
    after = office_client.get(url)
    assert after.status_code == 200 and after.content == before.content


def test_an_ofd_page_that_cannot_be_read_is_a_warning_on_the_review_page_and_the_api(
    office_client, office_user, inline, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    from duban.extract.tests.ofdgen import build_scanned_ofd

    lines = [ln for ln in REPORT.split("\n") if ln.strip()]
    data = build_scanned_ofd([[[Text(25, 40 + 10 * i, ln) for i, ln in enumerate(lines)], b"?"]])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(office_client, "report.ofd", data, date="2026-02-10")
    assert response.status_code == 200
    document = Document.objects.get()
    said = "第 2 页未能读取（扫描图像已损坏），已跳过，请核对原件（page 2 not read）"
    assert said in document.metadata["warnings"]
    assert (
        said in office_client.get(reverse("document-review", args=[document.pk])).content.decode()
    )
    api = APIClient()
    api.force_authenticate(office_user)
    extraction = api.get(f"/api/documents/{document.pk}/extraction/").json()
    assert said in extraction["warnings"]


def test_an_edited_proposal_with_no_source_span_falls_back_to_its_words():
    from duban.documents.views import _task_region

    ocr = {
        "pages": [{"number": 1, "width": 100, "height": 100, "rotation": 0, "skew": 0.0}],
        "lines": [[1, 10, 10, 90, 20, "新增城镇就业二万二千人。"]],
    }
    task = Task(text="新增城镇就业二万二千人")
    assert _task_region(ocr, task, None).page == 1
    # The span's words win over the edited ones; none found, the words are tried.
    assert _task_region(ocr, Task(text="改写后的文字"), "新增城镇就业二万二千人").page == 1
    assert _task_region(ocr, task, "不在页面上的原话").page == 1
    assert _task_region(None, task, None) is None


def scan_pages(pages: int) -> bytes:
    """A multi-page TIFF scan of the test page (our own text, drawn at test time)."""
    import io

    from duban.extract.tests.pagegen import PARAGRAPHS, render_page

    page = render_page(PARAGRAPHS, dpi=150)
    buffer = io.BytesIO()
    page.save(buffer, format="TIFF", save_all=True, append_images=[page] * (pages - 1))
    return buffer.getvalue()


def test_a_waiting_scan_shows_its_progress_and_can_be_cancelled(office_client, media_root):
    # No worker runs here: the upload waits in the queue as it would behind a long scan.
    response = upload(office_client, "扫描件.tif", scan_pages(2), date="2027-01-15")
    job = Job.objects.get(name="extract_document")
    assert job.status == Job.Status.PENDING and len(uploads_left(media_root)) == 1
    Job.objects.filter(pk=job.pk).update(progress=40)  # as the worker stores it per page
    fragment = office_client.get(reverse("document-job", args=[job.pk])).content.decode()
    assert "已完成 40%" in fragment and 'value="40"' in fragment and "取消" in fragment
    response = office_client.post(
        reverse("document-job-cancel", args=[job.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "已取消，上传的文件已删除" in html and "every 1s" not in html  # polling stops
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.result["error"] == "cancelled"
    assert uploads_left(media_root) == [] and not Document.objects.exists()
    jobs.run_one()  # a worker starting now finds nothing to do
    assert not Document.objects.exists()


def test_a_scan_cancelled_between_two_pages_stores_nothing(
    office_client, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    from duban.plans import jobs as document_jobs

    upload(office_client, "扫描件.tif", scan_pages(3), date="2027-01-15")
    job = Job.objects.get(name="extract_document")
    calls = []

    def clerk_cancels_after_the_first_page(done: int, total: int) -> None:
        calls.append((done, total))
        if done == 1:
            office_client.post(reverse("document-job-cancel", args=[job.pk]))
        jobs.report_progress(done, total)  # the real one: it sees the cancellation

    monkeypatch.setattr(document_jobs, "report_progress", clerk_cancels_after_the_first_page)
    jobs.run_one()
    assert calls == [(1, 3)]  # recognition stopped at the first page of three
    job.refresh_from_db()
    assert job.result["error"] == "cancelled"
    assert uploads_left(media_root) == [] and not Document.objects.exists()


def test_another_unit_cannot_cancel_an_upload(office_client, client, media_root, units):
    upload(office_client, "扫描件.tif", scan_pages(1), date="2027-01-15")
    job = Job.objects.get(name="extract_document")
    outsider = create_user("outsider", password="x", unit=units["sw"], role="clerk")
    client.force_login(outsider)
    assert client.post(reverse("document-job-cancel", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.status == Job.Status.PENDING


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("picture.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "PNG 图片"),
        ("empty.txt", b"", "文件是空的"),
        ("broken.docx", b"PK\x03\x04" + b"\x00garbage" * 50, "Word"),
        ("nul.txt", b"abc\x00\x01\x02" * 400, "不是"),
        ("bomb.docx", None, "压缩"),
        ("hostile.ofd", "outside", "压缩包外"),
        ("broken.ofd", b"PK\x03\x04" + b"\x00garbage" * 50, "OFD"),
    ],
)
def test_a_bad_file_shows_the_engine_message_and_leaves_nothing(
    office_client, inline, django_capture_on_commit_callbacks, name, data, message
):
    if data is None:
        data = zip_bomb()
    elif data == "outside":
        data = build_ofd([[[Text(20, 40, "要加快推进。")]]], extra={"../evil.xml": "<x/>"})
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(office_client, name, data)
    html = response.content.decode()
    job = Job.objects.get(name="extract_document")
    assert job.status == Job.Status.DONE and job.result["error"].startswith("E0")
    assert job.result["message"] in html
    assert message in job.result["message"]
    assert "Traceback" not in html
    assert not Document.objects.exists() and not Plan.objects.exists()
    assert not Task.objects.exists()
    assert uploads_left(inline) == []


def test_a_too_large_file_is_refused_before_it_is_read(office_client, inline, settings):
    settings.DUBAN_MAX_UPLOAD_BYTES = 1024
    response = upload(office_client, "big.txt", "要加快推进。".encode() * 400)
    html = response.content.decode()
    assert response.status_code == 400
    assert "文件过大：0.0 MB，上限 0.0 MB（file too large）" in html
    assert not Job.objects.exists() and not Document.objects.exists()
    assert uploads_left(inline) == []


def test_progress_polls_until_the_worker_is_done(
    office_client, settings, media_root, django_capture_on_commit_callbacks
):
    settings.DUBAN_INLINE_JOBS = False
    response = upload(office_client, "report.txt", REPORT.encode("utf-8"), date="2026-02-10")
    job = Job.objects.get(name="extract_document")
    assert job.status == Job.Status.PENDING and len(uploads_left(media_root)) == 1
    fragment_url = reverse("document-job", args=[job.pk])
    html = response.content.decode()
    assert f'hx-get="{fragment_url}"' in html and 'hx-trigger="every 1s"' in html
    waiting = office_client.get(fragment_url).content.decode()
    assert "正在解析" in waiting and "every 1s" in waiting
    with django_capture_on_commit_callbacks(execute=True):
        jobs.run_one()
    done = office_client.get(fragment_url).content.decode()
    assert "every 1s" not in done  # the finished fragment stops the polling
    document = Document.objects.get()
    assert reverse("document-review", args=[document.pk]) in done
    assert uploads_left(media_root) == []


def test_reupload_into_an_existing_plan_never_duplicates(
    office_client, inline, office_user, units, django_capture_on_commit_callbacks
):
    from duban.plans import review

    document = upload_and_review(office_client, django_capture_on_commit_callbacks)
    plan = document.plans.get()
    review.confirm_plan_with_assignments(plan, actor=office_user)
    before = plan.tasks.count()
    edited = REPORT.replace("严控一般性支出。", "严控一般性支出。要全面实施零基预算改革。")
    with django_capture_on_commit_callbacks(execute=True):
        upload(
            office_client, "report-v2.txt", edited.encode("utf-8"), plan=plan.pk, date="2026-02-10"
        )
    assert plan.tasks.count() == before + 1
    assert plan.documents.count() == 2


def test_only_the_office_gets_the_pages(client, units, inline, office_user):
    clerk = create_user("v_clerk", password="x", unit=units["sw"], role="clerk")
    doc = Document.objects.create(title="t", normalized_text="x")
    client.force_login(clerk)
    assert client.get(reverse("documents")).status_code == 403
    assert client.get(reverse("document-review", args=[doc.pk])).status_code == 404
    assert client.post(reverse("document-review-confirm", args=[doc.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("documents")).status_code == 302  # to the login page


def test_review_page_marks_spans_and_groups_by_section(
    office_client, inline, django_capture_on_commit_callbacks
):
    document = upload_and_review(office_client, django_capture_on_commit_callbacks)
    plan = document.plans.get()
    html = office_client.get(reverse("document-review", args=[document.pk])).content.decode()
    for task in plan.tasks.all():
        assert f'id="span-T{task.pk}"' in html
        assert f'id="task-{task.pk}"' in html
        marked = re.search(rf'id="span-T{task.pk}"[^>]*>([^<]*)</mark>', html).group(1)
        assert marked == document.normalized_text[task.source_start : task.source_end]
    assert "扩大有效投资" in html and "提振消费" in html
    assert 'type="radio"' in html and "市商务局" in html
    assert "j</kbd>" in html  # the shortcuts are documented on the page


def test_review_actions_through_htmx(
    office_client, inline, units, django_capture_on_commit_callbacks
):
    document = upload_and_review(office_client, django_capture_on_commit_callbacks)
    plan = document.plans.get()
    url = lambda t, action: reverse("document-review-task", args=[document.pk, t.pk, action])  # noqa: E731
    hx = {"HTTP_HX_REQUEST": "true"}
    tasks = {t.text[:6]: t for t in plan.tasks.all()}

    r = office_client.post(url(tasks["办好城市消费"], "reject"), **hx)
    assert r.status_code == 200 and 'data-status="rejected"' in r.content.decode()
    assert 'id="review-counts"' in r.content.decode()  # counts updated out of band

    t = tasks["严控一般性支"]
    r = office_client.post(
        url(t, "edit"),
        {"text": "严控一般性支出（改）", "version": t.version, "deadline": "2026-12-31"},
        **hx,
    )
    assert r.status_code == 200
    t.refresh_from_db()
    assert t.text == "严控一般性支出（改）" and str(t.deadline) == "2026-12-31"
    # a stale version: 409, nothing saved, the reviewer's text is shown again
    r = office_client.post(url(t, "edit"), {"text": "我的新文字", "version": 1}, **hx)
    assert r.status_code == 409 and "我的新文字" in r.content.decode()
    t.refresh_from_db()
    assert t.text == "严控一般性支出（改）"

    lead = tasks["今年要加快推"]
    r = office_client.post(url(lead, "lead"), {"unit": units["sw"].pk}, **hx)
    assert r.status_code == 200

    r = office_client.post(
        url(tasks["要着力优化营"], "split"), {"parts": "优化营商环境\n出台若干措施"}, **hx
    )
    assert r.status_code == 200 and 'id="review"' in r.content.decode()
    assert plan.tasks.filter(text="出台若干措施").exists()

    a, b = tasks["要大力促进消"], tasks["支持外贸企业"]
    r = office_client.post(
        reverse("document-review-merge", args=[document.pk]), {"tasks": [b.pk, a.pk]}, **hx
    )
    assert r.status_code == 200
    a.refresh_from_db()
    assert a.text == "要大力促进消费扩容提质；支持外贸企业开拓新兴市场"

    r = office_client.post(
        reverse("document-review-add", args=[document.pk]), {"text": "手工补充的任务"}, **hx
    )
    assert r.status_code == 200 and "手工补充的任务" in r.content.decode()
    r = office_client.post(reverse("document-review-add", args=[document.pk]), {"text": ""}, **hx)
    assert r.status_code == 400 and "不能为空" in r.content.decode()

    r = office_client.post(reverse("document-review-confirm", args=[document.pk]), **hx)
    assert r.status_code == 200 and "已立项" in r.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CONFIRMED
    assert Assignment.objects.get(task=lead).lead_unit == units["sw"]
    page = office_client.get(reverse("document-review", args=[document.pk])).content.decode()
    assert "查看任务" in page


def test_a_task_of_another_plan_is_not_found(
    office_client, inline, django_capture_on_commit_callbacks
):
    document = upload_and_review(office_client, django_capture_on_commit_callbacks)
    other = Task.objects.create(plan=Plan.objects.create(title="另一方案"), text="别的任务")
    r = office_client.post(reverse("document-review-task", args=[document.pk, other.pk, "accept"]))
    assert r.status_code == 404
    other.refresh_from_db()
    assert other.status == TaskStatus.PROPOSED


def test_query_counts_do_not_grow_with_the_number_of_tasks(
    office_client, inline, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from duban.plans import review

    document = upload_and_review(office_client, django_capture_on_commit_callbacks)
    plan = document.plans.get()
    for i in range(40):
        review.add_task(plan, actor=_office(), text=f"追加任务{i}")
    with django_assert_max_num_queries(12):
        office_client.get(reverse("documents"))
    with django_assert_max_num_queries(14):
        r = office_client.get(reverse("document-review", args=[document.pk]))
    assert r.status_code == 200 and "追加任务39" in r.content.decode()


def _office():
    from duban.org.models import User

    return User.objects.get(username="office")


def test_a_hostile_file_name_is_shown_escaped_and_never_used_as_a_path(
    office_client, inline, django_capture_on_commit_callbacks
):
    name = "../../<b>evil</b>.txt"
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(office_client, name, REPORT.encode("utf-8"), date="2026-02-10")
    html = response.content.decode()
    assert "<b>evil</b>" not in html
    document = Document.objects.get()
    assert document.original.name.startswith("documents/") and ".." not in document.original.name
    assert uploads_left(inline) == []


def test_without_javascript_the_forms_post_and_come_back(
    office_client, inline, django_capture_on_commit_callbacks
):
    document = upload_and_review(office_client, django_capture_on_commit_callbacks)
    task = document.plans.get().tasks.get(text="严控一般性支出")
    url = reverse("document-review-task", args=[document.pk, task.pk, "accept"])
    r = office_client.post(url)
    assert r.status_code == 302 and r["Location"].endswith(f"#task-{task.pk}")
    task.refresh_from_db()
    assert task.status == TaskStatus.CONFIRMED
    stale = reverse("document-review-task", args=[document.pk, task.pk, "edit"])
    r = office_client.post(stale, {"text": "改", "version": 1}, follow=True)
    assert "已被他人修改" in r.content.decode()
    task.refresh_from_db()
    assert task.text == "严控一般性支出"


def test_a_commitment_shows_its_clauses_folded_and_splits_into_them(
    office_client, inline, django_capture_on_commit_callbacks
):
    report = "\n\n".join(
        [
            "关于2026年重点工作的报告",
            "一、重点任务",
            "（一）扩大有效投资。",
            "要加快推进重大项目建设，着力优化营商环境，出台促进民间投资的若干措施。",
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload(office_client, "items.txt", report.encode("utf-8"), date="2026-02-10")
    document = Document.objects.get()
    (task,) = document.plans.get().tasks.all()
    assert task.text.startswith("要加快推进重大项目建设，着力优化营商环境")
    items = [i["text"] for i in task.extracted["items"]]
    assert items == ["要加快推进重大项目建设", "着力优化营商环境", "出台促进民间投资的若干措施"]
    page = office_client.get(reverse("document-review", args=[document.pk])).content.decode()
    folded = re.search(r'<ol class="task-items">(.*?)</ol>', page, re.S)
    assert folded and all(f"<li>{i}</li>" in folded.group(1) for i in items)
    # The split form offers the clauses, one per line.
    split = re.search(rf'<textarea id="parts-{task.pk}"[^>]*>(.*?)</textarea>', page, re.S)
    assert split and [x for x in split.group(1).splitlines() if x] == items


def test_a_document_without_a_date_asks_for_one_and_stores_nothing(
    office_client, inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(office_client, "undated.txt", REPORT.encode("utf-8"))
    page = response.content.decode()
    assert "文中没有找到报告日期" in page and "填写文件日期" in page
    assert not Document.objects.exists() and not Plan.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        upload(office_client, "undated.txt", REPORT.encode("utf-8"), date="2026-02-10")
    assert Document.objects.get().doc_date.isoformat() == "2026-02-10"


@pytest.mark.parametrize(
    ("setting", "choice", "lead"),
    [("city", "", "市财政局"), ("province", "", "省财政厅"), ("city", "national", "财政部")],
)
def test_lead_suggestions_come_from_the_site_level_or_the_chosen_catalog(
    office_client, inline, settings, django_capture_on_commit_callbacks, setting, choice, lead
):
    settings.DUBAN_UNIT_LEVEL = setting
    report = "关于2026年重点工作的报告\n\n一、重点任务\n\n要加强预算绩效管理，盘活财政存量资金。\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload(office_client, "r.txt", report.encode("utf-8"), date="2026-02-10", catalog=choice)
    (task,) = Document.objects.get().plans.get().tasks.all()
    assert task.lead_suggestions[0]["unit"] == lead


def test_co_units_and_the_leader_in_charge_are_suggested_on_the_card(
    office_client, inline, settings, django_capture_on_commit_callbacks
):
    settings.DUBAN_UNIT_LEVEL = "city"
    report = (
        "关于2026年重点工作的报告\n\n一、重点任务\n\n"
        "要加强预算绩效管理，盘活财政存量资金，支持中小企业融资担保。\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload(office_client, "r.txt", report.encode("utf-8"), date="2026-02-10")
    (task,) = Document.objects.get().plans.get().tasks.all()
    co = task.extracted["co_units"]
    assert co and task.lead_suggestions[0]["unit"] not in co
    page = office_client.get(reverse("document-review", args=[task.source_document_id]))
    content = page.content.decode()
    assert "建议配合单位：" + "、".join(co) in content
    assert "建议分管领导：" + task.extracted["leader"] in content and task.extracted["leader"]


def test_the_upload_form_names_every_format_the_engine_reads(office_client):
    page = office_client.get(reverse("documents")).content.decode()
    for ext in (".txt", ".docx", ".doc", ".wps", ".pdf", ".ofd", ".html"):
        assert re.search(re.escape(ext) + "(?![a-z])", page), ext


OWN_CATALOG = (
    "单位,简称,别名,职责,类型\n"
    "县数字经济发展中心,县数经中心,数经中心,算力设施、数据要素市场、数字经济产业园,government\n"
    "县财政局,,财政局,预算、财政资金、政府债务,government\n"
)


def test_the_office_uploads_its_own_catalog_and_uploads_use_it(
    office_client, inline, django_capture_on_commit_callbacks, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from duban.documents.services import office_catalog_path

    settings.DUBAN_HOME = tmp_path  # the catalog lives in the data folder: keep it ours
    bad = "单位,职责\n,预算\n"
    response = office_client.post(
        reverse("document-catalog"),
        {"file": SimpleUploadedFile("bad.csv", bad.encode("utf-8"))},
    )
    assert response.status_code == 400 and "单位目录" in response.content.decode()
    assert office_catalog_path() is None  # a bad file replaces nothing

    response = office_client.post(
        reverse("document-catalog"),
        {"file": SimpleUploadedFile("县单位.csv", OWN_CATALOG.encode("utf-8"))},
        follow=True,
    )
    assert "单位目录已启用：2 个单位" in response.content.decode()
    path = office_catalog_path()
    assert path is not None and (path.stat().st_mode & 0o077) == 0
    report = (
        "关于2026年重点工作的报告\n\n一、重点任务\n\n要加快建设数字经济产业园，培育数据要素市场。\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload(office_client, "r.txt", report.encode("utf-8"), date="2026-02-10")
    (task,) = Document.objects.get().plans.get().tasks.all()
    assert task.lead_suggestions[0]["unit"] == "县数字经济发展中心"


def test_choosing_the_office_catalog_before_there_is_one_is_refused(
    office_client, inline, settings, tmp_path
):
    settings.DUBAN_HOME = tmp_path
    response = upload(
        office_client, "r.txt", REPORT.encode("utf-8"), date="2026-02-10", catalog="office"
    )
    assert "尚未上传本单位的单位目录" in response.content.decode()
    assert not Document.objects.exists()


def test_only_the_office_gets_the_catalog_page(client, units, inline):
    clerk = create_user("cat_clerk", password="x", unit=units["sw"], role="clerk")
    client.force_login(clerk)
    assert client.get(reverse("document-catalog")).status_code in (403, 404)


def test_a_bundle_is_labelled_on_the_card_not_offered_as_one_unit(
    office_client, inline, django_capture_on_commit_callbacks
):
    report = "关于2026年重点工作的报告\n\n一、重点任务\n\n各区县要压实属地责任，抓好安全生产。\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload(office_client, "b.txt", report.encode("utf-8"), date="2026-02-10")
    document = Document.objects.get()
    (task,) = document.plans.get().tasks.all()
    assert task.lead_suggestions[0]["unit"] == "各区县"
    page = office_client.get(reverse("document-review", args=[document.pk])).content.decode()
    assert "多个单位，立项后由督查室交办" in page
