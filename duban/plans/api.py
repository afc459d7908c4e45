"""REST endpoints for plans and tasks: thin adapters over access rules and services."""

from __future__ import annotations

import datetime as dt
import io
import json
from urllib.parse import quote

from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from duban.core import idempotency
from duban.core.api import TextSerializer
from duban.core.errors import InputError
from duban.core.listing import (
    IF_MATCH,
    MAX_ID,
    PAGE_SIZE_PARAM,
    ApiListMixin,
    checked_params,
    light_rank,
    version_to_write,
)
from duban.core.models import AuditEntry
from duban.org.models import Unit
from duban.plans import access, services
from duban.plans.choices import Light, PlanStatus, TaskStatus
from duban.plans.models import Assignment, FrameworkNode, Milestone, Plan, Task
from duban.plans.review import learn_from_lead
from duban.supervision import services as supervision
from duban.supervision.api import ReportSerializer


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = [
            *("id", "title", "year", "status", "confirmed_at", "is_public"),
            *("owner_unit", "upstream", "version"),
        ]
        read_only_fields = ["status", "confirmed_at", "owner_unit", "upstream", "version"]


class ConfirmationSerializer(PlanSerializer):
    assigned = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    unassigned = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "assigned", "unassigned"]


class CommentCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    praise = serializers.BooleanField()


class CommentSerializer(serializers.Serializer):
    text = serializers.CharField()
    praise = serializers.BooleanField(
        default=False, help_text="A leader's praise (表扬), counted by 考核; leaders and office."
    )


class StatusCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class PlanCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="xlsx, csv or the json of our export")
    plan = serializers.PrimaryKeyRelatedField(
        queryset=Plan.objects.all(), required=False, help_text="import into this plan"
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    dry_run = serializers.BooleanField(required=False, default=False)


class ImportResultSerializer(serializers.Serializer):
    summary = serializers.CharField()
    tasks = serializers.IntegerField()
    plan = serializers.IntegerField(allow_null=True)
    committed = serializers.BooleanField()
    error_count = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TaskCreateSerializer(serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=Plan.objects.all())
    text = serializers.CharField(max_length=2000)
    framework_node = serializers.PrimaryKeyRelatedField(
        queryset=FrameworkNode.objects.all(), required=False, allow_null=True
    )
    deadline = serializers.DateField(required=False, allow_null=True)


class MergeSerializer(serializers.Serializer):
    tasks = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=2
    )
    text = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class SplitSerializer(serializers.Serializer):
    parts = serializers.ListField(
        child=serializers.CharField(max_length=4000), min_length=2, max_length=50
    )


class LeadSerializer(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.filter(is_active=True))


def _require_draft(plan: Plan) -> None:
    """Tasks are added and taken out only before 立项; after it, they are assigned and
    reported on, and changes go through edits the units can see."""
    if plan.status != PlanStatus.DRAFT:
        raise InputError(gettext("方案已立项，不能再增删任务；请修改任务内容或办结。"))


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "name", "due_date", "proportion", "done_at"]

    def to_representation(self, m: Milestone) -> dict:
        # What ModelSerializer gives, without its per-field machinery (see TaskSerializer).
        return {
            "id": m.pk,
            "name": m.name,
            "due_date": _iso(m.due_date),
            "proportion": m.proportion,
            "done_at": _iso(m.done_at),
        }


