"""Supervision pages and feeds; the rules live in the services, these are thin adapters."""

from __future__ import annotations

import hashlib

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from duban.supervision import ical


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
