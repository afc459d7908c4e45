"""The plan page (``/plans/<id>/``): a plan's tasks, and 分解到区县 for the city office.

The city office sees every plan; a district office (区县督查室) sees the city's plans and
its own district's plans, and runs the latter as the office runs the city's; unit people
see the plans' tasks of their own units. Another district's plan is not found.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from duban.core.errors import InputError
from duban.core.pages import forbidden, guarded
from duban.plans import access
from duban.plans.cascade import cascade_to_district, districts
from duban.plans.models import Plan, Task

#: The plan page lists at most this many tasks (a province's plan has thousands; the
#: battle map and its filters are the tool for those).
PAGE_TASKS = 500


class CascadeForm(forms.Form):
    district = forms.TypedChoiceField(
        label=gettext_lazy("区县"),
        coerce=int,
        error_messages={"required": gettext_lazy("请选择区县。")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [(u.pk, str(u)) for u in districts()]


def _plan(user, pk: int) -> Plan:
    plan = access.visible_plans(user, Plan.objects.select_related("owner_unit", "upstream"))
    found = plan.filter(pk=pk).first()
    if found is None:
        raise Http404(_("没有找到该方案。"))
    return found


@guarded
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request.user, pk)
    tasks = list(
        access.visible_tasks(request.user, Task.objects.filter(plan=plan))
        .select_related("assignment__lead_unit", "upstream")
        .order_by("sort_order", "id")[: PAGE_TASKS + 1]
    )
    office = access.runs_plan(request.user, plan)
    context = {
        "plan": plan,
        "tasks": tasks[:PAGE_TASKS],
        "more": len(tasks) > PAGE_TASKS,
        "runs": office,
        "district_plans": list(
            access.visible_plans(request.user, plan.district_plans.select_related("owner_unit"))
        ),
    }
    if access.is_office(request.user) and plan.owner_unit_id is None:
        context["cascade_form"] = CascadeForm(auto_id="cascade_%s")
    return render(request, "plans/plan_detail.html", context)


@guarded
@require_POST
def plan_cascade(request: HttpRequest, pk: int) -> HttpResponse:
    """分解到区县: the city office sends the plan's district tasks to one district."""
    plan = _plan(request.user, pk)
    if not access.is_office(request.user):
        return forbidden(request, _("只有督查室可以把方案分解到区县。"))
    form = CascadeForm(request.POST)
    back = reverse("plan-detail", args=[plan.pk])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return HttpResponseRedirect(back)
    district = next(u for u in districts() if u.pk == form.cleaned_data["district"])
    try:
        done = cascade_to_district(plan, district, actor=request.user)
    except InputError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(back)
    messages.success(
        request,
        _("已分解到{district}：新增{created}项任务，更新{updated}项。").format(
            district=district, created=done.created, updated=done.updated
        ),
    )
    return HttpResponseRedirect(back)
