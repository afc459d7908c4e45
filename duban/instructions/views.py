"""The instruction pages (``/instructions/``): thin adapters over :mod:`.services`.

The list with the counts by leader and by unit; registering (typed, or from a scan whose
text the OCR job recognises for the office to correct); the instruction's page with the
page image beside the typed words, the units' replies, turning it into a task, the 报结
document and closing. Who may do what is asked of :mod:`.access` only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import downloads, jobs, uploads
from duban.core.errors import InputError
from duban.core.models import ConflictError, Job
from duban.core.pages import check_version, forbidden, guarded, rebind_with_version, safe_next
from duban.extract.errors import ExtractError
from duban.instructions import access, report, services
from duban.instructions.forms import (
    CloseForm,
    FilterForm,
    InstructionForm,
    LinkForm,
    RegionForm,
    ReplyForm,
    ScanForm,
    TaskCreateForm,
)
from duban.instructions.jobs import check_scan, enqueue_scan, recognised_scan
from duban.instructions.models import Instruction, InstructionReply
from duban.plans import access as plans_access
from duban.plans.models import Task


def _office(request: HttpRequest) -> HttpResponse | None:
    if not access.is_office(request.user):
        return forbidden(request, _("登记和办理领导批示仅限督查室。"))
    return None


def _get(request: HttpRequest, pk: int) -> Instruction:
    qs = Instruction.objects.select_related("lead_unit", "task", "closed_by", "created_by")
    try:
        return access.get_instruction(request.user, pk, qs)
    except access.NotFound as exc:
        raise Http404(_("没有找到该批示。")) from exc


# --------------------------------------------------------------------------- the list


@guarded
@require_GET
def instruction_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = FilterForm(request.GET or None)
    params = form.cleaned_data if form.is_valid() else {}
    if params.get("overdue") is False:
        params = {**params, "overdue": None}  # an unticked box shows everything
    rows = list(
        services.filter_instructions(request.user, params, today).order_by("reply_by", "pk")[:500]
    )
    for row in rows:
        row.overdue = services.is_overdue(row, today)
    return render(
        request,
        "instructions/list.html",
        {
            "form": form,
            "rows": rows,
            "tallies": services.tallies(request.user, today=today),
            "is_office": access.is_office(request.user),
        },
    )


# --------------------------------------------------------------------------- registering


def _scan_job(user: Any, raw: Any) -> Job | None:
    """A recognition job of this user's (any other is as good as missing)."""
    return recognised_scan(user, raw)[0]


def _scan_view(found: Job) -> dict[str, Any]:
    result = found.result if isinstance(found.result, dict) else {}
    return {
        "job": found,
        "state": jobs.page_state(found),
        "filename": (found.args or {}).get("filename", ""),
        "message": result.get("message", ""),
        "result": result,
    }


@guarded
@require_http_methods(["GET", "POST"])
def instruction_scan(request: HttpRequest) -> HttpResponse:
    """上传批示件: a scan or photo is checked now and recognised by the job."""
    denied = _office(request)
    if denied:
        return denied
    form, status, current = ScanForm(), 200, None
    if request.method == "POST":
        form = ScanForm(request.POST, request.FILES)
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                if uploaded.size > settings.DUBAN_MAX_UPLOAD_BYTES:
                    raise InputError(
                        _("文件过大，上限 {mb} MB。").format(
                            mb=settings.DUBAN_MAX_UPLOAD_BYTES // (1024 * 1024)
                        )
                    )
                data = uploaded.read()
                uploaded.seek(0)
                check_scan(data, uploaded.name)
            except (ExtractError, InputError) as exc:
                form.add_error("file", getattr(exc, "message", None) or str(exc))
            else:
                queued = enqueue_scan(uploaded, user_id=request.user.pk)
                return HttpResponseRedirect(reverse("instruction-scan") + f"?job={queued.pk}")
        status = 400
    elif request.GET.get("job"):
        found = _scan_job(request.user, request.GET["job"])
        current = _scan_view(found) if found else None
    return render(
        request, "instructions/scan.html", {"form": form, "current": current}, status=status
    )


@guarded
@require_GET
def scan_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """The fragment the upload page polls until the recognition is over."""
    found = _scan_job(request.user, job_id) if access.is_office(request.user) else None
    if found is None:
        raise Http404
    return render(request, "instructions/_scan_job.html", {"j": _scan_view(found)})


