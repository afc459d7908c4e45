"""The indicator pages: the table (plan against actual month by month, the gap, the rank
among peer cities), its Excel export, and one indicator's page where the lead unit enters
a month's actual value and the office enters peer cities' figures.

Everyone logged in opens the table and sees the indicators of the tasks they may see;
「从任务目标生成指标」 and peer figures are the office's.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.core.models import ConflictError
from duban.core.pages import guarded
from duban.indicators import services
from duban.indicators.forms import (
    ActualForm,
    IndicatorEditForm,
    IndicatorFilterForm,
    PeerValueForm,
)
from duban.indicators.models import MONTHS
from duban.org.models import Unit
from duban.org.views import office_only
from duban.plans import access
from duban.plans.models import FrameworkNode

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filtered(request: HttpRequest) -> tuple[IndicatorFilterForm, list[services.IndicatorRow]]:
    visible = services.visible_indicators(request.user)
    form = IndicatorFilterForm(
        request.GET,
        units=Unit.objects.filter(lead_assignments__task__indicator__in=visible)
        .distinct()
        .order_by("sort_order", "name"),
        nodes=FrameworkNode.objects.filter(tasks__indicator__in=visible)
        .distinct()
        .order_by("plan_id", "sort_order", "id"),
    )
    unit = framework = None
    if form.is_valid():
        unit = form.cleaned_data["unit"].pk if form.cleaned_data["unit"] else None
        node = form.cleaned_data["framework"]
        framework = node.pk if node else None
    return form, services.rows(request.user, unit=unit, framework=framework)


@guarded
def indicator_table(request: HttpRequest) -> HttpResponse:
    form, rows = _filtered(request)
    return render(
        request,
        "indicators/indicators.html",
        {
            "form": form,
            "rows": rows,
            "months": list(MONTHS),
            "is_office": access.is_office(request.user),
            "candidates": services.candidate_tasks().count()
            if access.is_office(request.user)
            else 0,
            "query": request.GET.urlencode(),
        },
        status=200 if form.is_valid() else 400,
    )


@office_only
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    made = services.create_indicators_from_tasks(actor=request.user)
    if made:
        messages.success(request, _("已从任务目标生成 {n} 个指标。").format(n=len(made)))
    else:
        messages.info(request, _("没有可生成指标的任务：有目标值的任务都已有指标。"))
    return HttpResponseRedirect(reverse("indicators"))


def _default_month(year: int) -> int:
    today = timezone.localdate()
    return today.month if year == today.year else 12


@guarded
def indicator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = services.get_indicator(request.user, pk)
    may_enter = services.may_enter(request.user, indicator)
    office = access.is_office(request.user)
    initial = {"month": _default_month(indicator.year)}
    # Two forms on one page, each with a 月份: their own ids, so each label finds its field.
    actual_form = ActualForm(initial=initial, auto_id="actual_%s")
    peer_form = PeerValueForm(initial=initial, auto_id="peer_%s")
    edit_form = None
    status, conflict = 200, ""
    if request.method == "POST":
        if "edit" in request.POST:
            if not office:
                raise access.NotAllowed("edit")
            edit_form = IndicatorEditForm(request.POST, indicator=indicator)
            form, save = edit_form, _save_edit
        elif "peer" in request.POST:
            if not office:
                raise access.NotAllowed("enter_peer_value")
            peer_form = PeerValueForm(request.POST, auto_id="peer_%s")
            form, save = peer_form, _save_peer
        else:
            if not may_enter:
                raise access.NotAllowed("enter_indicator")
            actual_form = ActualForm(request.POST, auto_id="actual_%s")
            form, save = actual_form, _save_actual
        status = 400
        if form.is_valid():
            try:
                done = save(request, indicator, form)
            except services.ValidationError as exc:
                form.add_error(None, str(exc))
            except ConflictError as exc:
                status, conflict = 409, str(exc)
                # What the office typed stays; the version is now the current one.
                data = request.POST.copy()
                data["version"] = str(exc.found)
                edit_form = IndicatorEditForm(data, indicator=indicator)
            else:
                messages.success(request, done)
                return HttpResponseRedirect(reverse("indicator", args=[indicator.pk]))
    fresh = services.with_months(services.visible_indicators(request.user)).get(pk=indicator.pk)
    if office and edit_form is None:
        edit_form = IndicatorEditForm.for_indicator(fresh)
    return render(
        request,
        "indicators/indicator.html",
        {
            "row": services.row_of(fresh),
            "indicator": fresh,
            "task": fresh.task,
            "may_enter": may_enter,
            "is_office": office,
            "actual_form": actual_form,
            "peer_form": peer_form,
            "edit_form": edit_form,
            "conflict": conflict,
        },
        status=status,
    )


def _save_edit(request: HttpRequest, indicator: Any, form: IndicatorEditForm) -> str:
    values = form.values()
    version = values.pop("version")
    services.update_indicator(indicator, actor=request.user, version=version, **values)
    return _("指标已保存。")


def _save_actual(request: HttpRequest, indicator: Any, form: ActualForm) -> str:
    data = form.cleaned_data
    row, created = services.enter_actual(
        indicator, actor=request.user, month=data["month"], value=data["value"], note=data["note"]
    )
    if created:
        return _("已填报{month}月实际值。").format(month=row.month)
    return _("已更新{month}月实际值。").format(month=row.month)


def _save_peer(request: HttpRequest, indicator: Any, form: PeerValueForm) -> str:
    data = form.cleaned_data
    peer, _created = services.enter_peer_value(
        indicator,
        actor=request.user,
        month=data["month"],
        city=data["city"],
        value=data["value"],
        source=data["source"],
    )
    return _("已保存{city}{month}月对标数值。").format(city=peer.city, month=peer.month)


def _value(number: Any) -> float | None:
    return None if number is None else float(number)


@guarded
def export(request: HttpRequest) -> HttpResponse:
    """The table as the page shows it (same filters) in an Excel workbook: one row per
    indicator with each month's plan and actual, and a sheet of the peer cities' figures."""
    from openpyxl import Workbook

    _form, rows = _filtered(request)
    book = Workbook()
    sheet = book.active
    sheet.title = _("对标对表")
    head = [_("任务编号"), _("指标"), _("计量单位"), _("牵头单位"), _("年度目标"), _("年度")]
    for m in MONTHS:
        head += [_("{m}月计划").format(m=m), _("{m}月实际").format(m=m)]
    head += [_("最新月份"), _("落后计划（%）"), _("对标排名"), _("亮灯")]
    sheet.append(head)
    for row in rows:
        i, task = row.indicator, row.indicator.task
        a = access.assignment_of(task)
        line: list[Any] = [
            task.code,
            i.name,
            i.measure,
            a.lead_unit.name if a else "",
            i.target_text or str(i.target),
            i.year,
        ]
        for cell in row.cells:
            line += [_value(cell.plan), _value(cell.actual)]
        latest = row.latest
        line += [
            latest.month if latest else None,
            _value(latest.gap) if latest else None,
            _("{rank}/{of}（{month}月）").format(
                rank=row.rank[0], of=row.rank[1], month=row.rank_month
            )
            if row.rank
            else "",
            task.get_light_display(),
        ]
        sheet.append(line)
    peers = book.create_sheet(_("对标城市"))
    peers.append([_("指标"), _("月份"), _("城市"), _("数值"), _("来源")])
    for row in rows:
        for p in row.peers:
            peers.append([row.indicator.name, p.month, p.city, float(p.value), p.source])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="indicators.xlsx"'
    return response
