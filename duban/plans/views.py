"""The task page (``/tasks/<id>/``) and the actions posted from it.

Views are thin adapters: they fetch the task through :mod:`duban.plans.access` (another
unit's task is a 404, never a 403), parse a form, call one service and redirect. A stale
write (the hidden ``version`` no longer matches) answers 409 with the user's text kept in
the form. The wrapper and helpers every app's pages share (``guarded``, ``forbidden``,
``check_version``) live in :mod:`duban.core.pages`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.apps import apps
from django.contrib import messages
from django.db import models
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from duban.core import pagecache
from duban.core.errors import InputError
from duban.core.models import AuditEntry, ConflictError
from duban.core.pages import (
    check_version,
    guarded,
    rebind_with_version,
    safe_next,
)
from duban.org.choices import Role
from duban.org.models import Unit, User
from duban.plans import access
from duban.plans.cascade import assignable_units, breakdown
from duban.plans.choices import WORKING_STATUSES, TaskKind
from duban.plans.forms import (
    AssignForm,
    ClosureDecisionForm,
    ClosureRequestForm,
    CommentForm,
    MilestoneScheduleForm,
    NoticeReplyForm,
    ReportingScheduleForm,
    TaskEditForm,
)
from duban.plans.models import Assignment, Milestone, Task
from duban.plans.review import learn_from_lead
from duban.supervision import access as report_access
from duban.supervision.choices import NoticeLevel, NoticeStatus
from duban.supervision.forms import NoticeIssueForm
from duban.supervision.models import (
    ClosureRequest,
    Comment,
    Evidence,
    Notice,
    ProgressReport,
    ReportingSchedule,
)

# --- the history timeline --------------------------------------------------------------

EVENT_LABELS = {
    "plan_confirmed": gettext_lazy("方案立项"),
    "task_assigned": gettext_lazy("交办"),
    "milestones_scheduled": gettext_lazy("倒排工期"),
    "report_submitted": gettext_lazy("报送进展"),
    "report_unit_approved": gettext_lazy("单位审核通过"),
    "report_accepted": gettext_lazy("督查室采纳报告"),
    "report_returned": gettext_lazy("督查室退回报告"),
    "notice_reminder": gettext_lazy("发出提醒"),
    "notice_chase": gettext_lazy("发出催办"),
    "notice_supervise": gettext_lazy("发出督办"),
    "notice_criticism": gettext_lazy("通报批评"),
    "coordination_requested": gettext_lazy("提请协调"),
    "coordination_decided": gettext_lazy("协调意见"),
    "closure_requested": gettext_lazy("申请销号"),
    "task_closed": gettext_lazy("销号办结"),
    "closure_returned": gettext_lazy("退回销号申请"),
    "instruction_linked": gettext_lazy("关联领导批示"),
    "instruction_reply_by_changed": gettext_lazy("领导批示反馈时限调整"),
    "task_accepted": gettext_lazy("采纳建议任务"),
    "task_rejected": gettext_lazy("不予立项"),
    "tasks_merged": gettext_lazy("合并任务"),
    "task_split": gettext_lazy("分解任务"),
    "task_added": gettext_lazy("新增任务"),
    "lead_chosen": gettext_lazy("确定牵头单位"),
    "report_rolled_up": gettext_lazy("区县进展汇总上报"),
    "rollup_skipped": gettext_lazy("区县进展未汇总"),
    "cascade_received": gettext_lazy("接收市级交办任务"),
    "cascade_updated": gettext_lazy("市级任务更新"),
    "cascade_progress_queued": gettext_lazy("区县进展待推送"),
    "plan_cascaded": gettext_lazy("分解到区县"),
    "report_received_remote": gettext_lazy("区县系统远程报送"),
    "task_cancelled": gettext_lazy("撤销任务"),
    "cascade_withdrawn": gettext_lazy("市级任务撤回"),
    "cascade_restored": gettext_lazy("市级任务恢复交办"),
}
ACTION_LABELS = {
    "create": gettext_lazy("新建"),
    "update": gettext_lazy("修改"),
    "delete": gettext_lazy("删除"),
}
# Bookkeeping columns nobody asks about in a history.
HIDDEN_FIELDS = {"extracted", "extraction_key", "lead_suggestions", "sha256", "dedup_key"}
EMPTY = gettext_lazy("（空）")


def _fields_by_attname(model: Any) -> dict[str, Any]:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    fields.update({f.name: f for f in model._meta.many_to_many})
    return fields


def task_history(task: Task, related: dict[str, Iterable[int]]) -> list[dict[str, Any]]:
    """The audit entries of a task and its related rows as readable timeline items.

    One query for the entries plus one per *kind* of referenced row (units, users…) to
    name foreign keys, however many entries there are.
    """
    q = Q(object_type=Task._meta.label_lower, object_id=str(task.pk))
    # 倒排工期 deletes open milestones: find their entries by the task id they carried.
    milestone = Milestone._meta.label_lower
    q |= Q(object_type=milestone, before__task_id=task.pk)
    q |= Q(object_type=milestone, after__task_id=task.pk)
    for label, ids in related.items():
        ids = [str(i) for i in ids]
        if ids:
            q |= Q(object_type=label, object_id__in=ids)
    entries = list(AuditEntry.objects.filter(q).order_by("-time", "-id")[:500])

    # First pass: which foreign keys must be named.
    wanted: dict[Any, set[Any]] = defaultdict(set)
    for entry in entries:
        try:
            model = apps.get_model(entry.object_type)
        except LookupError:
            continue
        if entry.action != "update":
            continue
        fields = _fields_by_attname(model)
        for key in entry.changed or (entry.after or {}).keys():
            field = fields.get(key)
            if field is None or not field.is_relation:
                continue
            for side in (entry.before or {}, entry.after or {}):
                value = side.get(key)
                values = value if isinstance(value, list) else [value]
                wanted[field.related_model].update(v for v in values if v is not None)
    names: dict[Any, dict[str, str]] = {}
    for model, ids in wanted.items():
        names[model] = {str(o.pk): str(o) for o in model._base_manager.filter(pk__in=ids)}

    def show(field: Any, value: Any) -> str:
        if value is None or value == "" or value == []:
            return str(EMPTY)
        if field.is_relation:
            table = names.get(field.related_model, {})
            values = value if isinstance(value, list) else [value]
            return "、".join(table.get(str(v), f"#{v}") for v in values)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return _("是") if value else _("否")
        if isinstance(field, models.DateTimeField) and isinstance(value, str):
            # Stored as ISO text in UTC; shown in local time like every other time here.
            try:
                moment = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
        text = str(value)
        return text if len(text) <= 200 else text[:199] + "…"

    items = []
    for entry in entries:
        try:
            model = apps.get_model(entry.object_type)
        except LookupError:
            model = None
        what = str(model._meta.verbose_name) if model else entry.object_type
        item: dict[str, Any] = {
            "entry": entry,
            "who": entry.actor_name or _("系统"),
            "object": what,
            "repr": entry.object_repr,
            "changes": [],
        }
        if entry.action == "event":
            item["title"] = str(EVENT_LABELS.get(entry.event, entry.event))
            item["note"] = entry.note
        else:
            item["title"] = f"{ACTION_LABELS.get(entry.action, entry.action)}{what}"
        if entry.action == "update" and model is not None:
            fields = _fields_by_attname(model)
            keys = entry.changed or sorted((entry.after or {}).keys())
            for key in keys:
                field = fields.get(key)
                if field is None or key in HIDDEN_FIELDS:
                    continue
                item["changes"].append(
                    {
                        "label": str(field.verbose_name),
                        "before": show(field, (entry.before or {}).get(key)),
                        "after": show(field, (entry.after or {}).get(key)),
                    }
                )
            if not item["changes"]:
                continue  # only bookkeeping columns changed
        items.append(item)
    return items


# --- the task page -----------------------------------------------------------------------

SOURCE_WINDOW = 160  # characters of context on each side of the source sentence


def _source_context(task: Task) -> dict[str, Any] | None:
    if not task.source_document_id or task.source_start is None or task.source_end is None:
        return None
    from duban.documents.models import Document, text_slice

    documents = Document.objects.filter(pk=task.source_document_id)
    title = documents.values_list("title", flat=True).first()
    if title is None:
        return None
    start, end = task.source_start, task.source_end
    lo = max(0, start - SOURCE_WINDOW)
    text, total = text_slice(task.source_document_id, lo, end + SOURCE_WINDOW) or ("", 0)
    hi = lo + len(text)
    return {
        "document_id": task.source_document_id,
        "title": title,
        "before": ("…" if lo > 0 else "") + text[: start - lo],
        "span": text[start - lo : end - lo],
        "after": text[end - lo :] + ("…" if hi < total else ""),
    }


def _load_task(user: Any, pk: int, action: str = "view") -> Task:
    return access.get_task(user, pk, action)


class _UnitName(NamedTuple):
    """A unit as the assignment form lists it: kept between pages (core.pagecache)."""

    pk: int
    name: str
    label: str

    def __str__(self) -> str:
        return self.label


def _fresh_assign_form(task: Task, assignment: Assignment | None) -> AssignForm:
    """The assignment form filled with the task's current assignment, if any."""
    return AssignForm(
        units=_assignable_names(task),
        suggestions=task.lead_suggestions or [],
        leaders=User.objects.filter(memberships__role=Role.LEADER).distinct().order_by("id"),
        initial={
            "lead_unit": assignment.lead_unit_id if assignment else None,
            "co_units": [u.pk for u in assignment.co_units.all()] if assignment else [],
            "leader": assignment.leader_in_charge_id if assignment else None,
            "version": assignment.version if assignment else None,
        },
    )


