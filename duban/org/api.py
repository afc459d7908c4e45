"""REST endpoint for the unit directory (read-only for everyone logged in)."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from duban.org.models import Unit


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "short_name", "kind", "parent", "is_active"]


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = UnitSerializer
    queryset = Unit.objects.filter(is_active=True).order_by("sort_order", "id")
