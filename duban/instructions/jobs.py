"""Reading a 批示件's scan or phone photo: the ``recognize_instruction_scan`` job.

The page (the office's upload form) checks the file at once (:func:`check_scan`: a broken
or hostile image is refused with one Chinese sentence and nothing is stored), keeps the
bytes in the upload store (duban/core/uploads.py) and enqueues the job, which the worker
runs (or the request itself with ``DUBAN_INLINE_JOBS``), as ``duban/plans/jobs.py``
does for reports.

The job recognises the first page with the project's OCR (``duban.extract.ocr``, about 3 s
on two cores), and keeps the upright page as a JPEG of our own making under a new upload
token: the registration form shows the recognised text for the office to correct, and the
service copies that image onto the record. The uploaded bytes themselves are never kept
or served. A 批示件 is one page (the leader writes on the first page or on a 批办单), so
only the first page of a multi-page scan is read.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from duban.core import uploads
from duban.core.jobs import job
from duban.extract.errors import ExtractError

SCAN_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".pdf")
# Read only to tell the clerk how to export them (the OCR's own HEIC message).
PHONE_SUFFIXES = (".heic", ".heif")
JOB_NAME = "recognize_instruction_scan"


def _first_page(data: bytes, suffix: str) -> Any:
    """The first page image of an image file or a scanned PDF; ExtractError if none."""
    from duban.extract import ocr
    from duban.extract.errors import ErrorCode
    from duban.extract.source import _err

    if suffix == ".pdf" or data[:5] == b"%PDF-":
        pages = ocr.render_pdf_pages(data)
        try:
            first = next(pages, None)
        finally:
            pages.close()
        image = first[1] if first is not None else None
    else:
        image = next(ocr.open_images(data, suffix=suffix), None)
    if image is None:
        raise _err(
            ErrorCode.E019_BAD_IMAGE,
            "文件中没有扫描页（没有图像），请上传扫描件或照片",
            "no scanned page in the file",
        )
    return image


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
    _first_page(data, suffix)


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
    """(the job, its :class:`~duban.instructions.services.Scan`) for a recognition job of
    ``user``'s that is done with a page image; (None, None) for anything else, including
    another user's job (which is as good as missing)."""
    from duban.core.models import Job
    from duban.instructions.services import Scan

    try:
        pk = int(str(raw_job))
    except (TypeError, ValueError):
        return None, None
    found = Job.objects.filter(pk=pk, name=JOB_NAME).first()
    if found is None or (found.args or {}).get("user_id") != getattr(user, "pk", None):
        return None, None
    result = found.result if isinstance(found.result, dict) else {}
    if not result.get("image"):
        return found, None
    return found, Scan(result["image"], int(result["width"]), int(result["height"]))


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
    try:
        image = _first_page(data, Path(filename).suffix.lower())
        page = ocr.recognize_page(image, keep_image=True)
    except ExtractError as exc:
        uploads.delete(upload)
        return {"error": exc.code.value, "message": exc.message}
    text = ocr.page_text(page).strip()
    kept = io.BytesIO()
    page.image.save(kept, format="JPEG", quality=85)
    token = uploads.new_token(".jpg")
    uploads.save(token, kept.getvalue())
    uploads.delete(upload)
    return {
        "text": text,
        "title": suggested_title([line.text for line in page.lines]),
        "image": token,
        "width": page.width,
        "height": page.height,
        "filename": filename,
        "user_id": user_id,
    }
