"""The office's assessment page: the ranking, each unit's breakdown, what-if and export.

Office only. 「试算」 scores with the posted points without saving them and shows the new
ranking beside the saved one; 「保存考核办法」 saves them (``services.save_scheme``).
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from duban.assessment import services
from duban.assessment.forms import AssessmentSchemeForm, PeriodForm
from duban.assessment.models import RULES, AssessmentScheme
from duban.org.views import office_only


def _period(data: Any) -> tuple[PeriodForm, Any, Any]:
    form = PeriodForm(data if data.get("start") or data.get("end") else PeriodForm.default())
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    default = PeriodForm.default()
    return form, default["start"], default["end"]


@office_only
def assessment(request: HttpRequest) -> HttpResponse:
    saved = AssessmentScheme.current()
    period_form, start, end = _period(request.POST if request.method == "POST" else request.GET)
    status, whatif = 200, None
    if request.method == "POST":
        scheme_form = AssessmentSchemeForm(request.POST, instance=AssessmentScheme.current())
        if not scheme_form.is_valid() or not period_form.is_valid():
            status = 400
        elif "save" in request.POST:
            values = {k: scheme_form.cleaned_data[k] for k in scheme_form.Meta.fields}
            services.save_scheme(values, actor=request.user)
            messages.success(request, _("考核办法已保存。"))
            query = urlencode({"start": start.isoformat(), "end": end.isoformat()})
            return HttpResponseRedirect(reverse("assessment") + "?" + query)
        else:
            whatif = services.score_units(scheme_form.instance, start=start, end=end)
    else:
        scheme_form = AssessmentSchemeForm(instance=saved)
    scores = services.score_units(saved, start=start, end=end)
    rows = scores
    if whatif is not None:
        before = {s.unit.pk: s for s in scores}
        for score in whatif:
            old = before[score.unit.pk]
            score.old_total, score.old_rank = old.total, old.rank
            score.moved = old.rank - score.rank
        rows = whatif
    return render(
        request,
        "assessment/assessment.html",
        {
            "period_form": period_form,
            "scheme_form": scheme_form,
            "rows": rows,
            "whatif": whatif is not None,
            "rules": [(name, services.rule_labels()[name]) for name, _kind in RULES],
            "start": start,
            "end": end,
        },
        status=status,
    )


@office_only
def export(request: HttpRequest) -> HttpResponse:
    """The ranking and every unit's breakdown as an Excel workbook (saved scheme)."""
    from openpyxl import Workbook

    _form, start, end = _period(request.GET)
    scores = services.score_units(AssessmentScheme.current(), start=start, end=end)
    labels = services.rule_labels()
    book = Workbook()
    ranking = book.active
    ranking.title = _("排名")
    ranking.append([_("名次"), _("单位"), _("总分"), *[labels[name] for name, _k in RULES]])
    for s in scores:
        ranking.append(
            [s.rank, s.unit.name, float(s.total), *[float(s.points(n)) for n, _k in RULES]]
        )
    detail = book.create_sheet(_("明细"))
    detail.append([_("单位"), _("考核项目"), _("次数"), _("每次分值"), _("得分"), _("涉及任务")])
    for s in scores:
        for line in s.lines:
            if line.count:
                detail.append(
                    [
                        s.unit.name,
                        line.label,
                        line.count,
                        float(line.each),
                        float(line.points),
                        "；".join(line.items),
                    ]
                )
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"assessment-{start.isoformat()}-{end.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
