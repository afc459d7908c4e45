"""The audit log over the API (read only): what changed, who changed it, when.

The office reads it, as on the pages; nobody else, since it holds every unit's edits and
every log-in. Rows are append-only (core.models.AuditEntry), so there is nothing to write.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from duban.core.listing import MAX_ID, PAGE_SIZE_PARAM, ApiListMixin, checked_params
from duban.core.models import AuditEntry
from duban.plans import access


class AuditRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "time",
            "actor",
            "actor_name",
            "object_type",
            "object_id",
            "object_repr",
            "action",
            "event",
            "changed",
            "before",
            "after",
            "note",
            "request_id",
        ]


class AuditFilterSerializer(serializers.Serializer):
    object_type = serializers.CharField(max_length=100)
    object_id = serializers.CharField(max_length=64)
    actor = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    action = serializers.ChoiceField(choices=[a for a, _label in AuditEntry.ACTIONS])
    event = serializers.CharField(max_length=64)
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()


FILTERS = [
    OpenApiParameter("object_type", str, description="e.g. plans.task, supervision.progressreport"),
    OpenApiParameter("object_id", str),
    OpenApiParameter("actor", int, description="the user's id"),
    OpenApiParameter("action", str, enum=[a for a, _label in AuditEntry.ACTIONS]),
    OpenApiParameter("event", str, description="a business event, e.g. login_failed"),
    OpenApiParameter("since", str, description="ISO 8601 time, inclusive"),
    OpenApiParameter("until", str, description="ISO 8601 time, exclusive"),
    OpenApiParameter("ordering", str, description="time (a leading minus reverses; default -time)"),
    PAGE_SIZE_PARAM,
]


class AuditViewSet(
    ApiListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = AuditRowSerializer
    ordering_fields = {"time": "time"}
    default_ordering = ("-time", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, no request
            return AuditEntry.objects.none()
        access.require_office(self.request.user, "read_audit")
        qs = AuditEntry.objects.all()
        if self.action != "list":
            return qs
        f = checked_params(AuditFilterSerializer, self.request)
        for name in ("object_type", "object_id", "action", "event"):
            if name in f:
                qs = qs.filter(**{name: f[name]})
        if "actor" in f:
            qs = qs.filter(actor_id=f["actor"])
        if "since" in f:
            qs = qs.filter(time__gte=f["since"])
        if "until" in f:
            qs = qs.filter(time__lt=f["until"])
        return self.order(qs)

    @extend_schema(parameters=FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)
