"""REST endpoints for bulletins (通报): list, generate, publish and download, with the rules
of the bulletin page.

Who may read: the office (drafts too), leaders and viewers (what is published). Who may
generate and publish: the office, as the services check. A clerk is refused outright
(403): bulletins rank every unit, and the page shows them only to these roles.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from duban.bulletins import services
from duban.bulletins.models import Bulletin
from duban.core import downloads, idempotency
from duban.core.errors import InputError, NotAllowed, NotFound
from duban.core.listing import PAGE_SIZE_PARAM, ApiListMixin, object_id
from duban.plans import access
from duban.plans.models import Plan

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class BulletinSerializer(serializers.ModelSerializer):
    units_ranked = serializers.SerializerMethodField()

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "plan",
            "title",
            "number",
            "period_start",
            "period_end",
            "status",
            "published_at",
            "units_ranked",
            "version",
        ]

    def get_units_ranked(self, obj: Bulletin) -> int:
        return len((obj.content or {}).get("ranking", []))


class GenerateSerializer(serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=Plan.objects.all())
    period_start = serializers.DateField()
    period_end = serializers.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["period_end"] < attrs["period_start"]:
            raise serializers.ValidationError(
                {"period_end": [_("统计周期的结束日期早于开始日期。")]}
            )
        return attrs


class BulletinViewSet(
    ApiListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = BulletinSerializer
    ordering_fields = {"period_end": "period_end", "updated": "updated_at"}
    default_ordering = ("-period_end", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, no request
            return Bulletin.objects.none()
        user = self.request.user
        if not access.reads_everything(user):
            raise NotAllowed()
        qs = Bulletin.objects.all()
        if not access.is_office(user):
            qs = qs.filter(status=Bulletin.Status.PUBLISHED)
        return self.order(qs)

    def get_object(self) -> Bulletin:
        found = self.get_queryset().filter(pk=object_id(self.kwargs.get("pk"))).first()
        if found is None:
            raise NotFound()
        return found

    @extend_schema(parameters=[PAGE_SIZE_PARAM])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=GenerateSerializer, responses={201: BulletinSerializer})
    @idempotency.idempotent
    def create(self, request: Request) -> Response:
        """Generate (or refresh) the draft bulletin of a plan and period, with its files."""
        data = GenerateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            bulletin = services.generate_bulletin(
                v["plan"], v["period_start"], v["period_end"], actor=request.user
            )
        except services.BulletinError as exc:
            raise InputError(str(exc)) from exc
        return Response(BulletinSerializer(bulletin).data, status=201)

    @extend_schema(request=None, responses=BulletinSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        """Give the draft its number and issue it (印发); it can no longer be regenerated."""
        bulletin = self.get_object()
        try:
            bulletin = services.publish_bulletin(bulletin, actor=request.user)
        except services.BulletinError as exc:
            raise InputError(str(exc)) from exc
        return Response(BulletinSerializer(bulletin).data)

    def _file(self, fmt: str) -> FileResponse:
        bulletin = self.get_object()
        field = bulletin.docx if fmt == "docx" else bulletin.pdf
        if not field.name:
            raise NotFound()
        return downloads.attachment(field.open("rb"), f"{bulletin.title}.{fmt}")

    @extend_schema(responses={(200, DOCX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def docx(self, request: Request, pk: str | None = None) -> FileResponse:
        return self._file("docx")

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str | None = None) -> FileResponse:
        return self._file("pdf")