class TaskSerializer(serializers.ModelSerializer):
    lead_unit = serializers.SerializerMethodField()
    co_units = serializers.SerializerMethodField()
    # A task outside any framework node has none: null, as the schema says.
    framework = serializers.CharField(
        source="framework_node.name", default=None, read_only=True, allow_null=True
    )
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta:
        model = Task
        fields = [
            "id", "plan", "parent", "code", "text", "verb", "kind", "status", "framework",
            "framework_node", "deadline_text", "start_date", "deadline", "target_value",
            "progress", "light", "light_reason", "lead_unit", "co_units", "lead_suggestions",
            "source_document", "source_start", "source_end", "milestones", "version",
        ]  # fmt: skip
        read_only_fields = [
            "plan", "status", "progress", "light", "light_reason", "lead_suggestions",
            "source_document", "source_start", "source_end", "version", "verb",
        ]  # fmt: skip

    def get_lead_unit(self, task: Task) -> str | None:
        a = access.assignment_of(task)
        return str(a.lead_unit) if a else None

    def get_co_units(self, task: Task) -> list[str]:
        a = access.assignment_of(task)
        return [str(u) for u in a.co_units.all()] if a else []

    def to_representation(self, task: Task) -> dict:
        """The same dictionary as ModelSerializer's, built directly.

        Why: DRF walks every field of every row through its own objects; for a page of 100
        tasks with their milestones that was most of the list's time (issue "Performance
        and scale-out", case b). ``test_api_lists`` checks the two give the same answer.
        """
        a = access.assignment_of(task)
        node = task.framework_node
        return {
            "id": task.pk,
            "plan": task.plan_id,
            "parent": task.parent_id,
            "code": task.code,
            "text": task.text,
            "verb": task.verb,
            "kind": task.kind,
            "status": task.status,
            "framework": node.name if node is not None else None,
            "framework_node": task.framework_node_id,
            "deadline_text": task.deadline_text,
            "start_date": _iso(task.start_date),
            "deadline": _iso(task.deadline),
            "target_value": task.target_value,
            "progress": task.progress,
            "light": task.light,
            "light_reason": task.light_reason,
            "lead_unit": str(a.lead_unit) if a else None,
            "co_units": [str(u) for u in a.co_units.all()] if a else [],
            "lead_suggestions": task.lead_suggestions,
            "source_document": task.source_document_id,
            "source_start": task.source_start,
            "source_end": task.source_end,
            "milestones": [MILESTONE.to_representation(m) for m in task.milestones.all()],
            "version": task.version,
        }


MILESTONE = MilestoneSerializer()
LIST_DEFER = (
    "extracted",
    "measures",
    "created_at",
    "updated_at",
    "assignment__created_at",
    "assignment__updated_at",
    "assignment__lead_unit__keywords",
    "assignment__lead_unit__aliases",
    "assignment__lead_unit__created_at",
    "assignment__lead_unit__updated_at",
    "framework_node__created_at",
    "framework_node__updated_at",
)
UNIT_NAMES = Unit.objects.only("id", "name", "short_name")
MILESTONE_FIELDS = Milestone.objects.only(
    "id", "task_id", "name", "due_date", "proportion", "done_at", "sort_order"
)


class TaskUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, help_text="the version loaded (or send it in If-Match)"
    )
    text = serializers.CharField(required=False)
    deadline = serializers.DateField(required=False, allow_null=True)
    deadline_text = serializers.CharField(required=False, allow_blank=True)
    measures = serializers.CharField(required=False, allow_blank=True)
    target_value = serializers.CharField(required=False, allow_blank=True)


class AssignSerializer(serializers.Serializer):
    lead_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    co_units = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), many=True, required=False
    )


class ReportInputSerializer(serializers.Serializer):
    """A report's content. The period and due date come from the task's schedule.

    ``period_end`` picks which owed period (default: the next one due); ``period_start`` and
    ``due_date`` may be sent but must then be the schedule's own (issue 14: a client once
    filed 2026-12-31..2026-01-31 due 2099 and was on time).
    """

    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    due_date = serializers.DateField(required=False)
    percent = serializers.IntegerField(min_value=0, max_value=100)
    progress = serializers.CharField()
    problems = serializers.CharField(required=False, allow_blank=True, default="")
    next_steps = serializers.CharField(required=False, allow_blank=True, default="")
    coordination_request = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False)

    def validate(self, attrs: dict) -> dict:
        start, end = attrs.get("period_start"), attrs.get("period_end")
        if start and end and start > end:
            raise serializers.ValidationError(
                {"period_start": [gettext("报送周期的开始日期晚于结束日期。")]}
            )
        return attrs


