"""The task book page (``/taskbook/``, office only): import a book in four steps, export plans.

1. upload (.xlsx/.csv/.json): the bytes are kept under ``MEDIA_ROOT/uploads`` with a random
   token, remembered in the session so nobody else can use the token;
2. mapping: :func:`~duban.plans.taskbook.propose_mapping`'s column guesses with their
   confidence, as selects the office may change (the header row too);
3. preview: :func:`~duban.plans.taskbook.plan_import` (a dry run) — counts, the framework
   headings and tasks that will be created, every row error;
4. commit: the ``import_taskbook`` job with the confirmed mapping; the page polls its status
   with htmx (run inline when ``DUBAN_INLINE_JOBS`` is on).

Views are thin adapters over :mod:`duban.plans.taskbook`: every rule lives there.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import jobs, uploads
from duban.core.models import Job
from duban.core.pages import forbidden, guarded
from duban.plans import access, taskbook
from duban.plans.models import Plan

SESSION_KEY = "taskbook_uploads"
JOB_NAME = "import_taskbook"
ALLOWED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".json")
PREVIEW_TASKS = 300  # tasks listed on the preview page; the counts cover them all


_is_office = access.is_office


def office_only(view: Any) -> Any:
    """Log-in required, then the office: anybody else gets the 403 page."""

    @guarded
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _is_office(request.user):
            return forbidden(request, _("只有督查室可以导入、导出任务分解表。"))
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _uploads(request: HttpRequest) -> dict[str, dict[str, Any]]:
    return request.session.get(SESSION_KEY, {})


def _upload(request: HttpRequest, token: str) -> dict[str, Any]:
    """The session's record of an upload; another user's or an expired token is 404."""
    info = _uploads(request).get(token)
    if info is None or not uploads.exists(token):
        raise Http404(_("上传的文件已不存在，请重新上传。"))
    return info


def _remember(request: HttpRequest, token: str, info: dict[str, Any]) -> None:
    pending = dict(_uploads(request))
    pending[token] = info
    # Keep the session small: an office clerk rarely has more than a few books on the go.
    while len(pending) > 10:
        oldest = next(iter(pending))
        pending.pop(oldest)
        uploads.delete(oldest)
    request.session[SESSION_KEY] = pending


def _plan_of(info: dict[str, Any]) -> Plan | None:
    return Plan.objects.filter(pk=info["plan_id"]).first() if info.get("plan_id") else None


# --- step 1: the page, the upload ---------------------------------------------------------


def _job_view(job: Job) -> dict[str, Any]:
    result = job.result if isinstance(job.result, dict) else {}
    state = jobs.page_state(job)
    return {
        "job": job,
        "state": state,
        "filename": (job.args or {}).get("filename", ""),
        "result": result,
        "errors": [e.get("text", "") for e in result.get("errors") or []],
    }


@office_only
@require_http_methods(["GET", "POST"])
def taskbook_page(request: HttpRequest) -> HttpResponse:
    """Upload a book; export buttons for every plan; the current import's progress."""
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        response = _receive_upload(request, errors)
        if response is not None:
            return response
        status = 400
    current = None
    if request.GET.get("job", "").isdigit():
        job = Job.objects.filter(name=JOB_NAME, pk=request.GET["job"]).first()
        current = _job_view(job) if job else None
    plans = list(Plan.objects.order_by("-year", "-id").only("id", "title", "year", "status"))
    return render(
        request,
        "plans/import_page.html",
        {
            "plans": plans,
            "errors": errors,
            "current": current,
            "posted": request.POST,
            "max_mb": settings.DUBAN_MAX_UPLOAD_BYTES // (1024 * 1024),
            "this_year": dt.date.today().year,
        },
        status=status,
    )


