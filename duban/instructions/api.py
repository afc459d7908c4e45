"""领导批示 over the API: the same rules and services as the pages.

``/api/instructions/``: list (filters ``leader``, ``unit``, ``status``, ``overdue``, ``due``),
detail, create (office, ``Idempotency-Key``), ``PATCH`` (office, ``If-Match``), the units'
replies (``replies/``), accepting a reply, turning into or attaching to a task (``task/``),
the handwriting's region on a page of the scan (``region/``), 报结 (``close/``), the 报结 document (``report/``, Word) and the counts (``stats/``).
Units see only the instructions they lead or co-handle; another's is a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from duban.core import idempotency
from duban.core.errors import InputError, NotFound
from duban.core.listing import (
    IF_MATCH,
    MAX_ID,
    PAGE_SIZE_PARAM,
    ApiListMixin,
    checked_params,
    object_id,
    version_to_write,
)
from duban.documents.api import JobSerializer
from duban.extract.errors import ExtractError
from duban.extract.ocr import OCR_MAX_PAGES
from duban.instructions import access, jobs, report, services
from duban.instructions.choices import InstructionStatus
from duban.instructions.models import Instruction, InstructionPage, InstructionReply
from duban.org.models import Unit
from duban.plans import access as plans_access
from duban.plans.models import FrameworkNode, Plan, Task


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


class ReplySerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    has_attachment = serializers.SerializerMethodField()

    class Meta:
        model = InstructionReply
        fields = [
            "id", "unit", "unit_name", "text", "replied_on", "status", "accepted_at",
            "attachment_name", "has_attachment", "version",
        ]  # fmt: skip
        read_only_fields = fields

    def get_has_attachment(self, reply: InstructionReply) -> bool:
        return bool(reply.attachment)


class PageSerializer(serializers.ModelSerializer):
    class Meta:
        model = InstructionPage
        fields = ["number", "width", "height", "region"]
        read_only_fields = fields


class InstructionSerializer(serializers.ModelSerializer):
    lead_unit_name = serializers.CharField(source="lead_unit.name", read_only=True)
    co_units = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    closed_on_time = serializers.SerializerMethodField()
    has_scan = serializers.SerializerMethodField()
    pages = PageSerializer(many=True, read_only=True)
    replies = ReplySerializer(many=True, read_only=True)

    class Meta:
        model = Instruction
        fields = [
            "id", "leader_name", "leader_title", "instructed_on", "source_title",
            "source_number", "source_text", "content", "reply_by", "lead_unit",
            "lead_unit_name", "co_units", "task", "status", "overdue", "closed_at",
            "closed_on_time", "close_note", "has_scan", "pages", "replies", "version",
        ]  # fmt: skip
        read_only_fields = fields

    def get_co_units(self, i: Instruction) -> list[int]:
        return [u.pk for u in i.co_units.all()]

    def get_overdue(self, i: Instruction) -> bool:
        return services.is_overdue(i)

    def get_closed_on_time(self, i: Instruction) -> bool:
        return services.closed_on_time(i)

    def get_has_scan(self, i: Instruction) -> bool:
        return bool(i.pages.all())


class InstructionInputSerializer(serializers.Serializer):
    leader_name = serializers.CharField(max_length=50)
    leader_title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    instructed_on = serializers.DateField()
    source_title = serializers.CharField(max_length=200)
    source_number = serializers.CharField(max_length=60, required=False, allow_blank=True)
    source_text = serializers.CharField(required=False, allow_blank=True)
    content = serializers.CharField()
    reply_by = serializers.DateField()
    lead_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    co_units = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), many=True, required=False
    )


class InstructionCreateSerializer(InstructionInputSerializer):
    scan_job = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="a finished scan/ job of the caller's: its page image is kept on the record",
    )


class RegionSerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=OCR_MAX_PAGES, default=1)
    x = serializers.FloatField(min_value=0, max_value=1, required=False)
    y = serializers.FloatField(min_value=0, max_value=1, required=False)
    w = serializers.FloatField(min_value=0.01, max_value=1, required=False)
    h = serializers.FloatField(min_value=0.01, max_value=1, required=False)
    clear = serializers.BooleanField(
        default=False, help_text="show the whole page again (no region on this page)"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [k for k in ("x", "y", "w", "h") if k in attrs]
        if not attrs["clear"] and len(given) != 4:
            raise serializers.ValidationError(_("批示区域应给出 x、y、w、h 四个数。"))
        return attrs


class ScanSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="png, jpg, tiff, bmp, webp or a scanned pdf")


class InstructionUpdateSerializer(InstructionInputSerializer):
    version = serializers.IntegerField(
        required=False, help_text="the version loaded (or send it in If-Match)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class FilterSerializer(serializers.Serializer):
    leader = serializers.CharField(max_length=50)
    unit = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=InstructionStatus.choices)
    overdue = serializers.BooleanField()
    due = serializers.ChoiceField(choices=[("week", "week")])


class ReplyInputSerializer(serializers.Serializer):
    unit = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="default: the caller's unit"
    )
    text = serializers.CharField()
    replied_on = serializers.DateField(required=False)
    attachment = serializers.FileField(required=False)


class TaskInputSerializer(serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=Plan.objects.all(), required=False)
    framework_node = serializers.PrimaryKeyRelatedField(
        queryset=FrameworkNode.objects.all(), required=False, allow_null=True
    )
    text = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    task = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="attach to this task instead"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("plan" in attrs) == ("task" in attrs):
            raise serializers.ValidationError(
                _("请给出 plan（转为新任务）或 task（关联已有任务）之一。")
            )
        node = attrs.get("framework_node")
        if node is not None and "plan" in attrs and node.plan_id != attrs["plan"].pk:
            raise serializers.ValidationError({"framework_node": [_("所选框架不属于该方案。")]})
        return attrs


class AcceptSerializer(serializers.Serializer):
    reply = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class CloseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TallySerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    total = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    closed_on_time = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    leaders = TallySerializer(many=True)
    units = TallySerializer(many=True)


FILTERS = [
    OpenApiParameter("leader", str, description="the leader's name, exactly"),
    OpenApiParameter("unit", int, description="lead or co-unit id"),
    OpenApiParameter("status", str, enum=[c.value for c in InstructionStatus]),
    OpenApiParameter("overdue", bool),
    OpenApiParameter("due", str, enum=["week"], description="open, reply-by within 7 days"),
    OpenApiParameter(
        "ordering",
        str,
        description="reply_by, instructed, updated, leader (a leading minus reverses)",
    ),
    PAGE_SIZE_PARAM,
]


def _input_error(exc: services.ValidationError) -> InputError:
    return InputError(str(exc))


class InstructionViewSet(
    ApiListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = InstructionSerializer
    ordering_fields = {
        "reply_by": "reply_by",
        "instructed": "instructed_on",
        "updated": "updated_at",
        "leader": "leader_name",
    }
    default_ordering = ("reply_by", "id")

    def get_queryset(self):
        params = {}
        if self.action == "list":
            params = checked_params(FilterSerializer, self.request)
        qs = services.filter_instructions(
            self.request.user, params, timezone.localdate()
        ).prefetch_related(
            Prefetch("co_units", queryset=Unit.objects.only("id")),
            Prefetch("replies", queryset=InstructionReply.objects.select_related("unit")),
            "pages",
        )
        return self.order(qs)

    def get_object(self) -> Instruction:
        try:
            return self.get_queryset().get(pk=object_id(self.kwargs["pk"]))
        except Instruction.DoesNotExist as exc:
            raise NotFound() from exc

    def _fresh(self, instruction: Instruction) -> dict:
        return InstructionSerializer(self.get_queryset().get(pk=instruction.pk)).data

    @extend_schema(parameters=FILTERS)
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=InstructionCreateSerializer, responses={201: InstructionSerializer})
    @idempotency.idempotent
    def create(self, request: Request, *args, **kwargs) -> Response:
        """登记 (office): typed, or with ``scan_job``, a finished ``scan/`` job of the
        caller's whose page image is kept on the record."""
        access.require_office(request.user, "register_instruction")
        data = InstructionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        pages = None
        if "scan_job" in values:
            _job, pages = jobs.recognised_scan(request.user, values.pop("scan_job"))
            if pages is None:
                raise InputError(_("没有找到该识别任务，或它尚未完成。"))
        try:
            instruction = services.register_instruction(
                actor=request.user, pages=pages or (), **values
            )
        except services.ValidationError as exc:
            raise _input_error(exc) from exc
        return Response(self._fresh(instruction), status=201)

    @extend_schema(
        request={"multipart/form-data": ScanSerializer},
        responses={202: JobSerializer},
        parameters=[idempotency.PARAMETER],
    )
    @action(detail=False, methods=["post"])
    @idempotency.idempotent
    def scan(self, request: Request) -> Response:
        """A scan or phone photo to recognise (office): checked now (a broken or hostile
        file is a 400 and nothing is kept), read by the worker; poll ``/api/jobs/{id}/``,
        whose ``result`` holds the recognised ``text`` (every page, up to the OCR's page
        limit), ``title`` and ``pages``, then create with ``scan_job``."""
        access.require_office(request.user, "register_instruction")
        try:
            body = request.data
        except exceptions.UnsupportedMediaType as exc:
            # A body sent without its multipart type is input to correct, like a missing file.
            raise InputError(_("请以 multipart/form-data 上传扫描件（字段 file）。")) from exc
        data = ScanSerializer(data=body)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > settings.DUBAN_MAX_UPLOAD_BYTES:
            raise InputError(
                _("文件过大，上限 {mb} MB。").format(
                    mb=settings.DUBAN_MAX_UPLOAD_BYTES // (1024 * 1024)
                )
            )
        content = upload.read()
        upload.seek(0)
        try:
            jobs.check_scan(content, upload.name)
        except ExtractError as exc:
            raise InputError(exc.message) from exc
        queued = jobs.enqueue_scan(upload, user_id=request.user.pk)
        return Response(JobSerializer(queued).data, status=202)

    @extend_schema(
        request=InstructionUpdateSerializer, responses=InstructionSerializer, parameters=[IF_MATCH]
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Correct an instruction (office); the version loaded in ``If-Match`` (412 when
        stale) or as ``version`` (409)."""
        instruction = self.get_object()
        access.require_office(request.user, "edit_instruction")
        data = InstructionUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["version"] = version_to_write(request, values.get("version"), instruction.version)
        try:
            services.update_instruction(instruction, actor=request.user, **values)
        except services.ValidationError as exc:
            raise _input_error(exc) from exc
        return Response(self._fresh(instruction))

    @extend_schema(
        methods=["GET"], responses=ReplySerializer(many=True), parameters=[PAGE_SIZE_PARAM]
    )
    @extend_schema(
        methods=["POST"],
        request={
            "multipart/form-data": ReplyInputSerializer,
            "application/json": ReplyInputSerializer,
        },
        responses={201: ReplySerializer},
        parameters=[idempotency.PARAMETER],
    )
    @action(detail=True, methods=["get", "post"])
    def replies(self, request: Request, pk: str | None = None) -> Response:
        """The units' 办理情况; ``POST`` files one for the caller's unit (or ``unit``)."""
        instruction = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(
                instruction.replies.select_related("unit").order_by("replied_on", "pk")
            )
            return self.get_paginated_response(ReplySerializer(page, many=True).data)

        def submit() -> Response:
            data = ReplyInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            allowed = access.reply_units(request.user, instruction)
            unit_id = v.get("unit") or (allowed[0] if allowed else None)
            if unit_id is None or unit_id not in allowed:
                if unit_id is not None and unit_id not in access.units_of(instruction):
                    raise InputError(_("该单位不是此批示的承办单位。"))
                raise plans_access.NotAllowed("reply_instruction")
            try:
                reply = services.add_reply(
                    instruction,
                    actor=request.user,
                    unit=Unit.objects.get(pk=unit_id),
                    text=v["text"],
                    replied_on=v.get("replied_on"),
                    attachment=v.get("attachment"),
                )
            except services.ValidationError as exc:
                raise _input_error(exc) from exc
            return Response(ReplySerializer(reply).data, status=201)

        return idempotency.once(request, submit)

    @extend_schema(request=AcceptSerializer, responses=ReplySerializer)
    @action(detail=True, methods=["post"], url_path="accept-reply")
    def accept_reply(self, request: Request, pk: str | None = None) -> Response:
        """采纳 a unit's reply (office): the instruction is no longer overdue."""
        instruction = self.get_object()
        data = AcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = instruction.replies.filter(pk=data.validated_data["reply"]).first()
        if reply is None:
            raise InputError(_("该批示没有这条办理情况。"))
        try:
            services.accept_reply(reply, actor=request.user)
        except services.ValidationError as exc:
            raise _input_error(exc) from exc
        return Response(ReplySerializer(reply).data)

    @extend_schema(request=TaskInputSerializer, responses=InstructionSerializer)
    @action(detail=True, methods=["post"])
    def task(self, request: Request, pk: str | None = None) -> Response:
        """转为任务 (``plan``, optional ``framework_node``, ``text``) or attach to an existing
        ``task`` (office)."""
        instruction = self.get_object()
        access.require_office(request.user, "instruction_task")
        data = TaskInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            if "task" in v:
                task = plans_access.visible_tasks(request.user, Task.objects.all()).filter(
                    pk=v["task"]
                )
                found = task.first()
                if found is None:
                    raise InputError(_("没有找到该任务。"))
                services.link_task(instruction, actor=request.user, task=found)
            else:
                services.create_task(
                    instruction,
                    actor=request.user,
                    plan=v["plan"],
                    framework_node=v.get("framework_node"),
                    text=v.get("text") or "",
                )
        except services.ValidationError as exc:
            raise _input_error(exc) from exc
        return Response(self._fresh(instruction))

    @extend_schema(request=RegionSerializer, responses=InstructionSerializer)
    @action(detail=True, methods=["post"])
    def region(self, request: Request, pk: str | None = None) -> Response:
        """Mark where the handwriting is on ``page`` of the scan (office): ``x``, ``y``,
        ``w``, ``h`` as fractions of the page image, or ``clear``."""
        instruction = self.get_object()
        access.require_office(request.user, "edit_instruction")
        data = RegionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        region = None if v["clear"] else {k: v[k] for k in ("x", "y", "w", "h")}
        try:
            services.set_region(instruction, actor=request.user, region=region, page=v["page"])
        except services.ValidationError as exc:
            raise _input_error(exc) from exc
        return Response(self._fresh(instruction))

    @extend_schema(request=CloseSerializer, responses=InstructionSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        """报结 (office): records who and when; needs at least one reply."""
        instruction = self.get_object()
        data = CloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.close_instruction(
                instruction, actor=request.user, note=data.validated_data["note"]
            )
        except services.ValidationError as exc:
            raise _input_error(exc) from exc
        return Response(self._fresh(instruction))

    @extend_schema(responses={(200, report.DOCX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The 报结 report to the leader, Word in the official layout (office)."""
        instruction = self.get_object()
        access.require_office(request.user, "instruction_report")
        response = HttpResponse(report.render_report_docx(instruction), content_type=report.DOCX)
        name = quote(report.report_filename(instruction))
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
        return response

    @extend_schema(responses=StatsSerializer)
    @action(detail=False, methods=["get"], pagination_class=None)
    def stats(self, request: Request) -> Response:
        """Counts by leader and by unit (lead or co-unit) over the visible instructions:
        total, open, overdue, closed on time."""
        found = services.tallies(request.user)
        return Response(StatsSerializer(found).data)
