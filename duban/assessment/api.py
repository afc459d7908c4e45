"""考核 over the API: every unit's score and rank for a period under the saved scheme, with
the breakdown that explains each point, as the office's page shows it; the published
results (``/api/assessments/releases/``) and the units' objections
(``/api/assessments/objections/``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from duban.assessment import services
from duban.assessment.forms import PeriodForm
from duban.assessment.models import (
    AssessmentRelease,
    AssessmentResult,
    AssessmentScheme,
    Objection,
)
from duban.core import idempotency
from duban.core.errors import InputError, NotAllowed, NotFound
from duban.core.listing import PAGE_SIZE_PARAM, ApiListMixin, object_id
from duban.plans import access


class LineSerializer(serializers.Serializer):
    rule = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    each = serializers.DecimalField(max_digits=8, decimal_places=2)
    points = serializers.DecimalField(max_digits=10, decimal_places=2)
    items = serializers.ListField(child=serializers.CharField())


class ScoreSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk")
    unit_name = serializers.CharField(source="unit.name")
    rank = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    lines = LineSerializer(many=True)


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        default = PeriodForm.default()
        attrs.setdefault("start", default["start"])
        attrs.setdefault("end", default["end"])
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("考核期结束日期不能早于开始日期。")]})
        return attrs


class AssessmentViewSet(viewsets.GenericViewSet):
    """The ranking (office only, like the page); not paginated: one row per unit."""

    serializer_class = ScoreSerializer
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="YYYY-MM-DD (default: last month)"),
            OpenApiParameter("end", str, description="YYYY-MM-DD"),
        ],
        responses=ScoreSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        access.require_office(request.user, "assessment")
        period = PeriodSerializer(data=request.query_params)
        if not period.is_valid():
            raise serializers.ValidationError(period.errors)
        v = period.validated_data
        try:
            scores = services.score_units(
                AssessmentScheme.current(), start=v["start"], end=v["end"]
            )
        except services.ValidationError as exc:
            raise InputError(str(exc)) from exc
        return Response(ScoreSerializer(scores, many=True).data)


# --- published results and objections --------------------------------------------------


class ReleaseLineSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name")

    class Meta:
        model = AssessmentResult
        fields = ["unit", "unit_name", "rank", "computed", "adjustment", "total", "lines"]


class ReleaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssessmentRelease
        fields = [
            "id",
            "title",
            "period_start",
            "period_end",
            "published_at",
            "objections_until",
            "scheme",
            "version",
        ]


class ReleaseDetailSerializer(ReleaseSerializer):
    results = ReleaseLineSerializer(many=True, read_only=True)

    class Meta(ReleaseSerializer.Meta):
        fields = [*ReleaseSerializer.Meta.fields, "results"]


class PublishSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    objections_until = serializers.DateField(required=False, allow_null=True)


class ObjectionInputSerializer(serializers.Serializer):
    unit = serializers.IntegerField(help_text="The objecting unit: one of the caller's own.")
    reason = serializers.CharField(max_length=services.REASON_MAX_LENGTH)


class ObjectionSerializer(serializers.ModelSerializer):
    release = serializers.IntegerField(source="result.release_id")
    unit = serializers.IntegerField(source="result.unit_id")

    class Meta:
        model = Objection
        fields = [
            "id",
            "release",
            "unit",
            "reason",
            "status",
            "filed_by",
            "created_at",
            "decided_by",
            "decided_at",
            "decision",
            "points",
            "version",
        ]


class DecisionSerializer(serializers.Serializer):
    uphold = serializers.BooleanField()
    points = serializers.DecimalField(max_digits=4, decimal_places=1, required=False)
    decision = serializers.CharField(max_length=services.REASON_MAX_LENGTH)


def _readers(user: Any) -> None:
    if not access.sees_published_results(user):
        raise NotAllowed()


class AssessmentReleaseViewSet(
    ApiListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Published 考核 results: announced to every unit, so anyone with a role reads them."""

    serializer_class = ReleaseSerializer
    ordering_fields = {"period_end": "period_end", "published": "published_at"}
    default_ordering = ("-period_end", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AssessmentRelease.objects.none()
        _readers(self.request.user)
        return self.order(AssessmentRelease.objects.all())

    def get_serializer_class(self):
        return ReleaseDetailSerializer if self.action == "retrieve" else ReleaseSerializer

    def get_object(self) -> AssessmentRelease:
        qs = self.get_queryset().prefetch_related("results__unit")
        found = qs.filter(pk=object_id(self.kwargs.get("pk"))).first()
        if found is None:
            raise NotFound()
        return found

    @extend_schema(parameters=[PAGE_SIZE_PARAM])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=PublishSerializer,
        responses={201: ReleaseDetailSerializer},
        parameters=[idempotency.PARAMETER],
    )
    @idempotency.idempotent
    def create(self, request: Request) -> Response:
        """Publish a period's result (office only): the ranking is frozen from now on."""
        access.require_office(request.user, "assessment")
        data = PublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            release = services.publish_release(
                start=v["start"],
                end=v["end"],
                actor=request.user,
                title=v.get("title", ""),
                objections_until=v.get("objections_until"),
            )
        except services.ValidationError as exc:
            raise InputError(str(exc)) from exc
        return Response(ReleaseDetailSerializer(release).data, status=201)

    @extend_schema(
        request=ObjectionInputSerializer,
        responses={201: ObjectionSerializer},
        parameters=[idempotency.PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotency.idempotent
    def objections(self, request: Request, pk: str | None = None) -> Response:
        """A unit objects to its line (its leader or clerk, before the deadline)."""
        release = self.get_object()
        data = ObjectionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = release.results.filter(unit_id=data.validated_data["unit"]).first()
        if result is None or not access.speaks_for_unit(request.user, result.unit_id):
            raise NotAllowed()
        try:
            objection = services.file_objection(
                result, actor=request.user, reason=data.validated_data["reason"]
            )
        except services.ValidationError as exc:
            raise InputError(str(exc)) from exc
        return Response(ObjectionSerializer(objection).data, status=201)


class ObjectionViewSet(
    ApiListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Objections: the office sees all and decides; a unit sees its own."""

    serializer_class = ObjectionSerializer
    ordering_fields = {"created": "created_at", "status": "status"}
    default_ordering = ("-created_at", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Objection.objects.none()
        user = self.request.user
        _readers(user)
        qs = Objection.objects.select_related("result")
        if not access.is_office(user):
            qs = qs.filter(result__unit_id__in=access.grants(user).unit_ids)
        return self.order(qs)

    def get_object(self) -> Objection:
        found = self.get_queryset().filter(pk=object_id(self.kwargs.get("pk"))).first()
        if found is None:
            raise NotFound()
        return found

    @extend_schema(parameters=[PAGE_SIZE_PARAM])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=DecisionSerializer, responses=ObjectionSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        """The office upholds (with the points to add or take) or rejects an objection."""
        access.require_office(request.user, "assessment")
        objection = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            objection = services.decide_objection(
                objection,
                actor=request.user,
                uphold=v["uphold"],
                points=v.get("points"),
                decision=v["decision"],
            )
        except services.ValidationError as exc:
            raise InputError(str(exc)) from exc
        return Response(ObjectionSerializer(objection).data)
