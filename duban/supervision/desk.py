"""The unit desk (我的任务, ``/desk/``) and the office desk (督查台, ``/office/``).

The unit desk lists what a unit owes — reports due now and soon (computed from each task's
reporting schedule), notices to answer, returned reports — the report form, and the unit
leader's approval queue. The office desk is the office's daily queue: reports to review,
closure requests, the chasing ladder, and the leader's coordination requests.

Both pages read everything they list with a fixed number of queries (tested), and every
action goes through ``duban.supervision.services``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from duban.core.errors import StorageFull
from duban.core.models import ConflictError
from duban.core.pages import check_version, forbidden, guarded, rebind_with_version, safe_next
from duban.org.choices import Role
from duban.org.models import Unit
from duban.plans import access
from duban.plans.access import has_global_role
from duban.plans.choices import WORKING_STATUSES
from duban.plans.forms import ClosureDecisionForm, NoticeReplyForm
from duban.plans.models import Task
from duban.supervision import owed, services
from duban.supervision.choices import NoticeLevel, NoticeStatus, ReportStatus
from duban.supervision.forms import NoticeIssueForm, ReportForm, ReviewForm
from duban.supervision.models import (
    ClosureRequest,
    Notice,
    ProgressReport,
)
from duban.supervision.periods import Period

ACTIVE = WORKING_STATUSES
LEVEL_RANK = {
    NoticeLevel.CRITICISM: 0,
    NoticeLevel.SUPERVISE: 1,
    NoticeLevel.CHASE: 2,
    NoticeLevel.REMINDER: 3,
}


def _today() -> dt.date:
    return timezone.localdate()


# --- the unit desk -------------------------------------------------------------------------


@guarded
def desk(request: HttpRequest) -> HttpResponse:
    sections = owed.unit_sections(request.user, today=_today())
    if not sections and has_global_role(request.user, Role.OFFICE, Role.LEADER):
        return redirect("office-desk")
    for section in sections:
        for notice in section["notices"]:
            notice.form = NoticeReplyForm(
                initial={"version": notice.version}, auto_id=f"notice{notice.pk}_%s"
            )
        section["sheet_periods"] = _sheet_periods(section)
    return render(
        request,
        "supervision/desk.html",
        {"sections": sections, "today": _today(), **_feed_context(request, sections)},
    )


def _period_for(task: Task, raw: str) -> Period:
    """The reporting period a report form is for, from ``?period_end=YYYY-MM-DD``."""
    wanted = None
    if raw:
        try:
            wanted = dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise Http404(_("报送周期日期无效。")) from exc
    try:
        return services.report_period(task, wanted, today=_today())
    except services.ValidationError as exc:
        raise Http404(str(exc)) from exc


@guarded
def report_form(request: HttpRequest, task_id: int) -> HttpResponse:
    """进展报送 for one task and period; a clerk of another unit gets a 404."""
    task = access.get_task(request.user, task_id, "report")
    unit_id = access.acting_unit(request.user, task, "report")
    raw = request.POST.get("period_end") or request.GET.get("period_end", "")
    period = _period_for(task, raw)
    existing = ProgressReport.objects.filter(
        task=task, unit_id=unit_id, period_end=period.period_end
    ).first()
    locked = existing is not None and existing.status in (
        ReportStatus.UNIT_APPROVED,
        ReportStatus.ACCEPTED,
    )
    status = 200
    conflict = ""
    if request.method == "POST" and not locked:
        form = ReportForm(request.POST, request.FILES, auto_id="report_%s")
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = services.submit_report(
                    task,
                    actor=request.user,
                    period_start=period.period_start,
                    period_end=period.period_end,
                    due_date=period.due_date,
                    percent=data["percent"],
                    progress=data["progress"],
                    problems=data["problems"],
                    next_steps=data["next_steps"],
                    coordination_request=data["coordination_request"],
                    files=data["files"],
                    expected_version=data["version"] if existing is not None else None,
                    draft="draft" in request.POST,
                )
            except ConflictError as exc:
                status, conflict = 409, str(exc)
                form = ReportForm(rebind_with_version(request.POST, exc.found), auto_id="report_%s")
            except services.ValidationError as exc:
                form.add_error(None, str(exc))
                status = 400
            except StorageFull as exc:  # the clerk keeps the text typed so far
                form.add_error(None, str(exc))
                status = 507
            else:
                if report.status == ReportStatus.DRAFT:
                    messages.success(request, _("草稿已保存。"))
                else:
                    messages.success(
                        request,
                        _("{task}的进展已报送（{status}）。").format(
                            task=task.code, status=report.get_status_display()
                        ),
                    )
                return HttpResponseRedirect(reverse("desk"))
        else:
            status = 400
    else:
        initial: dict[str, Any] = {"percent": task.progress}
        if existing is not None:
            initial = {
                "progress": existing.progress,
                "percent": existing.percent,
                "problems": existing.problems,
                "next_steps": existing.next_steps,
                "coordination_request": existing.coordination_request,
                "version": existing.version,
            }
        form = ReportForm(initial=initial, auto_id="report_%s")
    return render(
        request,
        "supervision/report_form.html",
        {
            "task": task,
            "unit": Unit.objects.get(pk=unit_id),
            "period": period,
            "existing": existing,
            "locked": locked,
            "form": form,
            "conflict": conflict,
        },
        status=status,
    )


def _queue_report(pk: int) -> ProgressReport:
    """A report with what its queue item shows, for an htmx fragment."""
    return (
        ProgressReport.objects.select_related("task", "unit", "submitted_by")
        .prefetch_related(owed.evidence())
        .get(pk=pk)
    )


@guarded
@require_POST
def approve(request: HttpRequest, report_id: int) -> HttpResponse:
    """The unit leader passes a clerk's report on to the office.

    From htmx the answer is the queue item itself (done, or with the error; 409 when the
    report changed meanwhile); without JavaScript it is a redirect with a message.
    """
    report = get_object_or_404(ProgressReport, pk=report_id)
    access.get_task(request.user, report.task_id, "view")
    status, error, done = 200, "", ""
    try:
        check_version(report, _int(request.POST.get("version")))
        services.approve_report(report, actor=request.user)
    except ConflictError as exc:
        status, error = 409, str(exc)
    except services.ValidationError as exc:
        status, error = 400, str(exc)
    else:
        done = _("已审核通过，报送督查室。")
    if request.htmx:
        return render(
            request,
            "supervision/_approval_item.html",
            {"r": _queue_report(report.pk), "error": error, "done": done},
            status=status,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return HttpResponseRedirect(reverse("desk"))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- the office desk -------------------------------------------------------------------------


def _office_context(request: HttpRequest, **bound: Any) -> dict[str, Any]:
    user = request.user
    is_office = has_global_role(user, Role.OFFICE)
    today = _today()
    ctx: dict[str, Any] = {"is_office": is_office, "today": today}
    review_forms = bound.get("review_forms", {})
    decision_forms = bound.get("decision_forms", {})
    if is_office:
        reviews = list(
            ProgressReport.objects.filter(status=ReportStatus.UNIT_APPROVED)
            .select_related("task", "unit", "submitted_by")
            .prefetch_related(owed.evidence())
            .order_by("due_date", "id")[:100]
        )
        for report in reviews:
            report.form = review_forms.get(report.pk) or ReviewForm(
                initial={"version": report.version, "decision": "accept"}
            )
            report.form.auto_id = f"review{report.pk}_%s"
        closures = list(
            ClosureRequest.objects.filter(status=ClosureRequest.Status.PENDING)
            .select_related("task", "unit")
            .prefetch_related(owed.evidence())
            .order_by("created_at")[:100]
        )
        for closure in closures:
            closure.form = decision_forms.get(closure.pk) or ClosureDecisionForm(
                initial={"version": closure.version}
            )
            closure.form.auto_id = f"closure{closure.pk}_%s"
        open_notices = list(
            Notice.objects.filter(status=NoticeStatus.OPEN)
            .exclude(level=NoticeLevel.COORDINATION)
            .select_related("task", "instruction", "unit")
            .order_by("reply_deadline", "id")[:300]
        )
        for notice in open_notices:
            notice.overdue = notice.reply_deadline is not None and notice.reply_deadline < today
        # Overdue replies first, then the higher rungs of the ladder.
        open_notices.sort(
            key=lambda n: (not n.overdue, LEVEL_RANK.get(n.level, 9), n.reply_deadline or today)
        )
        ladder: dict[str, dict[str, int]] = defaultdict(dict)
        for level, status, n in (
            Notice.objects.exclude(level=NoticeLevel.COORDINATION)
            .order_by()
            .values_list("level", "status")
            .annotate(n=Count("id"))
        ):
            ladder[level][status] = n
        ctx.update(
            reviews=reviews,
            review_total=ProgressReport.objects.filter(status=ReportStatus.UNIT_APPROVED).count(),
            closures=closures,
            open_notices=open_notices,
            ladder=[
                {
                    "level": level,
                    "label": label,
                    "open": ladder[level].get(NoticeStatus.OPEN, 0),
                    "replied": ladder[level].get(NoticeStatus.REPLIED, 0),
                    "closed": ladder[level].get(NoticeStatus.CLOSED, 0),
                }
                for level, label in NoticeLevel.choices
                if level != NoticeLevel.COORDINATION
            ],
            notice_form=bound.get("notice_form") or NoticeIssueForm(auto_id="issue_%s"),
        )
    coordination = list(
        Notice.objects.filter(level=NoticeLevel.COORDINATION, status=NoticeStatus.OPEN)
        .select_related("task", "unit")
        .order_by("created_at")[:100]
    )
    reply_forms = bound.get("reply_forms", {})
    for notice in coordination:
        notice.form = reply_forms.get(notice.pk) or NoticeReplyForm(
            initial={"version": notice.version}
        )
        notice.form.auto_id = f"coord{notice.pk}_%s"
    lights = dict(
        Task.objects.filter(status__in=ACTIVE)
        .order_by()
        .values_list("light")
        .annotate(n=Count("id"))
        .values_list("light", "n")
    )
    try:
        bulletins_url = reverse("bulletins")
    except NoReverseMatch:
        bulletins_url = ""
    ctx.update(
        coordination=coordination,
        lights=lights,
        bulletins_url=bulletins_url,
        conflict=bound.get("conflict", ""),
    )
    return ctx


def _office_only(request: HttpRequest) -> HttpResponse | None:
    if not access.is_office(request.user):
        return forbidden(request, _("只有督查室可以执行此操作。"))
    return None


@guarded
def office_desk(request: HttpRequest) -> HttpResponse:
    if not has_global_role(request.user, Role.OFFICE, Role.LEADER):
        return forbidden(request, _("督查台仅供督查室和分管领导使用。"))
    return render(request, "supervision/office_desk.html", _office_context(request))


def _render_office(request: HttpRequest, status: int, **bound: Any) -> HttpResponse:
    return render(
        request, "supervision/office_desk.html", _office_context(request, **bound), status=status
    )


def _review_fragment(
    request: HttpRequest, report_id: int, form: Any, status: int, **extra: Any
) -> HttpResponse:
    report = _queue_report(report_id)
    form.auto_id = f"review{report.pk}_%s"
    report.form = form
    return render(request, "supervision/_review_item.html", {"r": report, **extra}, status=status)


@guarded
@require_POST
def review(request: HttpRequest, report_id: int) -> HttpResponse:
    """Accept a report or return it with a reason (htmx: answers with the queue item)."""
    report = get_object_or_404(ProgressReport, pk=report_id)
    access.get_task(request.user, report.task_id, "review_report")
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            check_version(report, form.cleaned_data["version"])
            services.review_report(
                report,
                actor=request.user,
                accept=form.cleaned_data["decision"] == "accept",
                reason=form.cleaned_data["reason"],
            )
        except ConflictError as exc:
            fresh = ReviewForm(rebind_with_version(request.POST, exc.found))
            if request.htmx:
                return _review_fragment(request, report.pk, fresh, 409, conflict=str(exc))
            return _render_office(request, 409, conflict=str(exc), review_forms={report.pk: fresh})
        except services.ValidationError as exc:
            form.add_error(None, str(exc))
    back = safe_next(request, reverse("office-desk") + "#reviews")
    if form.errors:
        if request.htmx:
            return _review_fragment(request, report.pk, form, 400)
        if not access.is_office(request.user):
            # A district office reviews on the task page (it has no office desk).
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return HttpResponseRedirect(back)
        return _render_office(request, 400, review_forms={report.pk: form})
    accepted = form.cleaned_data["decision"] == "accept"
    done = (_("已采纳{task}的报告。") if accepted else _("已退回{task}的报告。")).format(
        task=report.task.code
    )
    if request.htmx:
        return _review_fragment(request, report.pk, form, 200, done=done)
    messages.success(request, done)
    return HttpResponseRedirect(back)


@guarded
@require_POST
def chase_now(request: HttpRequest) -> HttpResponse:
    """立即催办: run the chasing ladder now (it is idempotent)."""
    denied = _office_only(request)
    if denied:
        return denied
    counts = services.run_chasing()
    messages.success(
        request,
        _(
            "催办完成：提醒 {reminder} 条，催办 {chase} 条，督办 {supervise} 条，"
            "通报 {criticism} 条，新记缺报 {missing} 期。"
        ).format(**counts),
    )
    return HttpResponseRedirect(reverse("office-desk") + "#ladder")


@guarded
@require_POST
def recompute_now(request: HttpRequest) -> HttpResponse:
    """重新计算亮灯 for every task, now rather than at the worker's next run."""
    denied = _office_only(request)
    if denied:
        return denied
    from duban.supervision.lights import recompute_lights

    counts = recompute_lights()
    messages.success(
        request,
        _(
            "已重新计算 {tasks} 项任务的亮灯，{changed} 项有变化：红灯 {red}，黄灯 {yellow}，绿灯 {green}。"
        ).format(**counts),
    )
    return HttpResponseRedirect(reverse("office-desk"))


