"""REST endpoints for plans and tasks: thin adapters over access rules and services."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from duban.core import params
from duban.core.api import TextSerializer
from duban.core.models import AuditEntry
from duban.org.models import Unit
from duban.plans import access, services
from duban.plans.choices import Light, TaskStatus
from duban.plans.models import Milestone, Plan, Task
from duban.plans.review import learn_from_lead
from duban.supervision import services as supervision


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["id", "title", "year", "status", "confirmed_at", "is_public", "version"]
        read_only_fields = ["status", "confirmed_at", "version"]


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "name", "due_date", "proportion", "done_at"]


class TaskSerializer(serializers.ModelSerializer):
    lead_unit = serializers.SerializerMethodField()
    co_units = serializers.SerializerMethodField()
    framework = serializers.CharField(source="framework_node.name", default=None, read_only=True)
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


class TaskUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField()
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


class PlanViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PlanSerializer
    queryset = Plan.objects.all()

    @extend_schema(request=None, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        plan = self.get_object()
        access.require_office(request.user, "confirm")
        services.confirm_plan(plan, actor=request.user)
        return Response(PlanSerializer(plan).data)


FILTERS = [
    OpenApiParameter("plan", int),
    OpenApiParameter("unit", int, description="lead or co-unit id"),
    OpenApiParameter("light", str, enum=["none", "green", "yellow", "red"]),
    OpenApiParameter("framework_node", int),
    OpenApiParameter("status", str),
    OpenApiParameter("deadline_after", dt.date),
    OpenApiParameter("deadline_before", dt.date),
    OpenApiParameter("overdue", bool),
]


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TaskSerializer

    def get_queryset(self):
        qs = access.visible_tasks(
            self.request.user,
            Task.objects.select_related("assignment__lead_unit", "framework_node")
            .prefetch_related("assignment__co_units", "milestones")
            .order_by("plan_id", "sort_order", "id"),
        )
        p = self.request.query_params
        # Strict: ``?plan=abc`` or a date like "notadate" is a 400 that names the filter.
        if (plan := params.get_id(p, "plan")) is not None:
            qs = qs.filter(plan_id=plan)
        if (unit := params.get_id(p, "unit")) is not None:
            qs = qs.filter(
                Q(assignment__lead_unit_id=unit) | Q(assignment__co_units=unit)
            ).distinct()
        if light := params.get_choice(p, "light", Light.values):
            qs = qs.filter(light=light)
        if (node := params.get_id(p, "framework_node")) is not None:
            qs = qs.filter(framework_node_id=node)
        if status := params.get_choice(p, "status", TaskStatus.values):
            qs = qs.filter(status=status)
        if after := params.get_date(p, "deadline_after"):
            qs = qs.filter(deadline__gte=after)
        if before := params.get_date(p, "deadline_before"):
            qs = qs.filter(deadline__lte=before)
        if p.get("overdue") in {"1", "true", "True"}:
            qs = qs.filter(deadline__lt=timezone.localdate()).exclude(status=TaskStatus.CLOSED)
        return qs

    def get_object(self, action_name: str = "view") -> Task:
        return access.get_task(self.request.user, self.kwargs["pk"], action_name)

    @extend_schema(parameters=FILTERS)
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=TaskUpdateSerializer, responses=TaskSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object("edit")
        data = TaskUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        services.update_task(task, actor=request.user, **values)
        return Response(TaskSerializer(task).data)

    @extend_schema(responses=AuditEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        entries = AuditEntry.for_object(task).order_by("time", "id")
        return Response(AuditEntrySerializer(entries, many=True).data)

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

    @extend_schema(request=ReportInputSerializer)
    @action(detail=True, methods=["post"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object("report")
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
        from duban.supervision.api import ReportSerializer

        return Response(ReportSerializer(report).data, status=201)

    @extend_schema(request=TextSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object("comment")
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        c = supervision.add_comment(task, actor=request.user, text=data.validated_data["text"])
        return Response({"id": c.pk, "text": c.text}, status=201)

    @extend_schema(request=TextSerializer)
    @action(detail=True, methods=["post"])
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

    @extend_schema(request=TextSerializer)
    @action(detail=True, methods=["post"])
    def coordination(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object("request_coordination")
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        notice = supervision.request_coordination(
            task, actor=request.user, text=data.validated_data["text"]
        )
        return Response({"id": notice.pk, "status": notice.status}, status=201)
