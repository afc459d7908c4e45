"""The landing page after login (the workbench), and the health check used by deployments."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from duban import __version__
from duban.plans.access import visible_plans, visible_tasks
from duban.plans.models import Plan, Task
from duban.supervision.workbench import build_workbench


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.select_related("unit")
    plans = visible_plans(
        request.user, Plan.objects.annotate(task_count=Count("tasks")).order_by("-year", "-id")
    )[:20]
    # Counted over the tasks this user may see: a clerk's workbench shows the unit's lights,
    # not the whole city's.
    lights = dict(
        visible_tasks(request.user, Task.objects.order_by())
        .values_list("light")
        .annotate(n=Count("id", distinct=True))
        .values_list("light", "n")
    )
    from duban.org.choices import Role
    from duban.org.views import missing_calendar_years
    from duban.plans.access import has_global_role

    workbench = build_workbench(request.user)
    missing_years = missing_calendar_years() if has_global_role(request.user, Role.OFFICE) else []
    return render(
        request,
        "core/home.html",
        {
            "memberships": memberships,
            "plans": plans,
            "lights": lights,
            "workbench": workbench,
            "missing_years": missing_years,
        },
    )


def healthz(request: HttpRequest) -> JsonResponse:
    """503 unless the database answers real queries on its own tables.

    ``SELECT 1`` touches no table, so a database that failed its integrity check still
    looked healthy (issue 14). This reads the migration table and a row of the main ones.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM django_migrations")
            migrations = cursor.fetchone()[0]
        Task.objects.order_by("-pk").values_list("pk", "version").first()
        Plan.objects.order_by("-pk").values_list("pk", flat=True).first()
        get_user_model().objects.order_by("-pk").values_list("pk", flat=True).first()
    except DatabaseError as exc:
        body = {"status": "error", "version": __version__, "db": connection.vendor}
        return JsonResponse({**body, "error": exc.__class__.__name__}, status=503)
    if not migrations:
        return JsonResponse({"status": "error", "error": "not migrated"}, status=503)
    return JsonResponse({"status": "ok", "version": __version__, "db": connection.vendor})


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's ``handler500``: a sentence for the two failures a clerk can do nothing about.

    A database that does not answer (restarting, unreachable) is a 503 with ``Retry-After``
    and a full disk during an upload a 507; both say that nothing was saved. Anything else
    is the plain 500 page. API paths answer all three in the API's one error shape. The page is
    rendered without the site's layout: the layout reads the database, which may be down.
    """
    import sys

    from django.db import InterfaceError, OperationalError
    from django.template import loader
    from django.utils.translation import gettext as _

    from duban.core.errors import StorageFull
    from duban.core.storage import storage_full

    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError) and _disk_is_full(exc):
        exc = storage_full()  # the database's disk, often the uploads' disk too
    if isinstance(exc, StorageFull):
        status, code, message = 507, "storage_full", str(exc)
    elif isinstance(exc, OperationalError | InterfaceError):
        status, code = 503, "unavailable"
        message = _("数据库暂时无法连接，您的操作没有完成，已保存的数据不受影响。请稍后重试。")
    else:
        status, code = 500, "server_error"
        message = _("系统出错了，您的操作没有完成，已保存的数据不受影响。请稍后重试。")
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"error": {"code": code, "message": message}}, status=status
        )
    elif status == 500:
        response = HttpResponse(loader.render_to_string("500.html"), status=500)
    else:
        response = HttpResponse(
            loader.render_to_string("unavailable.html", {"status": status, "message": message}),
            status=status,
        )
    if status == 503:
        response["Retry-After"] = "30"
    return response


# How the databases say their disk is full: SQLite's SQLITE_FULL, PostgreSQL's ENOSPC text
# ("could not extend file …: No space left on device") and its SQLSTATE class 53100.
_DISK_FULL_WORDS = ("database or disk is full", "no space left on device", "disk full")


def _disk_is_full(exc: BaseException) -> bool:
    if getattr(getattr(exc, "__cause__", None), "sqlstate", None) == "53100":
        return True
    return any(w in str(exc).lower() for w in _DISK_FULL_WORDS)
