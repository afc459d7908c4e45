"""考核 over the API: every unit's score and rank for a period under the saved scheme, with
the breakdown that explains each point, as the office's page shows it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from duban.assessment import services
from duban.assessment.forms import PeriodForm
from duban.assessment.models import AssessmentScheme
from duban.core.errors import InputError
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
