"""The background job that previews and commits an uploaded task book."""

from __future__ import annotations

from typing import Any

from duban.core.jobs import job
from duban.org.models import User
from duban.plans.models import Plan
from duban.plans.taskbook.commit import (
    commit_import,
)
from duban.plans.taskbook.common import (
    TaskbookError,
)
from duban.plans.taskbook.dryrun import (
    plan_import,
)

# -- background job -------------------------------------------------------------------

# Row errors and warnings beyond this many are counted, not listed, in a job's result.
JOB_MAX_ISSUES = 200


@job("import_taskbook", atomic=False)
def import_taskbook_job(
    *,
    upload: str,
    filename: str,
    plan_id: int | None = None,
    year: int | None = None,
    title: str = "",
    mapping: dict[str, str] | None = None,
    user_id: int | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Import an uploaded book in the worker: a large book takes minutes to commit.

    ``upload`` is a token of duban/core/uploads.py (as for ``extract_document``);
    ``mapping`` is the clerk's confirmed :meth:`Mapping.as_overrides`. A refused book is a
    result (``{"error": "file"|"rows", …}``), not a crash, so the queue does not retry it.
    The upload is deleted once the import is committed or refused; a dry run keeps it for
    the commit that follows, and a crash keeps it for the retry. Reading the book runs
    outside any transaction; only :func:`commit_import` writes, in one short transaction,
    so a large book never holds the database while it is being read.
    """
    from duban.core import uploads

    if not uploads.exists(upload):
        return {"error": "missing", "message": "上传的文件已不存在，请重新上传。"}
    plan = Plan.objects.filter(pk=plan_id).first() if plan_id else None
    if plan_id and plan is None:
        return {"error": "no_plan", "message": "要导入的方案已不存在，请重新选择。"}
    actor = User.objects.filter(pk=user_id).first() if user_id else None

    def done_with_upload() -> None:
        if not dry_run:
            uploads.delete(upload)

    try:
        preview = plan_import(
            uploads.read(upload),
            plan=plan,
            year=year,
            mapping=mapping or None,
            filename=filename,
            title=title,
        )
    except TaskbookError as exc:
        done_with_upload()
        return {"error": "file", "message": str(exc)}
    result: dict[str, Any] = {
        "summary": preview.summary(),
        "mapping": preview.mapping.as_overrides() if preview.mapping else None,
        "errors": [e.to_dict() for e in preview.errors[:JOB_MAX_ISSUES]],
        "warnings": [w.to_dict() for w in preview.warnings[:JOB_MAX_ISSUES]],
        "error_count": len(preview.errors),
        "warning_count": len(preview.warnings),
    }
    if preview.errors:
        done_with_upload()
        return {"error": "rows", **result}
    if dry_run:
        return result
    try:
        created = commit_import(preview, actor=actor)
    except TaskbookError as exc:  # a clash with tasks added since the preview
        done_with_upload()
        return {"error": "file", "message": str(exc)}
    done_with_upload()
    return {**result, "plan": created.pk, "tasks": len(preview.tasks)}
