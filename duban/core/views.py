"""The landing page after login, and the health check used by deployments."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from duban import __version__
from duban.plans.access import visible_tasks
from duban.plans.models import Plan, Task


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.select_related("unit")
    plans = Plan.objects.annotate(task_count=Count("tasks")).order_by("-year", "-id")[:20]
    # Counted over the tasks this user may see: a clerk's workbench shows the unit's lights,
    # not the whole city's.
    lights = dict(
        visible_tasks(request.user, Task.objects.order_by())
        .values_list("light")
        .annotate(n=Count("id", distinct=True))
        .values_list("light", "n")
    )
    return render(
        request,
        "core/home.html",
        {"memberships": memberships, "plans": plans, "lights": lights},
    )


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "version": __version__, "db": connection.vendor})