def _task_context(request: HttpRequest, task: Task, **bound: Any) -> dict[str, Any]:
    user = request.user
    task = (
        Task.objects.select_related("plan", "framework_node", "parent").filter(pk=task.pk).first()
    )
    assignment = (
        Assignment.objects.select_related("lead_unit", "leader_in_charge")
        .prefetch_related("co_units", "responsible_people")
        .filter(task=task)
        .first()
    )
    # The access helpers read the assignment from the task; give them the loaded one.
    if assignment is not None:
        task.assignment = assignment
    schedule = ReportingSchedule.objects.filter(task=task).first()
    milestones = list(Milestone.objects.filter(task=task))
    evidence = Prefetch("evidence", queryset=Evidence.objects.order_by("id"))
    reports = list(
        report_access.visible_reports(user, ProgressReport.objects.filter(task=task))
        .select_related("unit", "submitted_by")
        .prefetch_related(evidence)
        .order_by("-period_end", "unit__sort_order")
    )
    notices = list(Notice.objects.filter(task=task).select_related("unit"))
    comments = list(Comment.objects.filter(task=task).select_related("author"))
    closures = list(
        ClosureRequest.objects.filter(task=task).select_related("unit").prefetch_related(evidence)
    )
    children = list(Task.objects.filter(parent=task).only("id", "code", "text", "light"))
    # The leaders' instructions this task carries out (duban/instructions), those the
    # viewer may see; imported here as the other upward reads of this page are.
    from duban.instructions.access import visible_instructions

    instructions = list(
        visible_instructions(user, task.instructions.all()).order_by("instructed_on", "pk")
    )

    def may(action: str, **kw: Any) -> bool:
        return access.can(user, action, task, **kw)

    office = may("assign")
    active = task.status in WORKING_STATUSES
    pending_closure = next((c for c in closures if c.status == ClosureRequest.Status.PENDING), None)
    for notice in notices:
        notice.can_reply = (
            notice.status == NoticeStatus.OPEN
            and notice.level != NoticeLevel.COORDINATION
            and may("reply_notice", unit_id=notice.unit_id)
            and not office
        )
        notice.can_decide = (
            notice.level == NoticeLevel.COORDINATION
            and notice.status == NoticeStatus.OPEN
            and may("decide_coordination")
        )
        notice.overdue = (
            notice.status == NoticeStatus.OPEN
            and notice.reply_deadline is not None
            and notice.reply_deadline < _today()
        )
    source = _source_context(task)
    if source is not None and office:
        # The office also has the document's review page, with the whole text around it.
        try:
            source["review_url"] = (
                reverse("document-review", args=[source["document_id"]]) + f"#span-T{task.pk}"
            )
        except NoReverseMatch:
            pass
    ctx: dict[str, Any] = {
        "task": task,
        "assignment": assignment,
        "schedule": schedule,
        "milestones": milestones,
        "reports": reports,
        "notices": notices,
        "comments": comments,
        "closures": closures,
        "children": children,
        "instructions": instructions,
        "pending_closure": pending_closure,
        "source": source,
        "is_rectification": task.kind == TaskKind.RECTIFICATION,
        "can": {
            "edit": may("edit"),
            "assign": office,
            "schedule": may("schedule"),
            "comment": may("comment"),
            "praise": may("praise"),
            "report": may("report") and active and assignment is not None,
            "request_closure": may("request_closure") and active,
            "split": may("split") and active and assignment is not None,
            "complete_milestone": active
            and assignment is not None
            and may("report", unit_id=assignment.lead_unit_id),
            "approve_closure": may("approve_closure"),
            "issue_notice": may("issue_notice") and assignment is not None,
            # A district office has no office desk: it reviews its departments' reports
            # on the task page of its own plan.
            "review_here": task.plan.owner_unit_id is not None and may("review_report"),
        },
        "conflict": bound.pop("conflict", None),
    }
    if ctx["can"]["edit"]:
        ctx["edit_form"] = bound.get("edit_form") or TaskEditForm(
            initial={
                "text": task.text,
                "deadline": task.deadline,
                "deadline_text": task.deadline_text,
                "target_value": task.target_value,
                "measures": task.measures,
                "version": task.version,
            }
        )
    ctx["cascade"] = _cascade_context(user, task)
    if office:
        if bound.get("assign_form") is not None or assignment is None:
            ctx["assign_form"] = bound.get("assign_form") or _fresh_assign_form(task, assignment)
        else:
            # Reassigning is rare and its form lists every unit twice (three fifths of the
            # page at 300 units): the page carries a link and the form comes on demand.
            ctx["assign_deferred"] = True
        ctx["assign_open"] = bound.pop("assign_open", False)
    if ctx["can"]["schedule"]:
        ctx["milestone_form"] = bound.get("milestone_form") or MilestoneScheduleForm(
            initial={
                "template": "indicator"
                if task.kind == TaskKind.INDICATOR
                else ("rectification" if task.kind == TaskKind.RECTIFICATION else "standard"),
                "version": task.version,
            }
        )
        ctx["reporting_form"] = bound.get("reporting_form") or ReportingScheduleForm(
            initial={
                "frequency": schedule.frequency if schedule else "monthly",
                "day": schedule.day if schedule else 25,
                "starts_on": schedule.starts_on if schedule else _today(),
                "ends_on": schedule.ends_on if schedule else None,
                "version": schedule.version if schedule else None,
            }
        )
    if ctx["can"]["comment"]:
        ctx["comment_form"] = bound.get("comment_form") or CommentForm()
        if not ctx["can"]["praise"]:
            del ctx["comment_form"].fields["praise"]
    if ctx["can"]["split"]:
        from duban.plans.forms import SubtaskForm

        ctx["subtask_form"] = bound.get("subtask_form") or SubtaskForm()
    if ctx["can"]["request_closure"]:
        ctx["closure_form"] = bound.get("closure_form") or ClosureRequestForm(
            initial={"version": task.version}
        )
    if ctx["can"]["approve_closure"] and pending_closure is not None:
        ctx["decision_form"] = bound.get("decision_form") or ClosureDecisionForm(
            initial={"version": pending_closure.version}
        )
    if ctx["can"]["issue_notice"]:
        ctx["notice_form"] = bound.get("notice_form") or NoticeIssueForm(
            initial={"task": str(task.pk)}
        )
    reply_forms = bound.get("reply_forms", {})
    for notice in notices:
        if notice.can_reply or notice.can_decide:
            notice.form = reply_forms.get(notice.pk) or NoticeReplyForm(
                initial={"version": notice.version}
            )
    # Several forms share field names (version, note…): distinct ids keep <label for> right.
    for name in (
        "edit_form",
        "assign_form",
        "milestone_form",
        "reporting_form",
        "comment_form",
        "subtask_form",
        "closure_form",
        "decision_form",
        "notice_form",
    ):
        if name in ctx:
            ctx[name].auto_id = name.removesuffix("_form") + "_%s"
    for notice in notices:
        if getattr(notice, "form", None) is not None:
            notice.form.auto_id = f"notice{notice.pk}_%s"
    ctx["history"] = task_history(
        task,
        {
            Assignment._meta.label_lower: [assignment.pk] if assignment else [],
            ReportingSchedule._meta.label_lower: [schedule.pk] if schedule else [],
            Milestone._meta.label_lower: [m.pk for m in milestones],
            ProgressReport._meta.label_lower: [r.pk for r in reports],
            Notice._meta.label_lower: [n.pk for n in notices],
            ClosureRequest._meta.label_lower: [c.pk for c in closures],
            Comment._meta.label_lower: [c.pk for c in comments],
        },
    )
    return ctx