@guarded
@require_GET
def scan_page(request: HttpRequest, job_id: int, number: int) -> HttpResponse:
    """A recognised page image (1-based ``number``), shown on the form before the
    instruction is saved."""
    found = _scan_job(request.user, job_id) if access.is_office(request.user) else None
    pages = ((found.result or {}) if found else {}).get("pages") or []
    token = pages[number - 1].get("image", "") if 1 <= number <= len(pages) else ""
    if not token or not uploads.exists(token):
        raise Http404
    return HttpResponse(uploads.read(token), content_type="image/jpeg")


@guarded
@require_http_methods(["GET", "POST"])
def instruction_new(request: HttpRequest) -> HttpResponse:
    denied = _office(request)
    if denied:
        return denied
    raw_job = request.POST.get("scan_job") or request.GET.get("scan")
    found, scan = recognised_scan(request.user, raw_job) if raw_job else (None, None)
    status = 200
    if request.method == "POST":
        form = InstructionForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("scan_job", None)
            data.pop("version", None)
            try:
                instruction = services.register_instruction(
                    actor=request.user, pages=scan or (), **data
                )
            except services.ValidationError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("批示已登记。"))
                return HttpResponseRedirect(reverse("instruction-detail", args=[instruction.pk]))
        status = 400
    else:
        initial: dict[str, Any] = {"instructed_on": timezone.localdate()}
        result = (found.result or {}) if scan is not None else {}
        if result:
            initial.update(
                source_text=result.get("text", ""),
                source_title=result.get("title", ""),
                scan_job=found.pk,
            )
        form = InstructionForm(initial=initial)
    return render(
        request,
        "instructions/form.html",
        {
            "form": form,
            "scan_job": found if scan is not None else None,
            "scan_pages": range(1, len(scan) + 1) if scan else (),
            "instruction": None,
        },
        status=status,
    )


@guarded
@require_http_methods(["GET", "POST"])
def instruction_edit(request: HttpRequest, pk: int) -> HttpResponse:
    denied = _office(request)
    if denied:
        return denied
    instruction = _get(request, pk)
    status = 200
    if request.method == "POST":
        form = InstructionForm(request.POST, instance=Instruction.objects.get(pk=instruction.pk))
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("scan_job", None)
            version = data.pop("version", None) or instruction.version
            try:
                services.update_instruction(
                    instruction, actor=request.user, version=version, **data
                )
            except ConflictError as exc:
                form = InstructionForm(
                    rebind_with_version(request.POST, exc.found), instance=instruction
                )
                form.is_valid()
                form.add_error(None, str(exc))
                status = 409
            except services.ValidationError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(request, _("批示已修改。"))
                return HttpResponseRedirect(reverse("instruction-detail", args=[instruction.pk]))
        else:
            status = 400
    else:
        form = InstructionForm(instance=instruction, initial={"version": instruction.version})
    return render(
        request,
        "instructions/form.html",
        {
            "form": form,
            "instruction": instruction,
            "scan_job": None,
            "pages": list(instruction.pages.all()),
        },
        status=status,
    )


# --------------------------------------------------------------------------- the page


def render_detail(
    request: HttpRequest, instruction: Instruction, status: int = 200, **forms: Any
) -> HttpResponse:
    today = timezone.localdate()
    office = access.is_office(request.user)
    reply_units = access.reply_units(request.user, instruction)
    units = {u.pk: u for u in instruction.co_units.all()}
    units[instruction.lead_unit_id] = instruction.lead_unit
    replies = list(
        instruction.replies.select_related("unit", "author").order_by("replied_on", "pk")
    )
    context = {
        "i": instruction,
        "overdue": services.is_overdue(instruction, today),
        "co_units": [u for u in instruction.co_units.all()],
        "replies": replies,
        "is_office": office,
        "is_open": instruction.status == "open",
        "reply_form": forms.get("reply_form")
        or (ReplyForm(units=[units[u] for u in reply_units]) if reply_units else None),
        "task_form": forms.get("task_form") or (TaskCreateForm() if office else None),
        "link_form": forms.get("link_form") or (LinkForm() if office else None),
        "close_form": forms.get("close_form") or (CloseForm() if office else None),
        "pages": [
            {
                "page": page,
                "form": (
                    forms["region_form"]
                    if forms.get("region_page") == page.number and forms.get("region_form")
                    else RegionForm(
                        initial={**(page.region or {}), "page": page.number},
                        auto_id=f"id_p{page.number}_%s",
                    )
                )
                if office
                else None,
            }
            for page in instruction.pages.all()
        ],
        "task_visible": instruction.task is not None
        and plans_access.can(request.user, "view", instruction.task),
        "notices": _notices(request, instruction, forms.get("notice_forms") or {}),
    }
    return render(request, "instructions/detail.html", context, status=status)


