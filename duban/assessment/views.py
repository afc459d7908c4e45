"""考核 pages: the office's live ranking with what-if, and the published results.

``/assessment/`` is the office's: 「试算」 scores with the posted points without saving
them and shows the new ranking beside the saved one; 「保存考核办法」 saves them
(``services.save_scheme``); 「发布结果」 freezes the period's ranking.
``/assessment/releases/`` lists the published results for everyone with a role (they are
announced to every unit); a unit's people object to their line there, and the office
decides each objection on the same page.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.assessment import services
from duban.assessment.forms import (
    AssessmentSchemeForm,
    DecisionForm,
    ObjectionForm,
    PeriodForm,
    PublishForm,
)
from duban.assessment.models import RULES, AssessmentRelease, AssessmentScheme, Objection
from duban.core.pages import forbidden, guarded
from duban.org.views import office_only
from duban.plans import access


def _period(data: Any) -> tuple[PeriodForm, Any, Any]:
    form = PeriodForm(data if data.get("start") or data.get("end") else PeriodForm.default())
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    default = PeriodForm.default()
    return form, default["start"], default["end"]


@office_only
def assessment(request: HttpRequest, publish_form: PublishForm | None = None) -> HttpResponse:
    saved = AssessmentScheme.current()
    period_form, start, end = _period(request.POST if request.method == "POST" else request.GET)
    status, whatif = 200, None
    if publish_form is not None:
        scheme_form = AssessmentSchemeForm(instance=saved)
        status = 400
    elif request.method == "POST":
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
            "publish_form": publish_form or PublishForm(),
            "releases": AssessmentRelease.objects.all()[:20],
        },
        status=status,
    )


def _workbook(ranking_rows: list[list[Any]], detail_rows: list[list[Any]], header: list[str]):
    from openpyxl import Workbook

    book = Workbook()
    ranking = book.active
    ranking.title = _("排名")
    ranking.append(header)
    for row in ranking_rows:
        ranking.append(row)
    detail = book.create_sheet(_("明细"))
    detail.append([_("单位"), _("考核项目"), _("次数"), _("每次分值"), _("得分"), _("涉及任务")])
    for row in detail_rows:
        detail.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@office_only
def export(request: HttpRequest) -> HttpResponse:
    """The ranking and every unit's breakdown as an Excel workbook (saved scheme)."""
    _form, start, end = _period(request.GET)
    scores = services.score_units(AssessmentScheme.current(), start=start, end=end)
    labels = services.rule_labels()
    header = [_("名次"), _("单位"), _("总分"), *[labels[name] for name, _k in RULES]]
    ranking = [
        [s.rank, s.unit.name, float(s.total), *[float(s.points(n)) for n, _k in RULES]]
        for s in scores
    ]
    detail = [
        [
            s.unit.name,
            line.label,
            line.count,
            float(line.each),
            float(line.points),
            "；".join(line.items),
        ]
        for s in scores
        for line in s.lines
        if line.count
    ]
    return _xlsx(
        _workbook(ranking, detail, header),
        f"assessment-{start.isoformat()}-{end.isoformat()}.xlsx",
    )


@office_only
@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    """Freeze the period's ranking under the saved scheme."""
    period_form, start, end = _period(request.POST)
    form = PublishForm(request.POST)
    if not period_form.is_valid() or not form.is_valid():
        return assessment(request, publish_form=form)
    try:
        release = services.publish_release(
            start=start,
            end=end,
            actor=request.user,
            title=form.cleaned_data["title"],
            objections_until=form.cleaned_data["objections_until"],
        )
    except services.ValidationError as exc:
        form.add_error(None, str(exc))
        return assessment(request, publish_form=form)
    messages.success(
        request, _("考核结果已发布，异议截止 {day}。").format(day=release.objections_until)
    )
    return HttpResponseRedirect(reverse("assessment-release", args=[release.pk]))


def _readers_only(request: HttpRequest) -> HttpResponse | None:
    if not access.sees_published_results(request.user):
        return forbidden(request, _("考核结果仅向各单位和督查室公布。"))
    return None


@guarded
def releases(request: HttpRequest) -> HttpResponse:
    refused = _readers_only(request)
    if refused:
        return refused
    return render(
        request,
        "assessment/releases.html",
        {"releases": AssessmentRelease.objects.select_related("published_by")},
    )


