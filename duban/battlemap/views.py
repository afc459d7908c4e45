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

from duban.battlemap import services


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


@login_required
def battlemap(request: HttpRequest) -> HttpResponse:
    filters = services.Filters.from_query(request.GET)
    data = services.overview(request.user, filters, today=timezone.localdate())
    context = {"ov": data, "query": filters.querystring()}
    if _htmx(request) and request.headers.get("HX-Target") == "board":
        return render(request, "battlemap/_board.html", context)
    return render(request, "battlemap/overview.html", context)


@login_required
def battlemap_wall(request: HttpRequest) -> HttpResponse:
    filters = services.Filters.from_query(request.GET)
    data = services.overview(request.user, filters, today=timezone.localdate())
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
    data = services.roadmap(request.user, filters, group_by=group_by, today=timezone.localdate())
    query = filters.as_params()
    context = {
        "rm": data,
        "query": filters.querystring(),
        "query_node": urlencode({**query, "by": "node"}),
        "query_unit": urlencode({**query, "by": "unit"}),
    }
    if _htmx(request) and request.headers.get("HX-Target") == "roadmap-chart":
        return render(request, "battlemap/_roadmap_chart.html", context)
    return render(request, "battlemap/roadmap.html", context)


def public_plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    """No login: a plan the office marked public, else 404 (never a hint that it exists)."""
    data = services.public_plan(plan_id)
    if data is None:
        raise Http404()
    return render(request, "battlemap/public.html", {"pub": data})