def _owed_period(task: Task, v: dict) -> dict:
    """The schedule's period for the report; a sent start or due date must agree with it."""
    try:
        period = supervision.report_period(task, v.pop("period_end", None))
    except supervision.ValidationError as exc:
        raise serializers.ValidationError({"period_end": [str(exc)]}) from exc
    for field in ("period_start", "due_date"):
        sent = v.pop(field, None)
        if sent is not None and sent != getattr(period, field):
            raise serializers.ValidationError(
                {
                    field: [
                        gettext("与该任务的报送计划不符，应为 {date}。").format(
                            date=getattr(period, field).isoformat()
                        )
                    ]
                }
            )
    return period._asdict()


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["time", "actor_name", "action", "event", "before", "after", "changed", "note"]


ORDERING_PARAM = OpenApiParameter(
    "ordering",
    str,
    description="Sort keys, comma-separated; a leading minus reverses (e.g. -updated).",
)


class PlanViewSet(ApiListMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PlanSerializer
    ordering_fields = {"updated": "updated_at", "year": "year", "title": "title"}

    def get_queryset(self):
        # Another district's plan (区县) is not found, as on the plan page.
        return self.order(access.visible_plans(self.request.user, Plan.objects.all()))

    @extend_schema(parameters=[ORDERING_PARAM, PAGE_SIZE_PARAM])
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=PlanCreateSerializer, responses={201: PlanSerializer})
    @idempotency.idempotent
    def create(self, request: Request, *args, **kwargs) -> Response:
        """An empty draft plan (office), to add tasks to or import a task book into."""
        access.require_office(request.user, "create_plan")
        data = PlanCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = Plan.objects.create(
            title=data.validated_data["title"], year=data.validated_data["year"]
        )
        return Response(PlanSerializer(plan).data, status=201)

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        responses={200: ImportResultSerializer, 201: ImportResultSerializer},
        parameters=[idempotency.PARAMETER],
    )
    @action(detail=False, methods=["post"], url_path="import")
    @idempotency.idempotent
    def import_book(self, request: Request) -> Response:
        """A task book (xlsx, csv or our json) in one go: all rows or none, as the page.

        ``dry_run`` answers what would be created and every row error, writing nothing.
        Row errors are a 400 listing them; nothing is imported then.
        """
        from duban.plans import taskbook

        access.require_office(request.user, "import_taskbook")
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        upload = v["file"]
        try:
            preview = taskbook.plan_import(
                upload,
                plan=v.get("plan"),
                year=v.get("year"),
                filename=upload.name,
                title=v.get("title") or "",
            )
        except taskbook.TaskbookError as exc:
            raise InputError(str(exc)) from exc
        result = {
            "summary": preview.summary(),
            "errors": [e.to_dict() for e in preview.errors[:200]],
            "error_count": len(preview.errors),
            "tasks": len(preview.tasks),
            "plan": preview.plan.pk if preview.plan else None,
            "committed": False,
        }
        if preview.errors:
            return Response(
                {
                    "error": {
                        "code": "invalid",
                        "message": gettext("有 %(n)s 处错误，未导入任何内容。")
                        % {"n": len(preview.errors)},
                        "rows": result["errors"],
                    }
                },
                status=400,
            )
        if v.get("dry_run"):
            return Response(result)
        try:
            plan = taskbook.commit_import(preview, actor=request.user)
        except taskbook.TaskbookError as exc:
            raise InputError(str(exc)) from exc
        result.update(plan=plan.pk, committed=True)
        return Response(result, status=201)

    @extend_schema(
        # Not "format": DRF reads that one to choose its own renderer.
        parameters=[OpenApiParameter("as", str, enum=["xlsx", "csv", "json"])],
        responses={
            (200, XLSX): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/json"): OpenApiTypes.OBJECT,
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The plan's task book, as the page exports it (with each task's clauses)."""
        from duban.plans import taskbook

        plan = self.get_object()
        access.require_office(request.user, "export_taskbook")
        fmt = request.query_params.get("as", "xlsx")
        if fmt not in ("xlsx", "csv", "json"):
            raise InputError(gettext("导出格式应为 xlsx、csv 或 json。"))
        if fmt == "xlsx":
            buf = io.BytesIO()
            taskbook.export_xlsx(plan, buf)
            body, kind = buf.getvalue(), XLSX
        elif fmt == "csv":
            text = io.StringIO()
            taskbook.export_csv(plan, text)
            body, kind = text.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
        else:
            body = json.dumps(taskbook.export_json(plan), ensure_ascii=False, indent=1).encode()
            kind = "application/json"
        response = HttpResponse(body, content_type=kind)
        name = quote(f"{plan.title}.{fmt}")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
        return response

    @extend_schema(request=None, responses=ConfirmationSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """立项并交办, as the review page: every proposal not rejected is confirmed and
        assigned to its chosen (or best suggested) lead unit; ``unassigned`` lists the tasks
        left for the office to assign by hand."""
        from duban.plans.review import confirm_plan_with_assignments

        plan = self.get_object()
        access.require_office(request.user, "confirm")
        result = confirm_plan_with_assignments(plan, actor=request.user)
        plan.refresh_from_db()
        return Response(
            {
                **PlanSerializer(plan).data,
                "assigned": [t.pk for t in result.assigned],
                "unassigned": [t.pk for t in result.unassigned],
            }
        )


class TaskFilterSerializer(serializers.Serializer):
    """The task list's filters; a bad value is a 400, never a 500 or a silent no-op."""

    plan = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    unit = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    light = serializers.ChoiceField(choices=Light.choices)
    framework = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    framework_node = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=TaskStatus.choices)
    deadline_after = serializers.DateField()
    deadline_before = serializers.DateField()
    overdue = serializers.BooleanField()