def _assignable_names(task: Task) -> list[_UnitName]:
    """The units the assignment form offers: a district's departments in its own plan."""
    if task.plan.owner_unit_id is not None:
        return [
            _UnitName(u.pk, u.name, str(u))
            for u in assignable_units(task.plan).order_by("sort_order", "id")
        ]
    # Only what the lists show: a province has hundreds of units, and their keyword lists
    # (JSON) are not needed to name them.
    return [
        _UnitName(*row)
        for row in pagecache.memo(
            "active-units",
            lambda: [
                (u.pk, u.name, str(u))
                for u in Unit.objects.filter(is_active=True)
                .order_by("sort_order", "id")
                .only("id", "name", "short_name")
            ],
        )
    ]


def _cascade_context(user: Any, task: Task) -> dict[str, Any]:
    """The district cascade on a task page: on a city task, each district's breakdown and
    the district's latest rolled-up report; on a district task, its city task."""
    upstream = None
    if task.upstream_id is not None:
        upstream = access.visible_tasks(user).filter(pk=task.upstream_id).first()
    rows = []
    if task.plan.owner_unit_id is None:
        for mine in breakdown(task):
            if not access.runs_plan(user, mine.plan):
                continue  # another district's part: not shown, as its plan is not
            district = mine.plan.owner_unit
            rolled = (
                report_access.visible_reports(user, ProgressReport.objects.filter(task=task))
                .filter(unit=district)
                .order_by("-period_end")
                .first()
            )
            rows.append({"task": mine, "district": district, "report": rolled})
    return {"upstream": upstream, "districts": rows}


