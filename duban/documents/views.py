"""Pages for the office: upload a report, watch it being read, review the proposed tasks.

Views are thin adapters: they parse input, ask ``access`` and call the services in
``duban.plans.review``; htmx requests get the changed fragment back (one proposal card,
or the whole review region when the structure changed), plain form posts a redirect.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import audit, jobs, uploads
from duban.core.models import ConflictError, Job
from duban.documents import services as document_services
from duban.documents.forms import CatalogForm, UploadForm
from duban.documents.highlight import Span, render_source
from duban.documents.models import Document, light, text_slice
from duban.documents.regions import find_region, region_png
from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.readers import _err, _mb
from duban.extract.units import is_bundle
from duban.org.models import Unit
from duban.plans import access
from duban.plans import review as services
from duban.plans.choices import PlanStatus, TaskStatus
from duban.plans.jobs import enqueue_upload
from duban.plans.models import FrameworkNode, Plan, Task

_is_office = access.is_office


def too_large(size: int) -> ExtractError:
    """The engine's own E003 message, for a file refused before a byte of it is read."""
    return _err(
        ErrorCode.E003_TOO_LARGE,
        f"文件过大：{_mb(size)}，上限 {_mb(settings.DUBAN_MAX_UPLOAD_BYTES)}",
        "file too large",
    )


# --------------------------------------------------------------------------- upload


@login_required
@require_http_methods(["GET", "POST"])
def document_list(request: HttpRequest) -> HttpResponse:
    if not _is_office(request.user):
        raise PermissionDenied
    status = 200
    form = UploadForm()
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        uploaded = request.FILES.get("file")
        if uploaded is not None and uploaded.size > settings.DUBAN_MAX_UPLOAD_BYTES:
            form.is_valid()
            form.add_error("file", too_large(uploaded.size).message)
        elif form.is_valid():
            job = enqueue_upload(form.cleaned_data, user_id=request.user.pk)
            return redirect(f"{reverse('documents')}?job={job.pk}")
        status = 400
    current = None
    if request.GET.get("job", "").isdigit():
        current = Job.objects.filter(name="extract_document", pk=request.GET["job"]).first()
    documents = (
        light()
        .annotate(task_count=_task_count())
        .prefetch_related(Prefetch("plans", Plan.objects.only("title", "status")))[:100]
    )
    recent = Job.objects.filter(name="extract_document").order_by("-id")
    if current is not None:
        recent = recent.exclude(pk=current.pk)
    recent = recent[:8]
    return render(
        request,
        "documents/list.html",
        {
            "form": form,
            "documents": documents,
            "current": _job_view(current) if current else None,
            "recent": [_job_view(j) for j in recent],
            "max_mb": settings.DUBAN_MAX_UPLOAD_BYTES // (1024 * 1024),
        },
        status=status,
    )


def _task_count() -> Coalesce:
    """Tasks per document as a correlated subquery.

    Why not ``annotate(Count("tasks"))``: that groups by every selected column, the
    whole normalized text included, and one 19 MB document stalled the page (issue 14).
    """
    per_document = (
        Task.objects.filter(source_document=OuterRef("pk"))
        .order_by()
        .values("source_document")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(per_document, output_field=IntegerField()), 0)


@login_required
@require_http_methods(["GET", "POST"])
def catalog_page(request: HttpRequest) -> HttpResponse:
    """The office's own unit catalog: upload it, see which catalog suggestions come from."""
    if not _is_office(request.user):
        raise PermissionDenied
    status = 200
    form = CatalogForm()
    if request.method == "POST":
        form = CatalogForm(request.POST, request.FILES)
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                catalog = document_services.save_office_catalog(
                    uploaded.read(document_services.MAX_CATALOG_BYTES + 1),
                    filename=uploaded.name or "catalog.csv",
                    actor=request.user,
                )
            except ExtractError as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(
                    request,
                    _("单位目录已启用：{n} 个单位，之后上传的报告按它建议牵头单位。").format(
                        n=len(catalog)
                    ),
                )
                return redirect(reverse("document-catalog"))
        status = 400
    path = document_services.office_catalog_path()
    return render(
        request,
        "documents/catalog.html",
        {
            "form": form,
            "office_catalog": path.name if path else "",
            "level": settings.DUBAN_UNIT_LEVEL,
        },
        status=status,
    )


