"""Bulletin pages: the list, generating a period's draft, publishing, and downloads.

Files are served through these views (never straight from MEDIA_ROOT) so that the
permission rules apply to every download.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.bulletins import services
from duban.bulletins.models import Bulletin
from duban.core import downloads
from duban.plans import access
from duban.plans.models import Plan
from duban.supervision.models import Notice

# The files a bulletin or notice comes as; any other suffix in the URL is a 404 (a sweep
# once found /notices/1/document.xlsx answering 500).
FORMATS = ("docx", "pdf")


@login_required
def bulletin_list(request: HttpRequest) -> HttpResponse:
    if not access.reads_everything(request.user):
        raise Http404
    is_office = access.is_office(request.user)
    bulletins = Bulletin.objects.select_related("plan").order_by("-period_end", "-id")
    if not is_office:
        bulletins = bulletins.filter(status=Bulletin.Status.PUBLISHED)
    today = dt.date.today()
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - dt.timedelta(days=1)
    return render(
        request,
        "bulletins/list.html",
        {
            "bulletins": bulletins[:200],
            "plans": Plan.objects.order_by("-year", "-id")[:50],
            "is_office": is_office,
            "default_start": last_month_end.replace(day=1).isoformat(),
            "default_end": last_month_end.isoformat(),
        },
    )


@login_required
@require_POST
def bulletin_generate(request: HttpRequest) -> HttpResponse:
    try:
        plan = Plan.objects.get(pk=request.POST.get("plan"))
        start = dt.date.fromisoformat(request.POST.get("period_start", ""))
        end = dt.date.fromisoformat(request.POST.get("period_end", ""))
    except (Plan.DoesNotExist, ValueError):
        messages.error(request, _("请选择方案并填写正确的统计周期（YYYY-MM-DD）。"))
        return redirect("bulletins")
    try:
        bulletin = services.generate_bulletin(plan, start, end, actor=request.user)
    except access.NotAllowed as exc:
        raise Http404 from exc
    except services.BulletinError as exc:
        messages.error(request, str(exc))
        return redirect("bulletins")
    messages.success(request, _("已生成通报草稿：{title}").format(title=bulletin.title))
    return redirect("bulletins")


@login_required
@require_POST
def bulletin_publish(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = Bulletin.objects.filter(pk=pk).first()
    if bulletin is None:
        raise Http404
    try:
        bulletin = services.publish_bulletin(bulletin, actor=request.user)
    except access.NotAllowed as exc:
        raise Http404 from exc
    except services.BulletinError as exc:
        messages.error(request, str(exc))
        return redirect("bulletins")
    messages.success(request, _("已印发：{number}").format(number=bulletin.number))
    return redirect("bulletins")


@login_required
def bulletin_file(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    bulletin = Bulletin.objects.filter(pk=pk).first()
    if bulletin is None or fmt not in FORMATS or not access.reads_everything(request.user):
        raise Http404
    is_office = access.is_office(request.user)
    if bulletin.status != Bulletin.Status.PUBLISHED and not is_office:
        raise Http404
    field = bulletin.docx if fmt == "docx" else bulletin.pdf
    if not field.name:
        raise Http404
    name = f"{bulletin.title}.{fmt}"
    return downloads.attachment(field.open("rb"), name)


@login_required
def notice_document(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A notice as 督办通知单 in Word or PDF, for whoever may see its task (or, for a
    notice about a leader's instruction, that instruction)."""
    notice = Notice.objects.select_related("task", "instruction", "unit").filter(pk=pk).first()
    if notice is None or fmt not in FORMATS:
        raise Http404
    try:
        if notice.task_id is None:
            from duban.instructions.access import get_instruction

            get_instruction(request.user, notice.instruction_id)
        else:
            access.require(request.user, "view", notice.task)
    except (access.NotFound, access.NotAllowed) as exc:
        raise Http404 from exc
    data = services.render_notice(notice, fmt)
    filename = f"{notice.get_level_display()}-{notice.subject_code}.{fmt}"
    content_type = mimetypes.guess_type(Path(filename).name)[0] or "application/octet-stream"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)
