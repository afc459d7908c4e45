"""Pages of the battle map: thin adapters that parse filters, call services and render.

htmx requests (a changed filter, the wall screen's minute tick) get only the fragment
that changes; a plain request gets the whole page, so every URL also works without script
and can be bookmarked with its filters.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required as django_login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe

from duban.battlemap import services
from duban.core import pagecache
from duban.plans import access
from duban.plans.services import lights_stamp


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Django's ``login_required``, except that an htmx request gets ``HX-Redirect``.

    Without it, a wall screen whose session ran out would follow the redirect inside its
    minute refresh and paste the login form into the board; htmx instead loads the login
    page as a whole.
    """
    guarded = django_login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _htmx(request) and not request.user.is_authenticated:
            url = f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()})}"
            return HttpResponse(status=204, headers={"HX-Redirect": url})
        return guarded(request, *args, **kwargs)

    return wrapper


def _kept(
    request: HttpRequest, name: str, template: str, build: Callable[[], dict[str, Any]]
) -> str:
    """A board drawn once per state (duban/core/pagecache.py): the same filters, viewers
    with the same grants, nothing audited since and no light recomputed since."""
    return pagecache.render_kept(
        request,
        template,
        build,
        name=name,
        audience=access.audience(request.user),
        state=(sorted(request.GET.lists()), lights_stamp()),
    )


@login_required
def battlemap(request: HttpRequest) -> HttpResponse:
    filters = services.Filters.from_query(request.GET)

    def build() -> dict[str, Any]:
        data = services.overview(request.user, filters, today=timezone.localdate())
        return {"ov": data, "query": filters.querystring()}

    if _htmx(request) and request.headers.get("HX-Target") == "board":
        return HttpResponse(_kept(request, "battlemap-board", "battlemap/_board.html", build))
    body = _kept(request, "battlemap", "battlemap/_overview_body.html", build)
    return render(request, "battlemap/overview.html", {"body": mark_safe(body)})


@login_required
def battlemap_wall(request: HttpRequest) -> HttpResponse:
    filters = services.Filters.from_query(request.GET)
    data = services.overview(request.user, filters, today=timezone.localdate(), projects=False)
    context = {
        "ov": data,
        "query": filters.querystring(),
        "now": timezone.localtime(),
        "red_units": services.most_red(data.units, 8),
    }
    if _htmx(request):
        return render(request, "battlemap/_wall_board.html", context)
    return render(request, "battlemap/wall.html", context)


@login_required
def roadmap(request: HttpRequest) -> HttpResponse:
    filters = services.Filters.from_query(request.GET)
    group_by = "unit" if request.GET.get("by") == "unit" else "node"

    def build() -> dict[str, Any]:
        data = services.roadmap(
            request.user, filters, group_by=group_by, today=timezone.localdate()
        )
        query = filters.as_params()
        return {
            "rm": data,
            "query": filters.querystring(),
            "query_node": urlencode({**query, "by": "node"}),
            "query_unit": urlencode({**query, "by": "unit"}),
        }

    if _htmx(request) and request.headers.get("HX-Target") == "roadmap-chart":
        chart = _kept(request, "roadmap-chart", "battlemap/_roadmap_chart.html", build)
        return HttpResponse(chart)
    body = _kept(request, "roadmap", "battlemap/_roadmap_body.html", build)
    return render(request, "battlemap/roadmap.html", {"body": mark_safe(body)})


def public_plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    """No login: a plan the office marked public, else 404 (never a hint that it exists)."""
    data = services.public_plan(plan_id)
    if data is None:
        raise Http404()
    return render(request, "battlemap/public.html", {"pub": data})