def _job_view(job: Job) -> dict[str, Any]:
    result = job.result if isinstance(job.result, dict) else {}
    state = jobs.page_state(job)
    review_url = (
        reverse("document-review", args=[result["document"]]) if result.get("document") else ""
    )
    return {
        "job": job,
        "state": state,
        "filename": (job.args or {}).get("filename", ""),
        "message": result.get("message", ""),
        "result": result,
        "review_url": review_url,
        "retrying": job.status == Job.Status.PENDING and job.attempts > 0,
    }


@login_required
@require_GET
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the upload page polls every second until the job is over."""
    if not _is_office(request.user):
        raise Http404
    job = get_object_or_404(Job, pk=pk, name="extract_document")
    return render(request, "documents/_job.html", {"j": _job_view(job)})


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel an upload still being read (a long scan): nothing is stored, the file is gone.

    A waiting job is simply marked cancelled; a running one stops at its next page and
    deletes the upload itself (see ``plans/jobs.py``).
    """
    if not _is_office(request.user):
        raise Http404
    job = get_object_or_404(Job, pk=pk, name="extract_document")
    was_pending = job.status == Job.Status.PENDING
    if jobs.cancel(job, message=_("已取消，上传的文件已删除，没有保存任何内容。")):
        audit.record_event(job, "upload_cancelled", data={"filename": job.args.get("filename")})
        if was_pending:
            uploads.delete(job.args.get("upload", ""))
    if request.headers.get("HX-Request"):
        return render(request, "documents/_job.html", {"j": _job_view(job)})
    return redirect(f"{reverse('documents')}?job={job.pk}")


# --------------------------------------------------------------------------- review


