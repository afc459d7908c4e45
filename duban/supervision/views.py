"""Supervision pages and feeds; the rules live in the services, these are thin adapters."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from duban.core import downloads
from duban.core.pages import guarded
from duban.plans import access
from duban.supervision import access as report_access
from duban.supervision import ical, services
from duban.supervision.models import Evidence


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """``/calendar/<token>.ics``: no login (calendar programs cannot), the token is the key.

    An unknown and a revoked token both answer 404, so the answer tells nothing about which
    tokens ever existed.
    """
    feed = ical.active_feed(token)
    if feed is None:
        raise Http404()
    domain = request.get_host().split(":", 1)[0] or ical.DEFAULT_DOMAIN
    body = ical.build_calendar(feed, domain=domain)
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    # Calendar programs poll; an unchanged feed costs them a 304 instead of the whole file.
    conditional = get_conditional_response(request, etag=etag)
    if conditional is not None:
        return conditional
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    response["Content-Disposition"] = 'inline; filename="duban.ics"'
    response["Cache-Control"] = "private, max-age=300"
    # The address is the credential: keep it out of other sites' Referer headers.
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
@require_safe
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """An evidence file, for whoever may see the task it backs (else 404, like the task)."""
    evidence = (
        Evidence.objects.select_related("report__task", "closure__task").filter(pk=pk).first()
    )
    if evidence is None:
        raise Http404
    if evidence.report is not None:
        # A draft's evidence is the draft's: hidden like the draft itself.
        if not report_access.may_see_report(request.user, evidence.report):
            raise Http404
    else:
        try:
            access.require(request.user, "view", evidence.closure.task)
        except (access.NotFound, access.NotAllowed) as exc:
            raise Http404 from exc
    return downloads.attachment(evidence.file.open("rb"), evidence.name)


# -- the workbench's bulk actions (the page itself is duban.project.views.home) ----------------


@guarded
@require_POST
def workbench_accept(request: HttpRequest) -> HttpResponse:
    """批量采纳: accept the reports ticked on the workbench, all or none."""
    ids = []
    for raw in request.POST.getlist("report"):
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    try:
        accepted = services.accept_reports(ids, actor=request.user)
    except services.ValidationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已采纳 {n} 份报告。").format(n=len(accepted)))
    return HttpResponseRedirect(reverse("home") + "#reviews")


@guarded
@require_POST
def workbench_chase(request: HttpRequest) -> HttpResponse:
    """一键催办: a 催办 to every unit with a late report (never twice for the same period)."""
    counts = services.chase_late_units(actor=request.user)
    if counts["units"] == 0:
        messages.info(request, _("没有逾期未报的单位。"))
    else:
        messages.success(
            request,
            _("已向 {units} 个单位发出催办 {sent} 条；{skipped} 条此前已催办，未重复发出。").format(
                **counts
            ),
        )
    return HttpResponseRedirect(reverse("home") + "#late")
