"""REST endpoint for the unit directory (read-only for everyone logged in)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from duban.core.listing import PAGE_SIZE_PARAM, ApiListMixin
from duban.org.models import Unit


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "short_name", "kind", "parent", "is_active", "version"]


class UnitViewSet(ApiListMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = UnitSerializer
    ordering_fields = {"name": "name", "updated": "updated_at"}
    default_ordering = ("sort_order", "id")

    def get_queryset(self):
        return self.order(Unit.objects.filter(is_active=True))

    @extend_schema(
        parameters=[
            OpenApiParameter("ordering", str, description="name, updated (minus reverses)"),
            PAGE_SIZE_PARAM,
        ]
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)