def _today() -> dt.date:
    return timezone.localdate()


def render_task(
    request: HttpRequest, task: Task, *, status: int = 200, **bound: Any
) -> HttpResponse:
    """The task page; a plain GET reuses the page drawn for the same state (core.pagecache).

    A page drawn after a failed POST (bound forms, a conflict) is never kept: it belongs to
    that one answer. A page with a message to show keeps only its body.
    """
    audience = access.audience(request.user)
    state = (task.pk, pagecache.row_state(task))
    keep = not bound and status == 200

    def draw(extra: dict[str, Any]) -> HttpResponse:
        if extra:
            # Drawn for the whole-page copy: the body's forms and scripts take the same
            # placeholders as the header, so no viewer's token is kept.
            ctx = _task_context(request, task)
            ctx["csrf_token"] = extra["csrf_token"]
            ctx["csp_nonce"] = extra["csp_nonce"]
            body = render_to_string("plans/_task_body.html", ctx, request=request)
        else:
            body = pagecache.render_kept(
                request,
                "plans/_task_body.html",
                lambda: _task_context(request, task, **bound),
                name="task",
                audience=audience,
                state=state,
                keep=keep,
            )
        return render(
            request,
            "plans/task_detail.html",
            {"task": task, "body": mark_safe(body), **extra},
            status=status,
        )

    if keep:
        return pagecache.kept_page(request, draw, name="task-page", audience=audience, state=state)
    return draw({})