def _notices(request: HttpRequest, instruction: Instruction, bound: dict[int, Any]) -> list[Any]:
    """The chasing ladder's notices about this instruction (it has no task, or had none
    when they were issued), each with a reply form for the unit it was addressed to."""
    from duban.plans.forms import NoticeReplyForm
    from duban.supervision.choices import NoticeStatus

    today = timezone.localdate()
    notices = list(instruction.notices.select_related("unit").order_by("created_at", "pk"))
    for notice in notices:
        notice.overdue = (
            notice.status == NoticeStatus.OPEN
            and notice.reply_deadline is not None
            and notice.reply_deadline < today
        )
        notice.form = None
        if notice.status == NoticeStatus.OPEN and access.may_reply_for(
            request.user, instruction, notice.unit_id
        ):
            notice.form = bound.get(notice.pk) or NoticeReplyForm(
                initial={"version": notice.version}, auto_id=f"notice{notice.pk}_%s"
            )
    return notices


@guarded
@require_GET
def instruction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_detail(request, _get(request, pk))


@guarded
@require_GET
def instruction_image(request: HttpRequest, pk: int, number: int, part: str) -> HttpResponse:
    """A kept page image (``pages/<n>.jpg``) or its marked annotation
    (``pages/<n>/annotation.png``, the whole page when none is marked).

    Shown inline: the bytes are our own re-encoding of the recognised page, never the
    upload, so nothing a browser could run can come back this way."""
    instruction = _get(request, pk)
    page = instruction.pages.filter(number=number).first()
    if page is None:
        raise Http404
    if part == "page":
        response: HttpResponse = FileResponse(page.image.open("rb"), content_type="image/jpeg")
    else:
        response = HttpResponse(report.annotation_png(page), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _refused(request: HttpRequest, instruction: Instruction, exc: Exception, **forms: Any):
    messages.error(request, str(exc))
    return render_detail(request, instruction, status=400, **forms)


@guarded
@require_POST
def instruction_region(request: HttpRequest, pk: int) -> HttpResponse:
    denied = _office(request)
    if denied:
        return denied
    instruction = _get(request, pk)
    try:
        number = int(request.POST.get("page") or 1)
    except ValueError:
        number = 0
    if "clear" in request.POST:
        region = None
    else:
        form = RegionForm(request.POST)
        if not form.is_valid():
            form.auto_id = f"id_p{number}_%s"
            return render_detail(
                request, instruction, status=400, region_form=form, region_page=number
            )
        region = {k: form.cleaned_data[k] for k in ("x", "y", "w", "h")}
    try:
        services.set_region(instruction, actor=request.user, region=region, page=number)
    except services.ValidationError as exc:
        return _refused(request, instruction, exc)
    messages.success(request, _("批示区域已保存。") if region else _("已改为显示整页。"))
    return HttpResponseRedirect(reverse("instruction-detail", args=[pk]) + f"#page-{number}")


@guarded
@require_POST
def instruction_task(request: HttpRequest, pk: int) -> HttpResponse:
    """转为任务 (a new task) or 关联任务 (an existing one, by code or id)."""
    denied = _office(request)
    if denied:
        return denied
    instruction = _get(request, pk)
    try:
        if "unlink" in request.POST:
            services.link_task(instruction, actor=request.user, task=None)
            messages.success(request, _("已取消关联任务。"))
        elif "link" in request.POST:
            form = LinkForm(request.POST)
            if not form.is_valid():
                return render_detail(request, instruction, status=400, link_form=form)
            task = resolve_task(request.user, form.cleaned_data["task"])
            if task is None:
                form.add_error("task", _("没有找到该任务，请填写任务编号或ID。"))
                return render_detail(request, instruction, status=400, link_form=form)
            services.link_task(instruction, actor=request.user, task=task)
            messages.success(request, _("已关联任务 {code}。").format(code=task.code or task.pk))
        else:
            form = TaskCreateForm(request.POST)
            if not form.is_valid():
                return render_detail(request, instruction, status=400, task_form=form)
            task = services.create_task(instruction, actor=request.user, **form.cleaned_data)
            messages.success(request, _("已转为任务 {code}。").format(code=task.code or task.pk))
    except services.ValidationError as exc:
        return _refused(request, instruction, exc)
    return HttpResponseRedirect(reverse("instruction-detail", args=[pk]) + "#task")


def resolve_task(user: Any, ref: str) -> Task | None:
    """A visible task by id or by code (when the code is unique)."""
    ref = ref.strip()
    visible = plans_access.visible_tasks(user, Task.objects.all())
    if ref.isdigit() and len(ref) < 18:
        task = visible.filter(pk=int(ref)).first()
        if task is not None:
            return task
    matches = list(visible.filter(code=ref)[:2])
    return matches[0] if len(matches) == 1 else None


@guarded
@require_POST
def instruction_reply(request: HttpRequest, pk: int) -> HttpResponse:
    instruction = _get(request, pk)
    allowed = access.reply_units(request.user, instruction)
    if not allowed:
        return forbidden(request, _("只有承办单位可以反馈办理情况。"))
    units = {u.pk: u for u in instruction.co_units.all()}
    units[instruction.lead_unit_id] = instruction.lead_unit
    form = ReplyForm(request.POST, request.FILES, units=[units[u] for u in allowed])
    if not form.is_valid():
        return render_detail(request, instruction, status=400, reply_form=form)
    v = form.cleaned_data
    try:
        services.add_reply(
            instruction,
            actor=request.user,
            unit=units[v["unit"]],
            text=v["text"],
            replied_on=v.get("replied_on"),
            attachment=v.get("attachment"),
        )
    except services.ValidationError as exc:
        form.add_error(None, str(exc))
        return render_detail(request, instruction, status=400, reply_form=form)
    messages.success(request, _("办理情况已反馈。"))
    return HttpResponseRedirect(reverse("instruction-detail", args=[pk]) + "#replies")


def _reply(request: HttpRequest, reply_id: int) -> InstructionReply:
    reply = get_object_or_404(InstructionReply.objects.select_related("instruction"), pk=reply_id)
    _get(request, reply.instruction_id)  # 404 unless the instruction is visible
    return reply


@guarded
@require_POST
def reply_accept(request: HttpRequest, reply_id: int) -> HttpResponse:
    reply = _reply(request, reply_id)
    denied = _office(request)
    if denied:
        return denied
    try:
        services.accept_reply(reply, actor=request.user)
    except services.ValidationError as exc:
        return _refused(request, _get(request, reply.instruction_id), exc)
    messages.success(request, _("已采纳 {unit} 的办理情况。").format(unit=reply.unit))
    return HttpResponseRedirect(
        reverse("instruction-detail", args=[reply.instruction_id]) + "#replies"
    )


@guarded
@require_POST
def notice_reply(request: HttpRequest, notice_id: int) -> HttpResponse:
    """The lead unit answers a 催办/督办/通报 notice about an instruction with no task (a
    notice about a task is answered on the task page)."""
    from duban.plans.forms import NoticeReplyForm
    from duban.supervision.models import Notice
    from duban.supervision.services import ValidationError, reply_notice

    notice = get_object_or_404(Notice, pk=notice_id, task__isnull=True)
    instruction = _get(request, notice.instruction_id)
    form = NoticeReplyForm(request.POST, auto_id=f"notice{notice.pk}_%s")
    if form.is_valid():
        try:
            check_version(notice, form.cleaned_data["version"])
            reply_notice(notice, actor=request.user, reply=form.cleaned_data["reply"])
        except ConflictError as exc:
            messages.error(request, str(exc))
            return render_detail(request, instruction, status=409)
        except ValidationError as exc:
            form.add_error("reply", str(exc))
    if form.errors:
        access.require_reply(request.user, instruction, notice.unit_id)
        return render_detail(request, instruction, status=400, notice_forms={notice.pk: form})
    messages.success(request, _("已回复。"))
    return HttpResponseRedirect(
        safe_next(request, reverse("instruction-detail", args=[instruction.pk]) + "#notices")
    )


@guarded
@require_GET
def reply_attachment(request: HttpRequest, reply_id: int) -> FileResponse:
    reply = _reply(request, reply_id)
    if not reply.attachment:
        raise Http404
    return downloads.attachment(reply.attachment.open("rb"), reply.attachment_name)


@guarded
@require_GET
def instruction_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The 报结 report to the leader as Word (office)."""
    denied = _office(request)
    if denied:
        return denied
    instruction = _get(request, pk)
    body = report.render_report_docx(instruction)
    response = HttpResponse(body, content_type=report.DOCX)
    name = quote(report.report_filename(instruction))
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


@guarded
@require_POST
def instruction_close(request: HttpRequest, pk: int) -> HttpResponse:
    denied = _office(request)
    if denied:
        return denied
    instruction = _get(request, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return render_detail(request, instruction, status=400, close_form=form)
    try:
        services.close_instruction(instruction, actor=request.user, note=form.cleaned_data["note"])
    except services.ValidationError as exc:
        return _refused(request, instruction, exc)
    messages.success(request, _("批示已报结。"))
    return HttpResponseRedirect(reverse("instruction-detail", args=[pk]))
