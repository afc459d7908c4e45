"""REST endpoints for reports, notices and closure requests."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from duban.core import audit, idempotency
from duban.core.api import TextSerializer
from duban.core.errors import PreconditionFailed
from duban.core.listing import (
    IF_MATCH,
    MAX_ID,
    PAGE_SIZE_PARAM,
    ApiListMixin,
    checked_params,
    if_match_version,
    light_rank,
    object_id,
)
from duban.plans import access
from duban.plans.choices import Light
from duban.supervision import access as report_access
from duban.supervision import services
from duban.supervision.choices import NoticeLevel, NoticeStatus, ReportStatus
from duban.supervision.models import ClosureRequest, Notice, ProgressReport, WebhookEndpoint


class ReportSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.__str__", read_only=True)

    class Meta:
        model = ProgressReport
        fields = [
            "id", "task", "unit", "unit_name", "period_start", "period_end", "due_date",
            "status", "percent", "progress", "problems", "next_steps", "coordination_request",
            "submitted_at", "is_late", "return_reason", "version", "remote_source",
        ]  # fmt: skip
        read_only_fields = fields


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = [
            "id", "task", "instruction", "unit", "level", "number", "reason",
            "reply_deadline", "reply", "replied_at", "status", "created_at",
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


class ReportFilterSerializer(serializers.Serializer):
    task = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    unit = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=ReportStatus.choices)
    light = serializers.ChoiceField(choices=Light.choices)


class NoticeFilterSerializer(serializers.Serializer):
    task = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    unit = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=NoticeStatus.choices)
    level = serializers.ChoiceField(choices=NoticeLevel.choices)
    light = serializers.ChoiceField(choices=Light.choices)


def _list_params(filters: type[serializers.Serializer], keys: str) -> list[OpenApiParameter]:
    params = [
        OpenApiParameter(name, str if name in ("status", "level", "light") else int)
        for name in filters().fields
    ]
    ordering = OpenApiParameter(
        "ordering", str, description=f"{keys} (a leading minus reverses); comma-separated"
    )
    return [*params, ordering, PAGE_SIZE_PARAM]


#: Sort keys of lists whose rows belong to a task: the task's light and code, and dates.
TASK_ROW_ORDERING = {"light": light_rank("task__light"), "code": "task__code"}


class ReportViewSet(
    ApiListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ReportSerializer
    ordering_fields = {
        "deadline": "due_date",
        "updated": "updated_at",
        "period": "period_end",
        **TASK_ROW_ORDERING,
    }
    default_ordering = ("-period_end", "id")

    def get_queryset(self):
        qs = ProgressReport.objects.select_related("unit")
        # The page's rule (supervision/access.py): reports on visible tasks, no other
        # unit's draft.
        qs = report_access.visible_reports(self.request.user, qs)
        if self.action != "list":
            return qs
        f = checked_params(ReportFilterSerializer, self.request)
        if "task" in f:
            qs = qs.filter(task_id=f["task"])
        if "unit" in f:
            qs = qs.filter(unit_id=f["unit"])
        if "status" in f:
            qs = qs.filter(status=f["status"])
        if "light" in f:
            qs = qs.filter(task__light=f["light"])
        return self.order(qs)

    @extend_schema(
        parameters=_list_params(ReportFilterSerializer, "deadline, updated, period, light, code")
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

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


class NoticeViewSet(
    ApiListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = NoticeSerializer
    ordering_fields = {
        "deadline": "reply_deadline",
        "updated": "updated_at",
        "created": "created_at",
        **TASK_ROW_ORDERING,
    }
    default_ordering = ("-created_at", "-id")

    def get_queryset(self):
        user = self.request.user
        g = access.grants(user)
        # About a visible task, or about a leader's instruction with no task (``task`` is
        # null, ``instruction`` set): those the readers of everything see, and a unit the
        # ones addressed to it, as with the instructions themselves.
        about_instruction = Q(task__isnull=True)
        if not access.reads_everything(user):
            about_instruction &= Q(unit_id__in=g.unit_ids)
        qs = Notice.objects.filter(
            Q(task__in=access.visible_tasks(user).values("pk")) | about_instruction
        )
        if not g.global_roles:
            qs = qs.filter(unit_id__in=g.unit_ids)
        if self.action != "list":
            return qs
        f = checked_params(NoticeFilterSerializer, self.request)
        for name, lookup in [
            ("task", "task_id"),
            ("unit", "unit_id"),
            ("status", "status"),
            ("level", "level"),
            ("light", "task__light"),
        ]:
            if name in f:
                qs = qs.filter(**{lookup: f[name]})
        return self.order(qs)

    @extend_schema(
        parameters=_list_params(NoticeFilterSerializer, "deadline, updated, created, light, code")
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=IssueNoticeSerializer, responses=NoticeSerializer)
    @idempotency.idempotent
    def create(self, request: Request) -> Response:
        data = IssueNoticeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        task = access.get_task(request.user, v["task"], "issue_notice")
        notice, created = services.issue_notice(
            task, level=v["level"], reason=v["reason"], actor=request.user
        )
        return Response(NoticeSerializer(notice).data, status=201 if created else 200)

    @extend_schema(
        request=TextSerializer, responses=NoticeSerializer, parameters=[idempotency.PARAMETER]
    )
    @action(detail=True, methods=["post"])
    @idempotency.idempotent
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


class ClosureFilterSerializer(serializers.Serializer):
    task = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=ClosureRequest.Status.choices)
    light = serializers.ChoiceField(choices=Light.choices)


class ClosureViewSet(ApiListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ClosureSerializer
    ordering_fields = {
        "deadline": "task__deadline",
        "updated": "updated_at",
        "created": "created_at",
        **TASK_ROW_ORDERING,
    }
    default_ordering = ("-created_at", "-id")

    def get_queryset(self):
        qs = _visible(self.request.user, ClosureRequest.objects.all())
        if self.action != "list":
            return qs
        f = checked_params(ClosureFilterSerializer, self.request)
        for name, lookup in [("task", "task_id"), ("status", "status"), ("light", "task__light")]:
            if name in f:
                qs = qs.filter(**{lookup: f[name]})
        return self.order(qs)

    @extend_schema(
        parameters=_list_params(ClosureFilterSerializer, "deadline, updated, created, light, code")
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=DecisionSerializer, responses=ClosureSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        closure = self.get_queryset().filter(Q(pk=object_id(pk))).first()
        if closure is None:
            raise access.NotFound()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.decide_closure(closure, actor=request.user, **data.validated_data)
        return Response(ClosureSerializer(closure).data)


class WebhookSerializer(serializers.ModelSerializer):
    """An outgoing webhook; the signing secret can be set but is never shown again."""

    secret = serializers.CharField(
        max_length=200, required=False, allow_blank=True, write_only=True
    )
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "name",
            "kind",
            "url",
            "secret",
            "has_secret",
            "units",
            "district",
            "is_active",
            "version",
        ]
        read_only_fields = ["version"]
        extra_kwargs = {"units": {"required": False}, "district": {"required": False}}

    def validate(self, attrs: dict) -> dict:
        """A district's own instance (区县) takes generic, signed JSON only."""
        district = attrs.get("district", getattr(self.instance, "district", None))
        if district is not None:
            kind = attrs.get("kind", getattr(self.instance, "kind", None))
            secret = attrs.get("secret", getattr(self.instance, "secret", ""))
            if district.kind != "district":
                raise serializers.ValidationError({"district": gettext("所选单位不是区县。")})
            if kind != WebhookEndpoint.Kind.GENERIC or not secret:
                raise serializers.ValidationError(
                    {"district": gettext("区县对接须使用通用 JSON 类型并设置签名密钥。")}
                )
        return attrs

    def get_has_secret(self, obj: WebhookEndpoint) -> bool:
        return bool(obj.secret)

    def validate_url(self, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError(gettext("推送地址必须以 http:// 或 https:// 开头。"))
        return value


class WebhookViewSet(ApiListMixin, viewsets.ModelViewSet):
    """Webhook subscriptions (企业微信, 钉钉 or any JSON receiver): the office manages them,
    as in the admin; every save is audited (the secret is left out of the audit rows)."""

    serializer_class = WebhookSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    ordering_fields = {"name": "name", "updated": "updated_at"}

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        access.require_office(request.user, "webhooks")  # before any body is read

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return self.order(WebhookEndpoint.objects.prefetch_related("units"))

    def get_object(self) -> WebhookEndpoint:
        found = self.get_queryset().filter(pk=object_id(self.kwargs.get("pk"))).first()
        if found is None:
            raise access.NotFound()
        return found

    def perform_create(self, serializer: WebhookSerializer) -> None:
        with audit.acting_as(self.request.user):
            serializer.save()

    def perform_update(self, serializer: WebhookSerializer) -> None:
        with audit.acting_as(self.request.user):
            serializer.save()

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        with audit.acting_as(self.request.user):
            instance.delete()

    @idempotency.idempotent
    def create(self, request: Request, *args, **kwargs) -> Response:
        return super().create(request, *args, **kwargs)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        """Edit a subscription; ``If-Match: "<version>"`` guards against a stale edit."""
        expected = if_match_version(request)
        if expected is not None:
            current = self.get_object().version
            if expected != current:
                raise PreconditionFailed(current)
        return super().partial_update(request, *args, **kwargs)
