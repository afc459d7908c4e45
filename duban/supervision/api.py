"""REST endpoints for reports, notices and closure requests."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from duban.core import params
from duban.core.api import TextSerializer
from duban.plans import access
from duban.supervision import services
from duban.supervision.choices import ReportStatus
from duban.supervision.models import ClosureRequest, Notice, ProgressReport


class ReportSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.__str__", read_only=True)

    class Meta:
        model = ProgressReport
        fields = [
            "id", "task", "unit", "unit_name", "period_start", "period_end", "due_date",
            "status", "percent", "progress", "problems", "next_steps", "coordination_request",
            "submitted_at", "is_late", "return_reason", "version",
        ]  # fmt: skip
        read_only_fields = fields


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = [
            "id", "task", "unit", "level", "number", "reason", "reply_deadline", "reply",
            "replied_at", "status", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class IssueNoticeSerializer(serializers.Serializer):
    task = serializers.IntegerField()
    level = serializers.ChoiceField(choices=["reminder", "chase", "supervise", "criticism"])
    reason = serializers.CharField()


class ReviewSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")
    verification_note = serializers.CharField(required=False, allow_blank=True, default="")


def _visible(user, qs, field: str = "task"):
    """Rows whose task the user may see, without one query per row."""
    tasks = access.visible_tasks(user).values("pk")
    return qs.filter(**{f"{field}__in": tasks})


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReportSerializer

    def get_queryset(self):
        qs = ProgressReport.objects.select_related("unit").order_by("-period_end", "id")
        # The page's rule: reports on visible tasks, and no other unit's draft.
        qs = access.visible_reports(self.request.user, qs)
        p = self.request.query_params
        if (task := params.get_id(p, "task")) is not None:
            qs = qs.filter(task_id=task)
        if status := params.get_choice(p, "status", ReportStatus.values):
            qs = qs.filter(status=status)
        return qs

    @extend_schema(request=None, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        services.approve_report(report, actor=request.user)
        return Response(ReportSerializer(report).data)

    @extend_schema(request=ReviewSerializer, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.review_report(report, actor=request.user, **data.validated_data)
        return Response(ReportSerializer(report).data)


class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NoticeSerializer

    def get_queryset(self):
        qs = _visible(self.request.user, Notice.objects.order_by("-created_at", "-id"))
        g = access.grants(self.request.user)
        if not g.global_roles:
            qs = qs.filter(unit_id__in=g.unit_ids)
        return qs

    @extend_schema(request=IssueNoticeSerializer, responses=NoticeSerializer)
    def create(self, request: Request) -> Response:
        data = IssueNoticeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        task = access.get_task(request.user, v["task"], "issue_notice")
        notice, created = services.issue_notice(
            task, level=v["level"], reason=v["reason"], actor=request.user
        )
        return Response(NoticeSerializer(notice).data, status=201 if created else 200)

    @extend_schema(request=TextSerializer, responses=NoticeSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str | None = None) -> Response:
        notice = self.get_object()
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reply_notice(notice, actor=request.user, reply=data.validated_data["text"])
        return Response(NoticeSerializer(notice).data)

    @extend_schema(request=TextSerializer, responses=NoticeSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        notice = self.get_object()
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.decide_coordination(
            notice, actor=request.user, decision=data.validated_data["text"]
        )
        return Response(NoticeSerializer(notice).data)


class ClosureSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClosureRequest
        fields = [
            "id", "task", "unit", "status", "note", "decision_note", "verification_note",
            "decided_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class ClosureViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ClosureSerializer

    def get_queryset(self):
        return _visible(self.request.user, ClosureRequest.objects.order_by("-created_at", "-id"))

    @extend_schema(request=DecisionSerializer, responses=ClosureSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        closure = self.get_queryset().filter(Q(pk=pk)).first()
        if closure is None:
            raise access.NotFound()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.decide_closure(closure, actor=request.user, **data.validated_data)
        return Response(ClosureSerializer(closure).data)
