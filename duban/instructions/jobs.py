"""Reading a 批示件's scan or phone photo: the ``recognize_instruction_scan`` job.

The page (the office's upload form) checks the file at once (:func:`check_scan`: a broken
or hostile image is refused with one Chinese sentence and nothing is stored), keeps the
bytes in the upload store (duban/core/uploads.py) and enqueues the job, which the worker
runs (or the request itself with ``DUBAN_INLINE_JOBS``), as ``duban/plans/jobs.py``
does for reports.

The job recognises every page with the project's OCR (``duban.extract.ocr``, about 3 s a
page on two cores), up to its page limit (``OCR_MAX_PAGES``: a longer file is refused at
upload with one Chinese sentence), reporting each page as progress so the clerk may cancel.
Each upright page is kept as a JPEG of our own making under a new upload token: the
registration form shows the recognised text for the office to correct, and the service
copies the images onto the record, one ``InstructionPage`` each. The uploaded bytes
themselves are never kept or served. A leader often writes on the 批办单 in front of the
report, or on its last page: every page is kept, and the office marks the handwriting on
whichever page it is.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from duban.core import uploads
from duban.core.jobs import JobCancelled, job, report_progress
from duban.extract.errors import ExtractError

SCAN_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".pdf")
# Read only to tell the clerk how to export them (the OCR's own HEIC message).
PHONE_SUFFIXES = (".heic", ".heif")
JOB_NAME = "recognize_instruction_scan"


def _pages(data: bytes, suffix: str) -> Iterator[Any]:
    """The page images of an image file (a TIFF may hold several) or a scanned PDF, in
    order; past the OCR's page limit an ExtractError before the first page."""
    from duban.extract import ocr

    if suffix == ".pdf" or data[:5] == b"%PDF-":
        pages = ocr.render_pdf_pages(data)
        try:
            for _number, image in pages:
                yield image
        finally:
            pages.close()
    else:
        yield from ocr.open_images(data, suffix=suffix)


def _no_page() -> ExtractError:
    from duban.extract.errors import ErrorCode
    from duban.extract.source import _err

    return _err(
        ErrorCode.E019_BAD_IMAGE,
        "文件中没有扫描页（没有图像），请上传扫描件或照片",
        "no scanned page in the file",
    )


def _page_count(data: bytes, suffix: str) -> int:
    """How many pages the job will read (for its progress); 1 when it cannot tell."""
    from duban.extract import ocr

    if suffix == ".pdf" or data[:5] == b"%PDF-":
        try:
            import pypdfium2 as pdfium

            pdf = pdfium.PdfDocument(data)
            try:
                return max(1, len(pdf))
            finally:
                pdf.close()
        except Exception:
            return 1
    return ocr._frame_count(data)


def check_scan(data: bytes, filename: str) -> None:
    """Refuse, before anything is stored, a file that is not a readable page image: an
    unknown type, HEIC, a decompression bomb, a truncated or corrupt image or PDF."""
    from duban.extract.errors import ErrorCode
    from duban.extract.source import _err

    suffix = Path(filename or "").suffix.lower()
    if suffix not in SCAN_SUFFIXES + PHONE_SUFFIXES:
        raise _err(
            ErrorCode.E019_BAD_IMAGE,
            "请上传扫描件或照片（PNG、JPEG、TIFF 或扫描的 PDF）",
            "not a scan or photo",
        )
    if not data:
        raise _err(ErrorCode.E001_EMPTY, "文件是空的，请重新扫描或拍照", "empty file")
    # The page limit is checked before the first page is decoded; the first page is
    # decoded in full (a truncated photo is refused now, not after the upload is kept).
    pages = _pages(data, suffix)
    try:
        if next(pages, None) is None:
            raise _no_page()
    finally:
        pages.close()


def enqueue_scan(uploaded: Any, *, user_id: int | None) -> Any:
    """Keep a checked upload and queue its reading; returns the job (run at once when
    ``DUBAN_INLINE_JOBS`` is on)."""
    from duban.core import jobs

    filename = uploaded.name or "scan.png"
    suffix = Path(filename).suffix.lower()
    token = uploads.new_token(suffix)
    uploads.save(token, uploaded)
    try:
        queued, _created = jobs.enqueue(
            JOB_NAME,
            key=f"instruction-scan:{token}",
            args={"upload": token, "filename": filename[:255], "user_id": user_id},
            max_attempts=3,
        )
    except Exception:
        uploads.delete(token)
        raise
    return jobs.run_inline_if_configured(queued)


def recognised_scan(user: Any, raw_job: Any) -> tuple[Any, Any]:
    """(the job, its pages as :class:`~duban.instructions.services.ScanPage`) for a
    recognition job of ``user``'s that is done with page images; (None, None) for anything
    else, including another user's job (which is as good as missing)."""
    from duban.core.models import Job
    from duban.instructions.services import ScanPage

    try:
        pk = int(str(raw_job))
    except (TypeError, ValueError):
        return None, None
    found = Job.objects.filter(pk=pk, name=JOB_NAME).first()
    if found is None or (found.args or {}).get("user_id") != getattr(user, "pk", None):
        return None, None
    result = found.result if isinstance(found.result, dict) else {}
    pages = result.get("pages") or []
    if not pages:
        return found, None
    return found, [ScanPage(p["image"], int(p["width"]), int(p["height"])) for p in pages]


def suggested_title(lines: list[str]) -> str:
    """The first recognised line that reads like a title (four characters or more): what
    the form offers as the 来文标题. Lines, not paragraphs: the OCR joins a title set
    without a full stop to the paragraph under it."""
    for line in lines:
        line = line.strip()
        if len(line) >= 4:
            return line[:200]
    return ""


@job(JOB_NAME, atomic=False)
def recognize_instruction_scan_job(
    *, upload: str, filename: str, user_id: int | None = None
) -> dict[str, Any]:
    from duban.extract import ocr

    if not uploads.exists(upload):
        return {"error": "missing", "message": "上传的文件已不存在，请重新上传（upload is gone）"}
    data = uploads.read(upload)
    suffix = Path(filename).suffix.lower()
    total = _page_count(data, suffix)
    kept: list[dict[str, Any]] = []
    texts: list[str] = []
    lines: list[str] = []
    try:
        for number, image in enumerate(_pages(data, suffix), start=1):
            page = ocr.recognize_page(image, number, keep_image=True)
            out = io.BytesIO()
            page.image.save(out, format="JPEG", quality=85)
            token = uploads.new_token(".jpg")
            uploads.save(token, out.getvalue())
            kept.append({"image": token, "width": page.width, "height": page.height})
            texts.append(ocr.page_text(page).strip())
            lines.extend(line.text for line in page.lines)
            report_progress(number, max(total, number))
        if not kept:
            raise _no_page()
    except ExtractError as exc:
        _forget(upload, kept)
        return {"error": exc.code.value, "message": exc.message}
    except JobCancelled:
        _forget(upload, kept)  # the clerk cancelled: nothing is kept
        raise
    uploads.delete(upload)
    return {
        "text": "\n\n".join(t for t in texts if t),
        "title": suggested_title(lines),
        "pages": kept,
        "filename": filename,
        "user_id": user_id,
    }


def _forget(upload: str, kept: list[dict[str, Any]]) -> None:
    uploads.delete(upload)
    for page in kept:
        uploads.delete(page["image"])
