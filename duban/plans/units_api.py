"""The unit directory over the API, with the office's edits.

The read-only directory lives with the units (``duban.org.api``); creating and editing
units needs the office rule, which lives in ``plans.access``, so the writing viewset is
here, above both, and is what ``/api/units/`` serves.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from duban.core import audit, idempotency
from duban.core.errors import InputError, PreconditionFailed
from duban.core.listing import IF_MATCH, if_match_version, object_id
from duban.org.api import UnitSerializer, UnitViewSet
from duban.org.models import Unit
from duban.plans import access


class UnitWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["name", "short_name", "kind", "parent", "code", "sort_order", "is_active"]

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError(_("单位全称不能为空。"))
        return value


class UnitAdminViewSet(UnitViewSet):
    """Everyone logged in reads the directory; the office adds and edits units."""

    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_object(self) -> Unit:
        found = Unit.objects.filter(pk=object_id(self.kwargs.get("pk"))).first()
        if found is None:
            raise access.NotFound()
        return found

    @extend_schema(request=UnitWriteSerializer, responses={201: UnitSerializer})
    @idempotency.idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        access.require_office(request.user, "units")
        data = UnitWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with audit.acting_as(request.user):
            unit = data.save()
        return Response(UnitSerializer(unit).data, status=201)

    @extend_schema(request=UnitWriteSerializer, responses=UnitSerializer, parameters=[IF_MATCH])
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Edit a unit (office); ``If-Match: "<version>"`` guards against a stale edit."""
        access.require_office(request.user, "units")
        unit = self.get_object()
        expected = if_match_version(request)
        if expected is not None and expected != unit.version:
            raise PreconditionFailed(unit.version)
        data = UnitWriteSerializer(unit, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if data.validated_data.get("parent") == unit:
            raise InputError(_("单位不能是自己的上级单位。"))
        with audit.acting_as(request.user):
            unit = data.save()
        return Response(UnitSerializer(unit).data)