def _receive_upload(request: HttpRequest, errors: list[str]) -> HttpResponse | None:
    uploaded = request.FILES.get("file")
    if uploaded is None:
        errors.append(_("请选择要导入的任务分解表文件。"))
        return None
    name = uploaded.name or "book.xlsx"
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in ALLOWED_SUFFIXES:
        errors.append(
            _("只能导入 .xlsx、.csv 或 .json 文件（旧版 .xls 需服务器装有 LibreOffice）。")
        )
        return None
    if uploaded.size is not None and uploaded.size > settings.DUBAN_MAX_UPLOAD_BYTES:
        errors.append(
            _("文件过大，超过导入上限 {mb} MB。").format(
                mb=settings.DUBAN_MAX_UPLOAD_BYTES // (1024 * 1024)
            )
        )
        return None
    plan_id = request.POST.get("plan", "")
    plan = None
    if plan_id:
        plan = Plan.objects.filter(pk=plan_id).first() if plan_id.isdigit() else None
        if plan is None:
            errors.append(_("要导入的方案不存在。"))
            return None
    year_raw = request.POST.get("year", "").strip()
    if year_raw and not (year_raw.isdigit() and 2000 <= int(year_raw) <= 2100):
        errors.append(_("年度应为四位数字，例如 2026。"))
        return None
    token = uploads.new_token(".xlsx" if suffix == ".xlsm" else suffix)
    uploads.save(token, uploaded)
    _remember(
        request,
        token,
        {
            "filename": name[:255],
            "plan_id": plan.pk if plan else None,
            "title": request.POST.get("title", "").strip()[:200],
            "year": int(year_raw) if year_raw else None,
            "mapping": None,
        },
    )
    return HttpResponseRedirect(reverse("taskbook-mapping", args=[token]))


# --- step 2: the column mapping ------------------------------------------------------------


def _first_sheet(token: str, info: dict[str, Any]) -> taskbook.Sheet | None:
    """The book's first sheet, or None for our JSON format (which needs no mapping)."""
    book = taskbook.read_sheets(uploads.read(token), filename=info["filename"])
    if isinstance(book, dict):
        return None
    if not book:
        raise taskbook.TaskbookError(_("工作簿中没有工作表。"))
    return book[0]


def _column_choices(sheet: taskbook.Sheet, mapping: taskbook.Mapping) -> list[tuple[str, str]]:
    out = []
    for c in range(sheet.width):
        header = " ".join(
            dict.fromkeys(
                taskbook._text(sheet.value(r, c))
                for r in range(mapping.header_start, mapping.header_end + 1)
            )
        ).strip()
        letter = taskbook.column_letter(c)
        out.append((letter, f"{letter}列 {header[:20]}".strip()))
    return out


@office_only
@require_http_methods(["GET", "POST"])
def mapping_page(request: HttpRequest, token: str) -> HttpResponse:
    """The proposed mapping as selects; posting it goes on to the preview."""
    info = _upload(request, token)
    try:
        sheet = _first_sheet(token, info)
        if sheet is None:
            return HttpResponseRedirect(reverse("taskbook-preview", args=[token]))
        header_row = request.POST.get("header_row", "").strip() if request.method == "POST" else ""
        proposed = taskbook.propose_mapping(
            sheet, header_row=int(header_row) if header_row.isdigit() else None
        )
    except taskbook.TaskbookError as exc:
        return _refused(request, info, str(exc))
    errors: list[str] = []
    if request.method == "POST" and "apply" in request.POST:
        overrides: dict[str, str] = {}
        # The header row only counts when the office changed it from the detected one.
        if header_row and header_row != request.POST.get("auto_header", ""):
            overrides["表头行"] = header_row
        for col in taskbook.COLUMNS:
            chosen = request.POST.get(f"col_{col.key}", "")
            current = proposed.letter(col.key)
            if chosen and chosen != current:
                overrides[col.label] = chosen
            elif not chosen and current:
                errors.append(
                    _("“{label}”已识别为{letter}列，暂不能取消；可改选为其他列。").format(
                        label=col.label, letter=current
                    )
                )
        if not errors:
            try:
                if set(overrides) - {"表头行"}:
                    taskbook.apply_overrides(sheet, overrides)
            except taskbook.TaskbookError as exc:
                errors.append(str(exc))
            else:
                info["mapping"] = overrides or None
                _remember(request, token, info)
                return HttpResponseRedirect(reverse("taskbook-preview", args=[token]))
    rows = [
        {
            "key": col.key,
            "label": col.label,
            "letter": proposed.letter(col.key),
            "confidence": proposed.confidence.get(col.key),
            "optional": col.optional,
        }
        for col in taskbook.COLUMNS
    ]
    sample = [
        [taskbook._text(v)[:30] for v in row]
        for row in sheet.rows[proposed.header_start : proposed.header_end + 4]
    ]
    return render(
        request,
        "plans/import_mapping.html",
        {
            "token": token,
            "info": info,
            "rows": rows,
            "choices": _column_choices(sheet, proposed),
            "mapping": proposed,
            "header_row": proposed.header_start + 1,
            "auto_header": request.POST.get("auto_header") or proposed.header_start + 1,
            "sample": sample,
            "letters": [taskbook.column_letter(c) for c in range(sheet.width)],
            "errors": errors,
        },
        status=400 if errors else 200,
    )


