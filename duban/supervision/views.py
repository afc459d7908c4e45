"""Supervision pages and feeds; the rules live in the services, these are thin adapters."""

from __future__ import annotations

import hashlib

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from duban.plans import access
from duban.supervision import ical
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
        if not access.may_see_report(request.user, evidence.report):
            raise Http404
    else:
        try:
            access.require(request.user, "view", evidence.closure.task)
        except (access.NotFound, access.NotAllowed) as exc:
            raise Http404 from exc
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)