def _release(pk: int) -> AssessmentRelease:
    release = AssessmentRelease.objects.filter(pk=pk).first()
    if release is None:
        raise Http404(_("没有找到该考核结果。"))
    return release


@guarded
def release_detail(
    request: HttpRequest,
    pk: int,
    *,
    objection_form: ObjectionForm | None = None,
    decision_forms: dict[int, DecisionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    refused = _readers_only(request)
    if refused:
        return refused
    release = _release(pk)
    office = access.is_office(request.user)
    results = list(release.results.select_related("unit").prefetch_related("objections"))
    open_for_objections = timezone.localdate() <= release.objections_until
    own = [r for r in results if access.speaks_for_unit(request.user, r.unit_id)]
    for result in results:
        result.pending = any(o.status == Objection.Status.PENDING for o in result.objections.all())
        result.shown_lines = [line for line in result.lines if line["count"]]
    objections = [o for r in results for o in r.objections.all()]
    if not office:  # a unit sees its own objections and their outcome, not other units'
        mine = {r.pk for r in own}
        objections = [o for o in objections if o.result_id in mine]
    decision_forms = decision_forms or {}
    unit_of_result = {r.pk: r.unit for r in results}
    for objection in objections:
        objection.unit = unit_of_result[objection.result_id]
        if office and (
            objection.status == Objection.Status.PENDING or objection.pk in decision_forms
        ):
            form = decision_forms.get(objection.pk) or DecisionForm()
            form.auto_id = f"decide{objection.pk}_%s"
            objection.form = form
    may_object = [r for r in own if open_for_objections and not r.pending]
    if objection_form is not None:  # a refused objection is shown again with its error
        may_object = own
    return render(
        request,
        "assessment/release.html",
        {
            "release": release,
            "results": results,
            "objections": objections,
            "office": office,
            "open_for_objections": open_for_objections,
            "may_object": may_object,
            "objection_form": objection_form or (ObjectionForm() if may_object else None),
        },
        status=status,
    )


@guarded
@require_POST
def object_to(request: HttpRequest, pk: int) -> HttpResponse:
    release = _release(pk)
    result = release.results.filter(unit_id=request.POST.get("unit")).first()
    if result is None or not access.speaks_for_unit(request.user, result.unit_id):
        return forbidden(request, _("只能对本单位的考核结果提出异议。"))
    form = ObjectionForm(request.POST)
    if form.is_valid():
        try:
            services.file_objection(result, actor=request.user, reason=form.cleaned_data["reason"])
        except services.ValidationError as exc:
            form.add_error(None, str(exc))
    if form.errors:
        return release_detail(request, pk, objection_form=form, status=400)
    messages.success(request, _("异议已提交，督查室处理后会在此显示结果。"))
    return HttpResponseRedirect(reverse("assessment-release", args=[pk]) + "#objections")


@office_only
@require_POST
def decide(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    objection = Objection.objects.filter(pk=objection_pk, result__release_id=pk).first()
    if objection is None:
        raise Http404(_("没有找到该异议。"))
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide_objection(
                objection,
                actor=request.user,
                uphold=form.cleaned_data["uphold"],
                points=form.cleaned_data["points"],
                decision=form.cleaned_data["decision"],
            )
        except services.ValidationError as exc:
            form.add_error(None, str(exc))
    if form.errors:
        return release_detail(request, pk, decision_forms={objection.pk: form}, status=400)
    messages.success(request, _("异议已处理。"))
    return HttpResponseRedirect(reverse("assessment-release", args=[pk]) + "#objections")


@guarded
def release_export(request: HttpRequest, pk: int) -> HttpResponse:
    """A published result as Excel: the ranking (with adjustments) and the breakdown."""
    refused = _readers_only(request)
    if refused:
        return refused
    release = _release(pk)
    results = list(release.results.select_related("unit"))
    header = [_("名次"), _("单位"), _("计算得分"), _("异议调整"), _("总分")]
    ranking = [
        [r.rank, r.unit.name, float(r.computed), float(r.adjustment), float(r.total)]
        for r in results
    ]
    detail = [
        [
            r.unit.name,
            line["label"],
            line["count"],
            float(line["each"]),
            float(line["points"]),
            "；".join(line["items"]),
        ]
        for r in results
        for line in r.lines
        if line["count"]
    ]
    return _xlsx(_workbook(ranking, detail, header), f"assessment-release-{release.pk}.xlsx")
