"""The ledger's pages: the list with filters and totals, a project with its months and
photos, the month's entry (phone-sized too), the office's forms, Excel out and in.

Thin adapters over :mod:`duban.projects.services` and :mod:`duban.projects.ledger`: every
rule lives there. Another unit's project is a 404, like another unit's task.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.core import downloads
from duban.core.errors import InputError, NotFound
from duban.core.listing import object_id
from duban.core.models import ConflictError
from duban.core.pages import forbidden, guarded
from duban.org.models import Unit
from duban.plans import access
from duban.plans.taskbook import TaskbookError
from duban.projects import ledger as ledger_file
from duban.projects import services
from duban.projects.forms import (
    LedgerFilterForm,
    LedgerImportForm,
    MonthForm,
    ProjectForm,
    SectorForm,
)
from duban.projects.models import Project, ProjectPhoto

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(request: HttpRequest) -> tuple[LedgerFilterForm, dict[str, Any], str]:
    units = Unit.objects.filter(
        pk__in=services.visible_projects(request.user).values("lead_unit_id")
    ).order_by("sort_order", "id")
    form = LedgerFilterForm(
        request.GET or None, units=units, initial={"year": services.default_year()}
    )
    chosen: dict[str, Any] = {"year": services.default_year()}
    ordering = "code"
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        chosen["year"] = data["year"] or chosen["year"]
        chosen["unit"] = data["unit"].pk if data["unit"] else None
        chosen["sector"] = data["sector"].pk if data["sector"] else None
        chosen["status"] = data["status"] or None
        ordering = data["ordering"] or "code"
    return form, chosen, ordering


def _ordered(qs: Any, ordering: str) -> Any:
    name = ordering.removeprefix("-")
    expr = services.ORDERINGS.get(name, "code")
    from django.db.models import F

    term = F(expr).desc(nulls_last=True) if ordering.startswith("-") else F(expr).asc()
    return qs.order_by(term, "code", "pk")


@guarded
def ledger(request: HttpRequest) -> HttpResponse:
    services.sectors()  # a new site's first visit lists the customary 板块
    form, chosen, ordering = _filters(request)
    rows = list(_ordered(services.ledger(request.user, **chosen), ordering))
    summary = services.summary(request.user, year=chosen["year"])
    return render(
        request,
        "projects/ledger.html",
        {
            "form": form,
            "rows": rows,
            "total": services.totals(rows),
            "summary": summary,
            "year": chosen["year"],
            "office": services.may_edit(request.user),
            "sector_form": SectorForm(),
            "query": request.GET.urlencode(),
        },
    )


def _detail(
    request: HttpRequest, project: Project, month_form: MonthForm | None = None, status: int = 200
) -> HttpResponse:
    enter = services.may_enter(request.user, project)
    if month_form is None and enter:
        latest = project.months.order_by("-month").first()
        today = timezone.localdate()
        month_form = MonthForm(
            initial={
                "month": today.month if project.year == today.year else 12,
                "image_progress": latest.image_progress if latest else project.image_progress,
            }
        )
    months = services.series(project)
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "months": months,
            "chart": _chart(project, months),
            "done": months[-1]["cumulative"] if months else services.ZERO,
            "rate": months[-1]["rate"] if months else None,
            "month_form": month_form if enter else None,
            "enter": enter,
            "office": services.may_edit(request.user),
        },
        status=status,
    )


def _chart(project: Project, months: list[dict[str, Any]]) -> str:
    """The year's cumulative against the plan, month by month, drawn like the battle map's
    trend (duban/battlemap/svg.py); nothing for fewer than two months."""
    import calendar
    import datetime as dt

    from duban.battlemap.svg import trend

    if len(months) < 2:
        return ""
    ends = [
        dt.date(project.year, m["month"], calendar.monthrange(project.year, m["month"])[1])
        for m in months
    ]
    done = [int(m["cumulative"]) for m in months]
    plan = [int(project.annual_plan)] * len(months)
    label = _("{name}：截至{m}月累计完成投资{done}万元，年度计划{plan}万元").format(
        name=project.name, m=months[-1]["month"], done=done[-1], plan=plan[0]
    )
    return trend(ends, [("none", plan), ("closed", done)], label=label)


@guarded
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, services.get_project(request.user, pk))


@guarded
@require_POST
def enter_month(request: HttpRequest, pk: int) -> HttpResponse:
    project = services.get_project(request.user, pk, "enter")
    form = MonthForm(request.POST, request.FILES)
    if form.is_valid():
        v = form.cleaned_data
        try:
            row, created = services.record_month(
                project,
                actor=request.user,
                month=v["month"],
                completed=v["completed"],
                image_progress=v["image_progress"],
                photos=v["photos"],
            )
        except (InputError, ConflictError) as exc:
            form.add_error(None, str(exc))
        else:
            text = _("{m}月进展已保存。") if created else _("{m}月进展已更新。")
            messages.success(request, text.format(m=row.month))
            return HttpResponseRedirect(reverse("project-detail", args=[project.pk]))
    return _detail(request, project, form, status=400)


def _office(request: HttpRequest) -> HttpResponse | None:
    if not services.may_edit(request.user):
        return forbidden(request, _("只有督查室可以新增、修改重点项目。"))
    return None


def _save_project(
    request: HttpRequest, instance: Project | None
) -> tuple[ProjectForm, Project | None]:
    form = ProjectForm(request.POST, instance=instance)
    if not form.is_valid():
        return form, None
    values = {name: form.cleaned_data[name] for name in ProjectForm.Meta.fields}
    try:
        if instance is None:
            return form, services.create_project(actor=request.user, **values)
        posted = request.POST.get("version")
        return form, services.update_project(
            Project.objects.get(pk=instance.pk),
            actor=request.user,
            expected_version=int(posted) if posted and posted.isdigit() else None,
            **values,
        )
    except (InputError, ConflictError) as exc:
        form.add_error(None, str(exc))
        return form, None


@guarded
def project_new(request: HttpRequest) -> HttpResponse:
    refused = _office(request)
    if refused is not None:
        return refused
    services.sectors()
    form = ProjectForm()
    if request.method == "POST":
        form, project = _save_project(request, None)
        if project is not None:
            messages.success(request, _("项目已新增。"))
            return HttpResponseRedirect(reverse("project-detail", args=[project.pk]))
    return render(
        request,
        "projects/project_form.html",
        {"form": form, "project": None},
        status=400 if form.errors else 200,
    )


@guarded
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = services.get_project(request.user, pk)
    refused = _office(request)
    if refused is not None:
        return refused
    form = ProjectForm(instance=project)
    if request.method == "POST":
        form, saved = _save_project(request, project)
        if saved is not None:
            messages.success(request, _("项目已保存。"))
            return HttpResponseRedirect(reverse("project-detail", args=[project.pk]))
    return render(
        request,
        "projects/project_form.html",
        {"form": form, "project": project},
        status=400 if form.errors else 200,
    )


@guarded
@require_POST
def add_sector(request: HttpRequest) -> HttpResponse:
    refused = _office(request)
    if refused is not None:
        return refused
    form = SectorForm(request.POST)
    if form.is_valid():
        try:
            sector = services.add_sector(form.cleaned_data["name"], actor=request.user)
        except InputError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已添加板块“{name}”。").format(name=sector.name))
    else:
        messages.error(request, _("请填写板块名称（不超过 30 个字）。"))
    return HttpResponseRedirect(reverse("projects"))


@guarded
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A photo, for whoever may see its project (else 404, like the project)."""
    found = ProjectPhoto.objects.select_related("progress").filter(pk=object_id(pk)).first()
    if found is None:
        raise NotFound()
    services.get_project(request.user, found.progress.project_id)
    return downloads.attachment(found.file.open("rb"), found.name)