@login_required
@require_GET
def task_region(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    """The region of the scanned page a proposal came from, as a PNG beside its card."""
    document, plan = _document_and_plan(request, pk)
    task = _get_task(request, plan, task_id)
    ocr = (document.metadata or {}).get("ocr")
    read = None
    if ocr and _read_here(task, document):
        read = (text_slice(document.pk, task.source_start, task.source_end) or ("", 0))[0]
    region = _task_region(ocr, task, read)
    if region is None or not document.original:
        raise Http404
    suffix = Path(document.original_name).suffix.lower()
    try:
        with document.original.open("rb") as fh:
            original = fh.read()
        png = region_png(original, suffix=suffix, ocr=ocr, region=region)
    except (OSError, ExtractError) as exc:  # the stored original is gone or unreadable
        raise Http404 from exc
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _document_and_plan(request: HttpRequest, pk: int) -> tuple[Document, Plan | None]:
    # The office's work page: for anyone else the document does not exist.
    if not request.user.is_authenticated or not _is_office(request.user):
        raise Http404
    document = get_object_or_404(light(), pk=pk)
    return document, document.plans.order_by("-id").first()


def _task_url(task: Task) -> str:
    try:
        return reverse("task-detail", args=[task.pk])
    except NoReverseMatch:
        return reverse("admin:plans_task_change", args=[task.pk])


def _read_here(task: Task, document: Document) -> bool:
    return (
        task.source_document_id == document.pk
        and task.source_start is not None
        and task.source_end is not None
        and task.source_end > task.source_start
    )


def _task_region(ocr: dict[str, Any] | None, task: Task, read: str | None) -> Any:
    """The page region a proposal came from: found by the words it was read from (its
    source span), so that a proposal the clerk has since edited (a misread number put
    right) keeps its cut-out; by its current words when it has no span here."""
    if not ocr:
        return None
    return (find_region(ocr, read) if read else None) or find_region(ocr, task.text)


def _scan_text(document: Document) -> str | None:
    """A scan's normalised text, read once for a page of cards (the proposals' source
    spans); small, as a scan has at most the OCR's page limit. None for any other file."""
    if not (document.metadata or {}).get("ocr"):
        return None
    return Document.objects.filter(pk=document.pk).values_list("normalized_text", flat=True)[0]


def _card(
    task: Task, document: Document, index: services.UnitIndex, scan_text: str | None = None
) -> dict[str, Any]:
    """What a proposal card shows; no queries (the index and the assignment are loaded;
    ``scan_text`` is :func:`_scan_text`, read once for all the cards)."""
    chosen = services.chosen_lead_id(task)
    default = index.lead_for(task)
    suggestions = []
    for s in (task.lead_suggestions or [])[:3]:
        unit = index.resolve(s.get("unit", ""))
        suggestions.append(
            {
                "name": s.get("unit", ""),
                "score": s.get("score"),
                "matched": "、".join(s.get("matched") or []),
                "unit": unit,
                "bundle": is_bundle(s.get("unit", "")),
                "checked": unit is not None and default is not None and unit.pk == default.pk,
            }
        )
    assignment = getattr(task, "assignment", None) if _loaded_assignment(task) else None
    extracted = task.extracted or {}
    return {
        "task": task,
        "suggestions": suggestions,
        "chosen": index.by_id.get(chosen) if chosen else None,
        "assignment": assignment,
        "pillar": extracted.get("pillar") or "",
        "framework": extracted.get("framework") or "",
        "targets": extracted.get("targets") or [],
        "items": extracted.get("items") or [],
        "co_units": extracted.get("co_units") or [],
        "leader": extracted.get("leader") or "",
        "note": services.review_note(task),
        "here": task.source_document_id == document.pk and task.source_start is not None,
        # A scan: the region of the page the proposal was read from, shown beside it.
        "region": _task_region(
            (document.metadata or {}).get("ocr"),
            task,
            scan_text[task.source_start : task.source_end]
            if scan_text is not None and _read_here(task, document)
            else None,
        ),
        "by_hand": bool(extracted.get("added_by_hand")),
        "reviewable": task.status in (TaskStatus.PROPOSED, TaskStatus.CONFIRMED)
        and assignment is None,
        "url": _task_url(task) if assignment is not None else "",
    }


def _loaded_assignment(task: Task) -> bool:
    try:
        task.assignment  # noqa: B018 - raises when the task has none
    except Task.assignment.RelatedObjectDoesNotExist:
        return False
    return True


def _tasks(plan: Plan):
    return plan.tasks.filter(parent=None).select_related("assignment__lead_unit")


def _counts(plan: Plan) -> dict[str, int]:
    rows = dict(plan.tasks.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {
        "proposed": rows.get(TaskStatus.PROPOSED, 0),
        "confirmed": rows.get(TaskStatus.CONFIRMED, 0),
        "rejected": rows.get(TaskStatus.REJECTED, 0),
        "total": sum(rows.values()),
    }


#: Proposals per review page. Why a page at all: one 19 MB upload gave 36,493 proposals
#: and the page that drew them all never answered (issue 14).
REVIEW_PAGE_SIZE = 50
#: The most source text the page shows at once; a longer document shows the stretch
#: around the current page's proposals.
SOURCE_LIMIT = 200_000
#: At most this many characters of its paragraph around each proposal's sentence, in a
#: long text's excerpts.
SOURCE_CONTEXT = 500


def _page_number(request: HttpRequest) -> str:
    """The review page the reviewer is on: ``?page=``, or the page htmx or the form came from."""
    asked = request.GET.get("page", "")
    if asked.isdigit() and len(asked) < 10:
        return asked
    came_from = (request.htmx.current_url if request.htmx else None) or request.headers.get(
        "referer", ""
    )
    found = re.search(r"[?&]page=(\d{1,9})\b", came_from or "")
    return found.group(1) if found else "1"


def _excerpts(text: str, offset: int, spans: list[Span]) -> SafeString:
    """The paragraphs that hold ``spans`` (plus a little context), in order, with gaps marked.

    ``text`` starts at character ``offset`` of the document. Each excerpt is rendered on its
    own, with only its own spans, so the work grows with the page, not with the document.
    """
    intervals: list[list[int]] = []
    for s in sorted(spans, key=lambda s: s.start):
        a, b = s.start - offset, s.end - offset
        lo = max(text.rfind("\n", 0, max(0, a)) + 1, a - SOURCE_CONTEXT, 0)
        end = text.find("\n", b)
        hi = min(len(text) if end < 0 else end, b + SOURCE_CONTEXT)
        if intervals and lo <= intervals[-1][1] + 1:
            intervals[-1][1] = max(intervals[-1][1], hi)
        else:
            intervals.append([lo, hi])
    gap = mark_safe('<p class="muted gap">……</p>')
    parts: list[str] = []
    for lo, hi in intervals:
        local = [
            Span(s.task_id, s.start - offset - lo, s.end - offset - lo)
            for s in spans
            if s.end - offset > lo and s.start - offset < hi
        ]
        parts.append(render_source(text[lo:hi], local))
    return mark_safe(gap.join(parts))


def _source(document: Document, spans: list[Span]) -> dict[str, Any]:
    # One read of the stretch the page's spans cover (and the text's length): for a 20 MB
    # text each read costs a pass over the whole value, so the length comes with it.
    lo = max(0, min((s.start for s in spans), default=0) - SOURCE_CONTEXT)
    hi = max((s.end for s in spans), default=0) + SOURCE_CONTEXT
    text, length = text_slice(document.pk, lo, hi) or ("", 0)
    if length <= SOURCE_LIMIT:
        if lo > 0 or lo + len(text) < length:
            text = (text_slice(document.pk, 0, length) or ("", 0))[0]
        return {"source": render_source(text, spans), "source_partial": False}
    # A long text: show only the paragraphs of the page's proposals.
    source = _excerpts(text, lo, spans) if spans else render_source(text, [])
    return {"source": source, "source_partial": True, "source_length": length}


def _review_context(document: Document, plan: Plan | None, page: str = "1") -> dict[str, Any]:
    if plan is None:
        return {"document": document, "plan": None}
    nodes = list(plan.framework_nodes.order_by("sort_order", "id"))
    ordered = _tasks(plan).order_by(
        F("framework_node__sort_order").asc(nulls_last=True),
        "framework_node_id",
        "sort_order",
        "id",
    )
    current = Paginator(ordered, REVIEW_PAGE_SIZE).get_page(page)
    index = services.UnitIndex(Unit.objects.filter(is_active=True))
    scan_text = _scan_text(document)
    cards = [_card(t, document, index, scan_text) for t in current.object_list]
    groups: dict[int | None, list[dict[str, Any]]] = {n.pk: [] for n in nodes}
    groups[None] = []
    for card in cards:
        groups.setdefault(card["task"].framework_node_id, []).append(card)
    sections = [{"node": n, "cards": groups[n.pk]} for n in nodes if groups[n.pk]]
    if groups[None]:
        sections.append({"node": None, "cards": groups[None]})
    spans = [
        Span(c["task"].pk, c["task"].source_start, c["task"].source_end)
        for c in cards
        if c["here"] and c["task"].status != TaskStatus.REJECTED
    ]
    return {
        "document": document,
        "plan": plan,
        "sections": sections,
        "nodes": nodes,
        "page": current,
        **_source(document, spans),
        "counts": _counts(plan),
        "confirmed": plan.status == PlanStatus.CONFIRMED,
        "unassigned": plan.tasks.filter(
            parent=None, status=TaskStatus.CONFIRMED, assignment__isnull=True
        ).count(),
        "warnings": (document.metadata or {}).get("warnings", []),
        "other_documents": [d for d in light(plan.documents.all()) if d.pk != document.pk],
    }


@login_required
@require_GET
def review(request: HttpRequest, pk: int) -> HttpResponse:
    document, plan = _document_and_plan(request, pk)
    context = _review_context(document, plan, _page_number(request))
    return render(request, "documents/review.html", context)


def _region(request: HttpRequest, document: Document, plan: Plan, **extra: Any) -> HttpResponse:
    status = extra.pop("status", 200)
    context = _review_context(document, plan, _page_number(request)) | extra
    return render(request, "documents/_review.html", context, status=status)


def _back(request: HttpRequest, document: Document, anchor: str = "") -> HttpResponse:
    url = reverse("document-review", args=[document.pk])
    page = _page_number(request)
    return redirect(url + (f"?page={page}" if page != "1" else "") + anchor)


def _card_response(
    request: HttpRequest,
    document: Document,
    plan: Plan,
    task: Task,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    task = _tasks(plan).get(pk=task.pk)
    index = services.UnitIndex(Unit.objects.filter(is_active=True))
    context = {
        "c": _card(task, document, index, _scan_text(document)),
        "document": document,
        "plan": plan,
        "nodes": list(plan.framework_nodes.order_by("sort_order", "id")),
        "counts": _counts(plan),
        "oob": True,
        **extra,
    }
    return render(request, "documents/_card.html", context, status=status)


def _get_task(request: HttpRequest, plan: Plan | None, task_id: Any) -> Task:
    try:
        task = access.get_task(request.user, task_id, "edit")
    except access.NotFound as exc:
        raise Http404 from exc
    except access.NotAllowed as exc:
        raise PermissionDenied from exc
    if plan is None or task.plan_id != plan.pk:
        raise Http404
    return task


def _parse_date(value: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise services.ReviewError(_("日期格式应为 YYYY-MM-DD。")) from exc


CARD_ACTIONS = {"accept", "reject", "edit", "lead"}
STRUCTURE_ACTIONS = {"split", "move"}


@login_required
@require_POST
def review_task(request: HttpRequest, pk: int, task_id: int, action: str) -> HttpResponse:
    document, plan = _document_and_plan(request, pk)
    if action not in CARD_ACTIONS | STRUCTURE_ACTIONS:
        raise Http404
    task = _get_task(request, plan, task_id)
    post = request.POST
    try:
        if action == "accept":
            services.accept_task(task, actor=request.user)
        elif action == "reject":
            services.reject_task(task, actor=request.user, note=post.get("note", "").strip())
        elif action == "edit":
            services.edit_task(
                task,
                actor=request.user,
                version=int(post.get("version") or 0),
                text=post.get("text", ""),
                deadline=_parse_date(post.get("deadline", "")),
                deadline_text=post.get("deadline_text", ""),
            )
        elif action == "lead":
            unit = Unit.objects.filter(pk=post.get("unit") or 0, is_active=True).first()
            if unit is None:
                raise services.ReviewError(_("请选择牵头单位。"))
            services.set_lead_from_suggestion(task, actor=request.user, unit=unit)
        elif action == "split":
            services.split_task(task, actor=request.user, parts=post.get("parts", "").splitlines())
        elif action == "move":
            node_id = post.get("node") or ""
            node = FrameworkNode.objects.filter(plan=plan, pk=node_id).first() if node_id else None
            if node_id and node is None:
                raise Http404
            services.move_task(task, actor=request.user, framework_node=node)
    except ConflictError as exc:
        if not request.htmx:
            messages.error(request, str(exc))
            return _back(request, document, f"#task-{task.pk}")
        # Keep what the reviewer typed: the form comes back open with their text.
        return _card_response(
            request, document, plan, task, status=409, error=str(exc), draft=post, open="edit"
        )
    except services.ReviewError as exc:
        if not request.htmx:
            messages.error(request, str(exc))
            return _back(request, document, f"#task-{task.pk}")
        return _card_response(
            request, document, plan, task, status=400, error=str(exc), draft=post, open=action
        )
    if not request.htmx:
        return _back(request, document, f"#task-{task.pk}")
    if action in STRUCTURE_ACTIONS:
        return _region(request, document, plan)
    return _card_response(request, document, plan, task)


@login_required
@require_POST
def review_merge(request: HttpRequest, pk: int) -> HttpResponse:
    document, plan = _document_and_plan(request, pk)
    tasks = [_get_task(request, plan, t) for t in request.POST.getlist("tasks")]
    tasks.sort(key=lambda t: (t.sort_order, t.pk))
    try:
        services.merge_tasks(tasks, actor=request.user, text=request.POST.get("text") or None)
    except services.ReviewError as exc:
        if not request.htmx:
            messages.error(request, str(exc))
            return _back(request, document)
        return _region(request, document, plan, error=str(exc), status=400)
    return _region(request, document, plan) if request.htmx else _back(request, document)


@login_required
@require_POST
def review_add(request: HttpRequest, pk: int) -> HttpResponse:
    document, plan = _document_and_plan(request, pk)
    if plan is None:
        raise Http404
    node_id = request.POST.get("node") or ""
    node = FrameworkNode.objects.filter(plan=plan, pk=node_id).first() if node_id else None
    try:
        services.add_task(
            plan,
            actor=request.user,
            text=request.POST.get("text", ""),
            framework_node=node,
            deadline=_parse_date(request.POST.get("deadline", "")),
        )
    except services.ReviewError as exc:
        if not request.htmx:
            messages.error(request, str(exc))
            return _back(request, document)
        return _region(
            request, document, plan, add_error=str(exc), add_draft=request.POST, status=400
        )
    return _region(request, document, plan) if request.htmx else _back(request, document)


@login_required
@require_POST
def review_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    document, plan = _document_and_plan(request, pk)
    if plan is None:
        raise Http404
    result = services.confirm_plan_with_assignments(plan, actor=request.user)
    plan.refresh_from_db()
    notice = _("已立项：{n} 项任务已交办").format(n=len(result.assigned))
    if result.unassigned:
        notice += _("，{n} 项未能确定牵头单位，请逐项交办").format(n=len(result.unassigned))
    if not request.htmx:
        messages.success(request, notice)
        return _back(request, document)
    return _region(request, document, plan, notice=notice)