FILTERS = [
    OpenApiParameter("plan", int),
    OpenApiParameter("unit", int, description="lead or co-unit id"),
    OpenApiParameter("light", str, enum=[c.value for c in Light]),
    OpenApiParameter("framework", int, description="framework node id (its pillar or section)"),
    OpenApiParameter("framework_node", int, description="the same as framework"),
    OpenApiParameter("status", str, enum=[c.value for c in TaskStatus]),
    OpenApiParameter("deadline_after", dt.date),
    OpenApiParameter("deadline_before", dt.date),
    OpenApiParameter("overdue", bool),
    OpenApiParameter(
        "ordering",
        str,
        description="deadline, updated, light, code (a leading minus reverses; "
        "-light puts red first); comma-separated for several",
    ),
    PAGE_SIZE_PARAM,
]


class TaskViewSet(
    ApiListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = TaskSerializer
    ordering_fields = {
        "deadline": "deadline",
        "updated": "updated_at",
        "light": light_rank(),
        "code": "code",
    }
    default_ordering = ("plan_id", "sort_order", "id")

    def get_queryset(self):
        qs = access.visible_tasks(
            self.request.user,
            # Read-only rows: the JSON columns the answer does not show (the extraction, the
            # units' keywords) are left in the database, and so is the audit snapshot.
            Task.objects.select_related("assignment__lead_unit", "framework_node")
            .defer(*LIST_DEFER)
            .prefetch_related(
                Prefetch("assignment__co_units", queryset=UNIT_NAMES),
                Prefetch("milestones", queryset=MILESTONE_FIELDS),
            ),
        )
        if self.action != "list":
            return qs
        f = checked_params(TaskFilterSerializer, self.request)
        if "plan" in f:
            qs = qs.filter(plan_id=f["plan"])
        if "unit" in f:
            # A subquery, not a join: no DISTINCT, so any ordering works on PostgreSQL.
            # Two indexed subqueries instead of one OR over a LEFT JOIN, which scanned
            # every assignment of the province for each page.
            leads = Assignment.objects.filter(lead_unit_id=f["unit"]).values("task_id")
            helps = Assignment.co_units.through.objects.filter(unit_id=f["unit"]).values(
                "assignment__task_id"
            )
            qs = qs.filter(Q(pk__in=leads) | Q(pk__in=helps))
        if "light" in f:
            qs = qs.filter(light=f["light"])
        node = f.get("framework", f.get("framework_node"))
        if node is not None:
            qs = qs.filter(framework_node_id=node)
        if "status" in f:
            qs = qs.filter(status=f["status"])
        if "deadline_after" in f:
            qs = qs.filter(deadline__gte=f["deadline_after"])
        if "deadline_before" in f:
            qs = qs.filter(deadline__lte=f["deadline_before"])
        if f.get("overdue"):
            qs = qs.filter(deadline__lt=timezone.localdate()).exclude(status=TaskStatus.CLOSED)
        return self.order(qs)

    def kept_state(self) -> tuple[object, ...]:
        # Tasks show their lights, which the recompute writes past the audit log.
        return (access.audience(self.request.user), services.lights_stamp())

    def get_object(self, action_name: str = "view") -> Task:
        if self.action == "retrieve":
            # Visible is what "view" means; fetch with the list's joins, in one query.
            try:
                return self.get_queryset().get(pk=self.kwargs["pk"])
            except (Task.DoesNotExist, ValueError, TypeError) as exc:
                raise access.NotFound() from exc
        return access.get_task(self.request.user, self.kwargs["pk"], action_name)

    @extend_schema(parameters=FILTERS)
    def list(self, request: Request, *args, **kwargs) -> Response:
        return self.kept_or(request, lambda: super(TaskViewSet, self).list(request))

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return self.kept_or(request, lambda: super(TaskViewSet, self).retrieve(request, **kwargs))

    @extend_schema(request=TaskCreateSerializer, responses={201: TaskSerializer})
    @idempotency.idempotent
    def create(self, request: Request, *args, **kwargs) -> Response:
        """手工添加 a task to a draft plan (office), as the review page does."""
        from duban.plans.review import ReviewError, add_task

        data = TaskCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        plan = v["plan"]
        access.require_office(request.user, "add_task")
        _require_draft(plan)
        try:
            task = add_task(
                plan,
                actor=request.user,
                text=v["text"],
                framework_node=v.get("framework_node"),
                deadline=v.get("deadline"),
            )
        except ReviewError as exc:
            raise InputError(str(exc)) from exc
        return Response(TaskSerializer(self.get_queryset().get(pk=task.pk)).data, status=201)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        """Take a proposal out of a draft plan: it is 驳回 (rejected) and stays on record."""
        from duban.plans.review import ReviewError, reject_task

        task = access.get_task(request.user, pk, "edit")
        access.require_office(request.user, "reject_task")
        _require_draft(task.plan)
        try:
            reject_task(task, actor=request.user, note=gettext("通过接口删除"))
        except ReviewError as exc:
            raise InputError(str(exc)) from exc
        return Response(status=204)

    def _fresh(self, task: Task) -> dict:
        return TaskSerializer(self.get_queryset().get(pk=task.pk)).data

    @extend_schema(request=MergeSerializer, responses=TaskSerializer)
    @action(detail=False, methods=["post"])
    def merge(self, request: Request) -> Response:
        """合并 proposals of one draft plan: the first keeps the joined text (or ``text``),
        the others are rejected with a note, as on the review page."""
        from duban.plans.review import ReviewError, merge_tasks

        data = MergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = data.validated_data["tasks"]
        tasks = [access.get_task(request.user, pk, "edit") for pk in ids]
        for task in tasks:
            _require_draft(task.plan)
        try:
            kept = merge_tasks(tasks, actor=request.user, text=data.validated_data.get("text"))
        except ReviewError as exc:
            raise InputError(str(exc)) from exc
        return Response(self._fresh(kept))

    @extend_schema(request=SplitSerializer, responses=TaskSerializer(many=True))
    @action(detail=True, methods=["post"])
    def split(self, request: Request, pk: str | None = None) -> Response:
        """拆分 a proposal into ``parts``; each keeps the source sentence and section."""
        from duban.plans.review import ReviewError, split_task

        task = access.get_task(request.user, pk, "edit")
        _require_draft(task.plan)
        data = SplitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            parts = split_task(task, actor=request.user, parts=data.validated_data["parts"])
        except ReviewError as exc:
            raise InputError(str(exc)) from exc
        return Response([self._fresh(t) for t in parts])

    @extend_schema(request=LeadSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def lead(self, request: Request, pk: str | None = None) -> Response:
        """Choose a proposal's lead unit before 立项 (it is assigned on confirmation), which
        also teaches the lead suggestions, as on the review page."""
        from duban.plans.review import ReviewError, set_lead_from_suggestion

        task = access.get_task(request.user, pk, "edit")
        _require_draft(task.plan)
        data = LeadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            set_lead_from_suggestion(task, actor=request.user, unit=data.validated_data["unit"])
        except ReviewError as exc:
            raise InputError(str(exc)) from exc
        return Response(self._fresh(task))

    @extend_schema(request=TaskUpdateSerializer, responses=TaskSerializer, parameters=[IF_MATCH])
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Edit a task (office). The version loaded comes in ``If-Match: "3"`` or in the
        body's ``version``: a stale one changes nothing (412 for the header, 409 for the
        body, both with ``current_version``)."""
        task = self.get_object("edit")
        data = TaskUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["version"] = version_to_write(request, values.get("version"), task.version)
        services.update_task(task, actor=request.user, **values)
        return Response(TaskSerializer(task).data)

    @extend_schema(responses=AuditEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        entries = AuditEntry.for_object(task).order_by("time", "id")
        # Paginated like every list, as the schema has always promised (a long-lived task
        # gathers hundreds of entries).
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)

    @extend_schema(request=AssignSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object("assign")
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.assign_task(
            task,
            lead_unit=data.validated_data["lead_unit"],
            co_units=data.validated_data.get("co_units", []),
            actor=request.user,
        )
        # The office's choice of lead teaches the site's lead weights (see review).
        learn_from_lead(task, data.validated_data["lead_unit"])
        return Response(TaskSerializer(Task.objects.get(pk=task.pk)).data)

    @extend_schema(request=TextSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """撤销 a live task (office), ``text`` the reason: it stays on record, counts nowhere,
        and every district's copy is withdrawn (docs/cascade.md)."""
        task = self.get_object("edit")
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.cancel_task(task, actor=request.user, reason=data.validated_data["text"])
        return Response(self._fresh(task))

    @extend_schema(
        request=ReportInputSerializer,
        parameters=[idempotency.PARAMETER],
        responses={201: ReportSerializer},
    )
    @action(detail=True, methods=["post"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        """进展报送 for the caller's unit (see docs/api.md); a retry with the same
        Idempotency-Key answers as the first time and files nothing."""
        task = self.get_object("report")

        def submit() -> Response:
            data = ReportInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = dict(data.validated_data)
            period = _owed_period(task, v)
            report = supervision.submit_report(
                task,
                actor=request.user,
                expected_version=v.pop("version", None),
                files=request.FILES.getlist("files"),
                **period,
                **v,
            )
            return Response(ReportSerializer(report).data, status=201)

        # A clerk on a bad line may send the same report twice: the key makes it once.
        return idempotency.once(request, submit)

    @extend_schema(
        request=CommentSerializer,
        responses={201: CommentCreatedSerializer},
        parameters=[idempotency.PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotency.idempotent
    def comment(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object("comment")
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        praise = data.validated_data["praise"]
        c = supervision.add_comment(
            task, actor=request.user, text=data.validated_data["text"], praise=praise
        )
        return Response({"id": c.pk, "text": c.text, "praise": c.praise}, status=201)

    @extend_schema(
        request=TextSerializer,
        responses={201: StatusCreatedSerializer},
        parameters=[idempotency.PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotency.idempotent
    def closure(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object("request_closure")
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        closure = supervision.request_closure(
            task,
            actor=request.user,
            note=data.validated_data["text"],
            files=request.FILES.getlist("files"),
        )
        return Response({"id": closure.pk, "status": closure.status}, status=201)

    @extend_schema(
        request=TextSerializer,
        responses={201: StatusCreatedSerializer},
        parameters=[idempotency.PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotency.idempotent
    def coordination(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object("request_coordination")
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        notice = supervision.request_coordination(
            task, actor=request.user, text=data.validated_data["text"]
        )
        return Response({"id": notice.pk, "status": notice.status}, status=201)
