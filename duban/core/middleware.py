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


class BadInputMiddleware:
    """A bad query parameter or an out-of-range number is the client's mistake: a 400 page.

    Why: ``?plan=abc`` and ids larger than SQLite's 64-bit integers were server errors
    (issue 14). Views read filters with :mod:`duban.core.params`, which raises
    :class:`~duban.core.params.BadParameter` with a message naming the parameter.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import render
        from django.utils.translation import gettext as _

        from duban.core.params import BadParameter

        if isinstance(exception, BadParameter):
            message = str(exception)
        elif isinstance(exception, OverflowError):
            message = _("请求中的数字超出范围。")
        else:
            return None
        return render(request, "400.html", {"message": message}, status=400)