def _refused(request: HttpRequest, info: dict[str, Any], message: str) -> HttpResponse:
    return render(
        request,
        "plans/import_refused.html",
        {"info": info, "message": message},
        status=400,
    )


# --- step 3: the dry run ---------------------------------------------------------------------


@office_only
@require_GET
def preview_page(request: HttpRequest, token: str) -> HttpResponse:
    """What the import will create, and every row it cannot place. Writes nothing."""
    info = _upload(request, token)
    try:
        preview = taskbook.plan_import(
            uploads.read(token),
            plan=_plan_of(info),
            year=info.get("year"),
            mapping=info.get("mapping") or None,
            filename=info["filename"],
            title=info.get("title") or "",
        )
    except taskbook.TaskbookError as exc:
        return _refused(request, info, str(exc))
    return render(
        request,
        "plans/import_preview.html",
        {
            "token": token,
            "info": info,
            "preview": preview,
            "tasks": preview.tasks[:PREVIEW_TASKS],
            "more_tasks": max(0, len(preview.tasks) - PREVIEW_TASKS),
            "new_nodes": preview.new_nodes,
        },
        status=200 if preview.ok else 400,
    )


# --- step 4: commit through the job ---------------------------------------------------------


@office_only
@require_POST
def commit_view(request: HttpRequest, token: str) -> HttpResponse:
    """Hand the confirmed import to the ``import_taskbook`` job and show its progress."""
    info = _upload(request, token)
    job, _created = jobs.enqueue(
        JOB_NAME,
        key=f"taskbook:{token}",
        args={
            "upload": token,
            "filename": info["filename"],
            "plan_id": info.get("plan_id"),
            "year": info.get("year"),
            "title": info.get("title") or "",
            "mapping": info.get("mapping") or None,
            "user_id": request.user.pk,
        },
        max_attempts=3,
    )
    pending = dict(_uploads(request))
    pending.pop(token, None)
    request.session[SESSION_KEY] = pending
    jobs.run_inline_if_configured(job)
    return HttpResponseRedirect(f"{reverse('taskbook')}?job={job.pk}")


@office_only
@require_GET
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the page polls every second until the import is over."""
    job = get_object_or_404(Job, pk=pk, name=JOB_NAME)
    return render(request, "plans/import_job.html", {"j": _job_view(job)})


# --- export ---------------------------------------------------------------------------------


@office_only
@require_GET
def export_view(request: HttpRequest, plan_id: int, fmt: str) -> HttpResponse:
    """A plan as a task book download: .xlsx, .csv or .json."""
    plan = get_object_or_404(Plan, pk=plan_id)
    stem = re.sub(r"[\\/:*?\"<>|\s]+", "_", plan.title)[:60] or f"plan-{plan.pk}"
    if fmt == "xlsx":
        buf = io.BytesIO()
        taskbook.export_xlsx(plan, buf)
        body: bytes = buf.getvalue()
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        text = io.StringIO()
        taskbook.export_csv(plan, text)
        body = text.getvalue().encode("utf-8-sig")  # Excel on Windows needs the BOM
        ctype = "text/csv; charset=utf-8"
    elif fmt == "json":
        body = json.dumps(taskbook.export_json(plan), ensure_ascii=False, indent=1).encode()
        ctype = "application/json"
    else:
        raise Http404
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = _attachment(f"{stem}.{fmt}")
    return response


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    return "attachment; filename=\"taskbook.{ext}\"; filename*=UTF-8''{q}".format(
        ext=filename.rsplit(".", 1)[-1], q=quote(filename)
    )
