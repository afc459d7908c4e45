"""The ``extract_document`` job: read an uploaded report, store it, propose its tasks.

It lives in plans, not documents, because it ends in a plan: documents (the files and
what the engine learned from them) sit below plans, whose tasks point at their source
document, and never import plans.

The upload page keeps the raw bytes (duban/core/uploads.py) and enqueues this job;
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
from typing import Any

from django.db import transaction

from duban.core import audit, uploads
from duban.core.jobs import JobCancelled, job, report_progress
from duban.extract.errors import ExtractError


def enqueue_upload(data: dict[str, Any], *, user_id: int | None) -> Any:
    """Keep an uploaded report and queue its reading; the page and the API both call this.

    ``data`` holds the upload form's fields: ``file`` and the optional ``title``, ``date``,
    ``catalog`` and ``plan`` (to re-read into an existing plan). Returns the job, run at
    once when ``DUBAN_INLINE_JOBS`` is on.
    """
    from duban.core import jobs

    uploaded = data["file"]
    filename = uploaded.name or "upload.txt"
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    token = uploads.new_token(suffix)
    uploads.save(token, uploaded)
    try:
        job, _created = jobs.enqueue(
            "extract_document",
            key=f"upload:{token}",
            args={
                "upload": token,
                "filename": filename[:255],
                "title": data.get("title") or "",
                "date": data["date"].isoformat() if data.get("date") else None,
                "catalog": data.get("catalog") or "",
                "user_id": user_id,
                "plan_id": data["plan"].pk if data.get("plan") else None,
            },
            max_attempts=3,
        )
    except Exception:
        uploads.delete(token)
        raise
    return jobs.run_inline_if_configured(job)


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

    if not uploads.exists(upload):
        return {"error": "missing", "message": "上传的文件已不存在，请重新上传（upload is gone）"}
    user = User.objects.filter(pk=user_id).first() if user_id else None
    plan = Plan.objects.filter(pk=plan_id).first() if plan_id else None
    if plan_id and plan is None:
        uploads.delete(upload)
        return {"error": "no_plan", "message": "要并入的方案已不存在，请重新选择（plan is gone）"}
    data = uploads.read(upload)
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
        uploads.delete(upload)
        return {"error": exc.code.value, "message": exc.message}
    except JobCancelled:
        uploads.delete(upload)  # the clerk cancelled: nothing is kept
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
    uploads.delete(upload)
    return {
        "document": document.pk,
        "plan": plan.pk,
        "title": document.title,
        "tasks": added,
        "warnings": list((document.metadata or {}).get("warnings", []))[:10],
    }
