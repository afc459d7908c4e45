"""The ``extract_document`` job: read an uploaded report, store it, propose its tasks.

The upload page saves the raw bytes under ``MEDIA_ROOT/uploads/`` and enqueues this job;
the worker (or the request itself when ``DUBAN_INLINE_JOBS`` is on) runs it. The job only
calls services: ``ingest_document`` and then ``propose_plan`` (a new plan) or
``review.reextract`` (a re-upload into an existing plan).

Scans and photos are recognised page by page; the job reports each page
(:func:`~duban.core.jobs.report_progress`) so the upload page shows how far it got, and a
clerk may cancel it there: the upload is then deleted and nothing is stored.

A bad file is not a crash: the engine's ``ExtractError`` becomes the job's result
(``{"error": code, "message": …}``), the job is done, no Document is created, and the
page shows the one-line message. Anything else is a bug: the job's write transaction rolls
back and the queue retries it, so the upload file is kept until the job has succeeded.

Reading and extracting (seconds for a large PDF) run outside any transaction; only storing
the document and proposing its tasks run in one short transaction, so the worker never
holds SQLite's write lock while the engine reads.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from duban.core import audit
from duban.core.jobs import JobCancelled, job, report_progress
from duban.extract.errors import ExtractError

UPLOAD_DIR = "uploads"


def upload_path(name: str) -> Path:
    """The file of an upload token; refuses anything outside ``MEDIA_ROOT/uploads``."""
    base = (Path(settings.MEDIA_ROOT) / UPLOAD_DIR).resolve()
    path = (base / Path(name).name).resolve()
    if path.parent != base:
        raise ValueError(f"bad upload name {name!r}")
    return path


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def _catalog_choice(choice: str) -> str | None:
    """The upload form's catalog choice as what the engine loads (a level or a path)."""
    from duban.documents.services import default_catalog, office_catalog_path

    if choice == "none":
        return None
    if choice == "office":
        path = office_catalog_path()
        return str(path) if path is not None else default_catalog()
    return choice or default_catalog()


@job("extract_document", atomic=False)
def extract_document_job(
    *,
    upload: str,
    filename: str,
    title: str = "",
    date: str | None = None,
    user_id: int | None = None,
    plan_id: int | None = None,
    catalog: str = "",
) -> dict[str, Any]:
    from duban.documents.services import read_document, store_document
    from duban.org.models import User
    from duban.plans import review
    from duban.plans.models import Plan
    from duban.plans.services import propose_plan

    path = upload_path(upload)
    if not path.exists():
        return {"error": "missing", "message": "上传的文件已不存在，请重新上传（upload is gone）"}
    user = User.objects.filter(pk=user_id).first() if user_id else None
    plan = Plan.objects.filter(pk=plan_id).first() if plan_id else None
    if plan_id and plan is None:
        _discard(path)
        return {"error": "no_plan", "message": "要并入的方案已不存在，请重新选择（plan is gone）"}
    data = path.read_bytes()
    try:
        unsaved = read_document(
            data,
            filename=filename,
            title=title,
            date=dt.date.fromisoformat(date) if date else None,
            catalog=_catalog_choice(catalog),
            require_date=True,
            progress=report_progress,
        )
    except ExtractError as exc:
        _discard(path)
        return {"error": exc.code.value, "message": exc.message}
    except JobCancelled:
        _discard(path)  # the clerk cancelled: nothing is kept
        raise
    with transaction.atomic(), audit.acting_as(user):
        document = store_document(unsaved, data)
        if plan is not None:
            outcome = review.reextract(plan, document, actor=user)
            added = outcome.added
        else:
            plan = propose_plan(document, actor=user)
            added = plan.tasks.count()
    # Delete the raw bytes only once the outcome is committed: a crash keeps them for the retry.
    _discard(path)
    return {
        "document": document.pk,
        "plan": plan.pk,
        "title": document.title,
        "tasks": added,
        "warnings": list((document.metadata or {}).get("warnings", []))[:10],
    }
