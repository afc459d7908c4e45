"""Attach the logged-in user to every audited change made while serving a request."""

from __future__ import annotations

import uuid

from duban.core.audit import acting_as


class AuditActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex[:16]
        with acting_as(getattr(request, "user", None), request_id=request_id[:32]):
            return self.get_response(request)