def _resolve_task(user: Any, ref: str) -> Task | None:
    ref = ref.strip()
    visible = access.visible_tasks(user, Task.objects.select_related("assignment"))
    if ref.isdigit():
        task = visible.filter(pk=int(ref)).first()
        if task is not None:
            return task
    matches = list(visible.filter(code=ref)[:2])
    return matches[0] if len(matches) == 1 else None


@guarded
@require_POST
def issue(request: HttpRequest) -> HttpResponse:
    """Issue a notice by hand from the office desk."""
    denied = _office_only(request)
    if denied:
        return denied
    form = NoticeIssueForm(request.POST)
    task = None
    if form.is_valid():
        task = _resolve_task(request.user, form.cleaned_data["task"])
        if task is None:
            form.add_error("task", _("找不到该任务（编号重复时请填写任务ID）。"))
    if task is not None and not form.errors:
        try:
            notice, created = services.issue_notice(
                task,
                level=form.cleaned_data["level"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                reply_days=form.cleaned_data["reply_days"],
                event_key="manual:" + _today().isoformat(),
            )
        except services.ValidationError as exc:
            form.add_error(None, str(exc))
    if form.errors:
        form.auto_id = "issue_%s"
        return _render_office(request, 400, notice_form=form)
    if created:
        messages.success(
            request,
            _("已就{task}向{unit}发出{level}。").format(
                task=task.code, unit=notice.unit, level=notice.get_level_display()
            ),
        )
    else:
        messages.warning(request, _("今天已就此任务发出过同级通知，未重复发出。"))
    return HttpResponseRedirect(reverse("office-desk") + "#ladder")


# --- report sheets (报送表) and calendar links on the unit desk ------------------------------
# Thin adapters over duban.supervision.reportbook and duban.supervision.ical.

SHEET_SESSION_KEY = "report_sheet_uploads"


def _sheet_periods(section: dict[str, Any]) -> list[dt.date]:
    """The current period (latest one due) and the next one, for the 下载报送表 links."""
    now = [i["period"].period_end for i in section["due_now"]]
    soon = [
        i["period"].period_end
        for i in section["due_soon"]
        if not now or i["period"].period_end > max(now)
    ]
    out = ([max(now)] if now else []) + ([min(soon)] if soon else [])
    return out


def _feed_context(request: HttpRequest, sections: list[dict[str, Any]]) -> dict[str, Any]:
    """The user's own feed and, for unit leaders, each unit's feed (one query)."""
    from duban.supervision.ical import feed_path
    from duban.supervision.models import CalendarFeed

    leader_units = [s["unit"].pk for s in sections if s["is_leader"]]
    feeds = CalendarFeed.objects.filter(revoked_at__isnull=True).filter(
        Q(user=request.user) | Q(unit_id__in=leader_units)
    )
    mine, by_unit = None, {}
    for feed in feeds.order_by("-id"):
        url = request.build_absolute_uri(feed_path(feed))
        if feed.user_id == request.user.pk:
            mine = mine or url
        elif feed.unit_id not in by_unit:
            by_unit[feed.unit_id] = url
    for s in sections:
        s["feed_url"] = by_unit.get(s["unit"].pk) if s["is_leader"] else None
    return {"my_feed_url": mine}


def _desk_unit(request: HttpRequest, unit_id: int) -> Unit:
    """A unit the user reports for (or any, for the office); anything else is 404."""
    if not access.may_report_for(request.user, unit_id):
        raise Http404(_("没有找到该单位。"))
    return get_object_or_404(Unit, pk=unit_id)


@guarded
@require_http_methods(["GET", "POST"])
def report_sheet(request: HttpRequest, unit_id: int) -> HttpResponse:
    """GET: the unit's report sheet for ``?period_end``; POST: a filled one, checked (dry run)."""
    from duban.supervision import reportbook

    unit = _desk_unit(request, unit_id)
    if request.method == "GET":
        try:
            period_end = dt.date.fromisoformat(request.GET.get("period_end", ""))
        except ValueError as exc:
            raise Http404(_("报送周期日期无效。")) from exc
        data = reportbook.export_report_sheet(unit, period_end)
        response = HttpResponse(
            data,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        from urllib.parse import quote

        name = reportbook.report_sheet_filename(unit, period_end)
        response["Content-Disposition"] = (
            f"attachment; filename=\"report-sheet.xlsx\"; filename*=UTF-8''{quote(name)}"
        )
        return response
    uploaded = request.FILES.get("file")
    if uploaded is None:
        preview = reportbook.ReportImportPreview()
        preview.errors.append(reportbook.ReportIssue(None, "", _("请选择填好的报送表。")))
        token = ""
    else:
        data = uploaded.read(settings.DUBAN_MAX_UPLOAD_BYTES + 1)
        preview = reportbook.import_report_sheets(
            [(uploaded.name or "report.xlsx", data)], actor=request.user, unit=unit
        )
        token = ""
        if preview.ok:
            token = _keep_sheet(request, unit, uploaded.name or "report.xlsx", data)
    return render(
        request,
        "supervision/report_sheet_preview.html",
        {"unit": unit, "preview": preview, "token": token},
        status=200 if preview.ok else 400,
    )


def _keep_sheet(request: HttpRequest, unit: Unit, name: str, data: bytes) -> str:
    """Keep a checked sheet until the clerk confirms it (the file, not the preview)."""
    from duban.core import uploads

    token = uploads.new_token(".xlsx")
    uploads.save(token, data)
    kept = dict(request.session.get(SHEET_SESSION_KEY, {}))
    kept[token] = {"unit": unit.pk, "name": name[:255]}
    while len(kept) > 10:
        uploads.delete(next(iter(kept)))
        kept.pop(next(iter(kept)))
    request.session[SHEET_SESSION_KEY] = kept
    return token


@guarded
@require_POST
def report_sheet_confirm(request: HttpRequest, unit_id: int) -> HttpResponse:
    """Submit a checked sheet: read it again (the data may have changed), then commit."""
    from duban.core import uploads
    from duban.supervision import reportbook

    unit = _desk_unit(request, unit_id)
    token = request.POST.get("token", "")
    kept = dict(request.session.get(SHEET_SESSION_KEY, {}))
    info = kept.get(token)
    if info is None or info["unit"] != unit.pk or not uploads.exists(token):
        raise Http404(_("报送表已失效，请重新上传。"))
    preview = reportbook.import_report_sheets(
        [(info["name"], uploads.read(token))], actor=request.user, unit=unit
    )
    try:
        reports = reportbook.commit_report_import(preview, actor=request.user)
    except reportbook.ReportbookError as exc:
        return render(
            request,
            "supervision/report_sheet_preview.html",
            {"unit": unit, "preview": preview, "token": "", "failure": str(exc)},
            status=400,
        )
    kept.pop(token, None)
    request.session[SHEET_SESSION_KEY] = kept
    uploads.delete(token)
    messages.success(
        request,
        _("已按报送表报送 {n} 条进展（{unit}）。").format(n=len(reports), unit=unit.name),
    )
    return HttpResponseRedirect(reverse("desk"))


@guarded
@require_POST
def calendar_link(request: HttpRequest) -> HttpResponse:
    """Create the user's (or, for a unit leader, the unit's) calendar link; ``reset`` renews it."""
    from duban.supervision.ical import issue_feed, revoke_feed
    from duban.supervision.models import CalendarFeed

    scope = request.POST.get("scope", "user")
    if scope == "unit":
        unit_id = _int(request.POST.get("unit"))
        g = access.grants(request.user)
        if unit_id is None or Role.UNIT_LEADER not in g.unit_roles.get(unit_id, frozenset()):
            raise Http404(_("没有找到该单位。"))
        owner: dict[str, Any] = {"unit": get_object_or_404(Unit, pk=unit_id)}
    else:
        owner = {"user": request.user}
    active = list(CalendarFeed.objects.filter(revoked_at__isnull=True, **owner))
    if active and "reset" not in request.POST:
        return HttpResponseRedirect(reverse("desk") + "#calendar")
    for feed in active:
        revoke_feed(feed, actor=request.user)
    issue_feed(actor=request.user, **owner)
    messages.success(
        request,
        _("日历订阅链接已重置，旧链接已停用。") if active else _("日历订阅链接已生成。"),
    )
    return HttpResponseRedirect(reverse("desk") + "#calendar")
