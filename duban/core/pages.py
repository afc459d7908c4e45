"""What every app's pages share: the log-in and permission wrapper, the 403 page, the
version check of edit forms, and the safe ``next`` target.

They lived in ``plans/views.py`` and every other app imported the task pages to get them,
which tied the lower apps (org) to a higher one. The permission *rules* stay in
``plans/access.py``; this module only turns their verdicts (``NotFound``, ``NotAllowed``)
into answers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from duban.core.errors import NotAllowed, NotFound
from duban.core.models import ConflictError


def forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    """The 403 page: the user sees the object but may not do this (an audit row says so)."""
    from duban.core.audit import record_security_event

    record_security_event(
        "permission_denied", user=request.user, note=f"{request.method} {request.path}"[:500]
    )
    return render(
        request,
        "core/403.html",
        {"message": message or _("您没有权限执行此操作。")},
        status=403,
    )


def guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Log-in required; NotFound → 404, NotAllowed → 403 page."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(_("没有找到该任务。")) from exc
        except NotAllowed:
            return forbidden(request)

    return wrapper


def check_version(obj: Any, posted: int | None) -> None:
    """The form's hidden version against the row's: a mismatch is somebody else's write.

    The services that take no ``expected_version`` are guarded here, so every edit form of
    the pages has the same conflict behaviour.
    """
    if obj is not None and posted is not None and int(posted) != obj.version:
        raise ConflictError(obj, int(posted), obj.version)


def rebind_with_version(data: QueryDict, version: int | None) -> QueryDict:
    """The user's submitted data with the current version, so a resubmit can succeed."""
    data = data.copy()
    data["version"] = "" if version is None else str(version)
    return data


def safe_next(request: HttpRequest, default: str) -> str:
    """Where to go after a form: the posted ``next`` if it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