def _back(task: Task, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("task-detail", args=[task.pk])
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


@guarded
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _load_task(request.user, pk)
    return render_task(request, task)


def _conflict(
    request: HttpRequest, task: Task, exc: ConflictError, form_name: str, form: Any
) -> HttpResponse:
    return render_task(request, task, status=409, conflict=str(exc), **{form_name: form})


@guarded
@require_POST
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    from duban.plans.services import update_task

    task = _load_task(request.user, pk, "edit")
    form = TaskEditForm(request.POST)
    if not form.is_valid():
        return render_task(request, task, status=400, edit_form=form)
    data = dict(form.cleaned_data)
    version = data.pop("version")
    try:
        update_task(
            task,
            actor=request.user,
            version=version if version is not None else task.version,
            **data,
        )
    except ConflictError as exc:
        fresh = TaskEditForm(rebind_with_version(request.POST, exc.found))
        fresh.is_valid()
        return _conflict(request, task, exc, "edit_form", fresh)
    except ValueError as exc:
        form.add_error(None, str(exc))
        return render_task(request, task, status=400, edit_form=form)
    messages.success(request, _("任务已保存。"))
    return _back(task)


@guarded
@require_POST
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """撤销 a task (the office), with a reason; every district's copy is withdrawn."""
    from duban.plans.services import cancel_task

    task = _load_task(request.user, pk, "edit")
    try:
        cancel_task(task, actor=request.user, reason=request.POST.get("reason", ""))
    except InputError as exc:
        messages.error(request, str(exc))
        return _back(task)
    messages.success(request, _("任务已撤销，区县承接的任务随之撤回。"))
    return _back(task)


@guarded
@require_http_methods(["GET", "POST"])
def task_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the (re)assignment form, alone for htmx or on the task page; POST: assign."""
    from duban.plans.services import assign_task

    task = _load_task(request.user, pk, "assign")
    if request.method == "GET":
        assignment = Assignment.objects.prefetch_related("co_units").filter(task=task).first()
        form = _fresh_assign_form(task, assignment)
        form.auto_id = "assign_%s"
        if request.htmx:
            return render(request, "plans/_assign_form.html", {"task": task, "assign_form": form})
        return render_task(request, task, assign_form=form, assign_open=True)
    units = list(assignable_units(task.plan).order_by("sort_order", "id"))
    leaders = list(User.objects.filter(memberships__role=Role.LEADER).distinct())

    def make(data: Any) -> AssignForm:
        return AssignForm(
            data, units=units, suggestions=task.lead_suggestions or [], leaders=leaders
        )

    form = make(request.POST)
    if not form.is_valid():
        return render_task(request, task, status=400, assign_form=form)
    assignment = Assignment.objects.filter(task=task).first()
    by_pk = {u.pk: u for u in units}
    try:
        check_version(assignment, form.cleaned_data["version"])
        leader_pk = form.cleaned_data["leader"]
        assign_task(
            task,
            lead_unit=by_pk[form.cleaned_data["lead_unit"]],
            co_units=[by_pk[i] for i in form.cleaned_data["co_units"]],
            leader=next((u for u in leaders if u.pk == leader_pk), None),
            actor=request.user,
        )
        learn_from_lead(task, by_pk[form.cleaned_data["lead_unit"]])
    except ConflictError as exc:
        return _conflict(
            request, task, exc, "assign_form", make(rebind_with_version(request.POST, exc.found))
        )
    messages.success(request, _("已交办。"))
    return _back(task, "assignment")


@guarded
@require_POST
def task_milestones(request: HttpRequest, pk: int) -> HttpResponse:
    from duban.supervision.scheduling import SchedulingError, schedule_task

    task = _load_task(request.user, pk)
    # schedule_task does not check permissions itself: the page must.
    access.require(request.user, "schedule", task)
    form = MilestoneScheduleForm(request.POST)
    if not form.is_valid():
        return render_task(request, task, status=400, milestone_form=form)
    try:
        check_version(task, form.cleaned_data["version"])
        schedule_task(
            task,
            template=form.cleaned_data["template"],
            start=form.cleaned_data["start"],
            actor=request.user,
        )
    except ConflictError as exc:
        fresh = MilestoneScheduleForm(rebind_with_version(request.POST, exc.found))
        return _conflict(request, task, exc, "milestone_form", fresh)
    except SchedulingError as exc:
        form.add_error(None, str(exc))
        return render_task(request, task, status=400, milestone_form=form)
    messages.success(request, _("已按模板倒排工期。"))
    return _back(task, "milestones")


@guarded
@require_POST
def task_reporting(request: HttpRequest, pk: int) -> HttpResponse:
    from duban.supervision.services import ValidationError, set_reporting_schedule

    task = _load_task(request.user, pk, "schedule")
    form = ReportingScheduleForm(request.POST)
    if not form.is_valid():
        return render_task(request, task, status=400, reporting_form=form)
    schedule = ReportingSchedule.objects.filter(task=task).first()
    data = form.cleaned_data
    try:
        check_version(schedule, data["version"])
        set_reporting_schedule(
            task,
            actor=request.user,
            frequency=data["frequency"],
            day=data["day"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        )
    except ConflictError as exc:
        fresh = ReportingScheduleForm(rebind_with_version(request.POST, exc.found))
        return _conflict(request, task, exc, "reporting_form", fresh)
    except ValidationError as exc:
        form.add_error(None, str(exc))
        return render_task(request, task, status=400, reporting_form=form)
    messages.success(request, _("报送计划已保存。"))
    return _back(task, "reporting")


@guarded
@require_POST
def milestone_done(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead unit ticks a stage done (or undoes it); the light is recomputed."""
    from duban.plans.services import complete_milestone

    milestone = Milestone.objects.select_related("task").filter(pk=pk).first()
    if milestone is None:
        raise access.NotFound()
    task = _load_task(request.user, milestone.task_id)
    try:
        complete_milestone(milestone, actor=request.user, undo=bool(request.POST.get("undo")))
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已更新阶段目标“{name}”。").format(name=milestone.name))
    return _back(task, "milestones")


@guarded
@require_POST
def task_subtask(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead unit's leader splits the task into a sub-task or measure."""
    from duban.plans.forms import SubtaskForm
    from duban.plans.services import add_subtask

    task = _load_task(request.user, pk, "split")
    form = SubtaskForm(request.POST)
    if form.is_valid():
        try:
            child = add_subtask(
                task,
                actor=request.user,
                text=form.cleaned_data["text"],
                deadline=form.cleaned_data["deadline"],
                responsible=form.cleaned_data["responsible"],
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
    if form.errors:
        return render_task(request, task, status=400, subtask_form=form)
    messages.success(request, _("已分解出任务 {code}。").format(code=child.code))
    return _back(task, "subtasks")


@guarded
@require_POST
def task_comment(request: HttpRequest, pk: int) -> HttpResponse:
    from duban.supervision.services import ValidationError, add_comment

    task = _load_task(request.user, pk, "comment")
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            add_comment(
                task,
                actor=request.user,
                text=form.cleaned_data["text"],
                praise=form.cleaned_data["praise"] and access.can(request.user, "praise", task),
            )
        except ValidationError as exc:
            form.add_error("text", str(exc))
    if form.errors:
        return render_task(request, task, status=400, comment_form=form)
    messages.success(request, _("评论已发表。"))
    return _back(task, "comments")


@guarded
@require_POST
def task_closure(request: HttpRequest, pk: int) -> HttpResponse:
    from duban.supervision.services import ValidationError, request_closure

    task = _load_task(request.user, pk)
    form = ClosureRequestForm(request.POST, request.FILES)
    if not form.is_valid():
        # The permission comes first: a co-unit must not learn anything from form errors.
        access.require(request.user, "request_closure", task)
        return render_task(request, task, status=400, closure_form=form)
    try:
        check_version(task, form.cleaned_data["version"])
        request_closure(
            task,
            actor=request.user,
            note=form.cleaned_data["note"],
            files=form.cleaned_data["files"],
        )
    except ConflictError as exc:
        fresh = ClosureRequestForm(rebind_with_version(request.POST, exc.found))
        return _conflict(request, task, exc, "closure_form", fresh)
    except ValidationError as exc:
        form.add_error(None, str(exc))
        return render_task(request, task, status=400, closure_form=form)
    messages.success(request, _("销号申请已提交，等待督查室审核。"))
    return _back(task, "closure")


@guarded
@require_POST
def closure_decide(request: HttpRequest, pk: int) -> HttpResponse:
    from duban.supervision.services import ValidationError, decide_closure

    closure = get_object_or_404(ClosureRequest, pk=pk)
    task = _load_task(request.user, closure.task_id)
    form = ClosureDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            check_version(closure, data["version"])
            decide_closure(
                closure,
                actor=request.user,
                approve=data["decision"] == "approve",
                note=data["note"],
                verification_note=data["verification_note"],
            )
        except ConflictError as exc:
            fresh = ClosureDecisionForm(rebind_with_version(request.POST, exc.found))
            return _conflict(request, task, exc, "decision_form", fresh)
        except ValidationError as exc:
            form.add_error(None, str(exc))
    if form.errors:
        access.require(request.user, "approve_closure", task)
        return render_task(request, task, status=400, decision_form=form)
    messages.success(request, _("销号申请已处理。"))
    return HttpResponseRedirect(safe_next(request, reverse("task-detail", args=[task.pk])))


@guarded
@require_POST
def notice_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """A unit answers a notice, or the leader decides a coordination request."""
    from duban.supervision.services import ValidationError, decide_coordination, reply_notice

    notice = get_object_or_404(Notice, pk=pk)
    task = _load_task(request.user, notice.task_id)
    form = NoticeReplyForm(request.POST)
    if form.is_valid():
        try:
            check_version(notice, form.cleaned_data["version"])
            if notice.level == NoticeLevel.COORDINATION:
                decide_coordination(notice, actor=request.user, decision=form.cleaned_data["reply"])
            else:
                reply_notice(notice, actor=request.user, reply=form.cleaned_data["reply"])
        except ConflictError as exc:
            fresh = NoticeReplyForm(rebind_with_version(request.POST, exc.found))
            return _conflict(request, task, exc, "reply_forms", {notice.pk: fresh})
        except ValidationError as exc:
            form.add_error("reply", str(exc))
    if form.errors:
        action = (
            "decide_coordination" if notice.level == NoticeLevel.COORDINATION else "reply_notice"
        )
        access.require(
            request.user, action, task, unit_id=None if action != "reply_notice" else notice.unit_id
        )
        return render_task(request, task, status=400, reply_forms={notice.pk: form})
    messages.success(request, _("已回复。"))
    return HttpResponseRedirect(
        safe_next(request, reverse("task-detail", args=[task.pk]) + "#notices")
    )


@guarded
@require_POST
def task_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """The office issues a notice about this task by hand."""
    from duban.supervision.services import ValidationError, issue_notice

    task = _load_task(request.user, pk, "issue_notice")
    form = NoticeIssueForm(request.POST)
    if form.is_valid():
        try:
            notice, created = issue_notice(
                task,
                level=form.cleaned_data["level"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                reply_days=form.cleaned_data["reply_days"],
                event_key="manual:" + _today().isoformat(),
            )
        except ValidationError as exc:
            form.add_error(None, str(exc))
    if form.errors:
        return render_task(request, task, status=400, notice_form=form)
    if created:
        messages.success(request, _("已发出{level}通知。").format(level=notice.get_level_display()))
    else:
        messages.warning(request, _("今天已就此任务发出过同级通知，未重复发出。"))
    return _back(task, "notices")