@guarded
@require_POST
def delete_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """删除 a month's photo (the project's unit or the office), back to the project."""
    found = ProjectPhoto.objects.select_related("progress").filter(pk=object_id(pk)).first()
    if found is None:
        raise NotFound()
    project = services.get_project(request.user, found.progress.project_id, "enter")
    services.delete_photo(found, actor=request.user)
    messages.success(request, _("已删除照片“{name}”。").format(name=found.name))
    return HttpResponseRedirect(reverse("project-detail", args=[project.pk]))


@guarded
def export(request: HttpRequest) -> HttpResponse:
    """The ledger as the customary workbook: the projects the user sees, filtered."""
    _form, chosen, ordering = _filters(request)
    projects = list(
        _ordered(services.ledger(request.user, **chosen), ordering).prefetch_related("months")
    )
    body = ledger_file.export_ledger(projects, year=chosen["year"])
    response = HttpResponse(body, content_type=XLSX)
    name = f"projects-{chosen['year']}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@guarded
def import_ledger(request: HttpRequest) -> HttpResponse:
    """Import a ledger (office): every row checked, then all written or nothing."""
    if not access.is_office(request.user):
        return forbidden(request, _("只有督查室可以导入重点项目台账。"))
    form = LedgerImportForm(
        request.POST or None,
        request.FILES or None,
        initial={"year": services.default_year()},
    )
    result, refused, status = None, "", 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            v = form.cleaned_data
            upload = v["file"]
            try:
                result = ledger_file.read_ledger(upload, year=v["year"], filename=upload.name)
                if not result.errors and not v["check_only"]:
                    ledger_file.commit_ledger(result, actor=request.user)
            except TaskbookError as exc:
                refused = str(exc)
            except InputError as exc:
                refused = str(exc)
            else:
                if result.committed:
                    messages.success(
                        request,
                        _("导入完成：新增 {c} 个项目，更新 {u} 个，写入 {m} 个月度数据。").format(
                            c=result.created, u=result.updated, m=result.months
                        ),
                    )
                    return HttpResponseRedirect(reverse("projects") + f"?year={result.year}")
                status = 400 if result.errors else 200
    return render(
        request,
        "projects/import.html",
        {"form": form, "result": result, "refused": refused},
        status=status,
    )
