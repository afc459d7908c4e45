"""REST endpoints for reports (documents): upload one, follow its reading, read what the
engine found, and correct the proposals before 立项, with the rules of the pages.

An upload is read by the worker, as on the page: ``POST /api/documents/`` answers 202 with
the job, and ``GET /api/jobs/{id}/`` says when the document and its draft plan exist. The
office does all of this; nobody else sees documents.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from duban.core import idempotency
from duban.core.errors import NotFound
from duban.core.listing import PAGE_SIZE_PARAM, ApiListMixin, object_id
from duban.core.models import Job
from duban.documents.models import Document, light
from duban.plans import access
from duban.plans.jobs import enqueue_upload
from duban.plans.models import Plan

CATALOGS = ["", "city", "province", "national", "office", "none"]


class DocumentSerializer(serializers.ModelSerializer):
    plans = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "original_name",
            "file_format",
            "encoding",
            "doc_date",
            "issuer",
            "status",
            "created_at",
            "plans",
        ]

    def get_plans(self, obj: Document) -> list[int]:
        return list(obj.plans.values_list("pk", flat=True))


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text=".txt .md .docx .doc .wps .pdf (with a text layer) .ofd .html",
    )
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="the document's date, when its text has none (for 年底前 and the like)",
    )
    catalog = serializers.ChoiceField(choices=CATALOGS, required=False, allow_blank=True)
    plan = serializers.PrimaryKeyRelatedField(
        queryset=Plan.objects.all(), required=False, help_text="read again into this plan"
    )

    def validate_file(self, value: Any) -> Any:
        if value.size is not None and value.size > settings.DUBAN_MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(
                _("文件过大，上限 {mb} MB。").format(
                    mb=settings.DUBAN_MAX_UPLOAD_BYTES // (1024 * 1024)
                )
            )
        return value


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = ["id", "name", "status", "attempts", "result", "created_at"]


class DocumentViewSet(
    ApiListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = DocumentSerializer
    ordering_fields = {"created": "created_at", "title": "title"}
    default_ordering = ("-created_at", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, no request
            return Document.objects.none()
        access.require_office(self.request.user, "documents")
        return self.order(light().prefetch_related("plans"))

    @extend_schema(parameters=[PAGE_SIZE_PARAM])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": UploadSerializer}, responses={202: JobSerializer}
    )
    @idempotency.idempotent
    def create(self, request: Request) -> Response:
        """Upload a report; the worker reads it and proposes its tasks as a draft plan."""
        access.require_office(request.user, "upload")
        data = UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = enqueue_upload(dict(data.validated_data), user_id=request.user.pk)
        return Response(JobSerializer(job).data, status=202)

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def extraction(self, request: Request, pk: str | None = None) -> Response:
        """What the engine found, as ``duban extract --format json`` gives it (without the
        text itself, which ``GET …/text/`` pages do not need)."""
        access.require_office(request.user, "documents")
        document = Document.objects.filter(pk=object_id(pk)).only("pk", "extraction").first()
        if document is None:
            raise NotFound()
        return Response(document.extraction or {})


class JobViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A background job the caller started (or any, for the office): poll it until done."""

    serializer_class = JobSerializer

    def get_queryset(self):
        return Job.objects.all()

    def get_object(self) -> Job:
        job = Job.objects.filter(pk=object_id(self.kwargs.get("pk"))).first()
        if job is None:
            raise NotFound()
        mine = (job.args or {}).get("user_id") == self.request.user.pk
        if not (mine or access.is_office(self.request.user)):
            raise NotFound()
        return job
