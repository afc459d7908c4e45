"""The district cascade's two routes between instances (区县, docs/cascade.md).

``POST /api/cascade/progress/`` (the city's side) takes a district's progress on a city
task as *the district's* report: see :class:`CascadeProgressView`.

``POST /api/cascade/inbound/``: a district's instance receives the city's tasks.

No user logs in here: the city's instance signs each delivery (notify.py's scheme) with the
secret both sides share, ``DUBAN_CASCADE_SECRET``. A delivery must carry

- ``X-Duban-Timestamp``: seconds since the epoch, at most ``DUBAN_CASCADE_MAX_SKEW``
  (300) seconds from this server's clock;
- ``X-Duban-Signature``: ``sha256=`` HMAC-SHA256 of ``"<timestamp>.<body>"``;
- ``Idempotency-Key``: a repeated key gets the first answer and changes nothing.

So a captured delivery cannot be replayed later (the timestamp) nor twice within the
window (the key). Errors: 401 for a missing or wrong signature (or no secret configured),
400 for a stale timestamp, a missing key or a body that is not a ``task.cascaded`` or
``task.withdrawn`` event. ``task.withdrawn`` (the city took the task away) cancels the
received task and its sub-tasks; it answers 200, ``withdrawn`` false for a task this
instance never received.
"""

from __future__ import annotations

import hmac
import json
import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from duban.core import idempotency
from duban.core.api import error
from duban.core.errors import InputError
from duban.org.choices import Role
from duban.org.tokens import ApiTokenAuthentication
from duban.plans import access
from duban.plans.choices import TaskStatus
from duban.plans.models import Task
from duban.supervision import cascade_remote
from duban.supervision.api import ReportSerializer
from duban.supervision.models import WebhookEndpoint
from duban.supervision.notify import sign


class _RawJSON(BaseParser):
    """The body is verified as sent, byte for byte, before it is parsed."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        return stream.read()


class CascadeInboundSerializer(serializers.Serializer):
    event = serializers.CharField(help_text="task.cascaded or task.withdrawn")
    district = serializers.DictField(help_text="{id, name} in the city's instance")
    plan = serializers.DictField(
        required=False, help_text="{id, title, year} in the city's instance (task.cascaded)"
    )
    task = serializers.DictField(
        help_text="{id, code, text, kind, start_date, deadline, deadline_text, "
        "target_value, measures}"
    )
    report_to = serializers.CharField(
        required=False, help_text="the city's report route for this task (task.cascaded)"
    )
    reason = serializers.CharField(required=False, help_text="why (task.withdrawn)")


class CascadeReceivedSerializer(serializers.Serializer):
    task = serializers.IntegerField(allow_null=True)
    plan = serializers.IntegerField(allow_null=True)
    created = serializers.BooleanField()
    withdrawn = serializers.BooleanField()


HEADERS = [
    OpenApiParameter("X-Duban-Timestamp", str, OpenApiParameter.HEADER, required=True),
    OpenApiParameter("X-Duban-Signature", str, OpenApiParameter.HEADER, required=True),
    OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True),
]


class CascadeInboundView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [_RawJSON]

    @extend_schema(
        operation_id="cascade_inbound",
        request=CascadeInboundSerializer,
        parameters=HEADERS,
        responses={
            201: CascadeReceivedSerializer,
            200: CascadeReceivedSerializer,
            400: OpenApiResponse(
                description="stale timestamp, no key, not a task.cascaded or task.withdrawn"
            ),
            401: OpenApiResponse(description="missing or wrong signature"),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        secret = settings.DUBAN_CASCADE_SECRET
        if not secret:
            return error(
                "not_configured", _("本实例未设置区县对接密钥（DUBAN_CASCADE_SECRET）。"), 401
            )
        body = request.data if isinstance(request.data, bytes) else b""
        stamp = request.headers.get("X-Duban-Timestamp", "")
        given = request.headers.get("X-Duban-Signature", "")
        key = request.headers.get("Idempotency-Key", "").strip()
        if not given:
            return error("bad_signature", _("缺少签名（X-Duban-Signature）。"), 401)
        if not stamp.isdigit():
            return error("bad_timestamp", _("缺少或无效的 X-Duban-Timestamp。"), 400)
        if not hmac.compare_digest(sign(secret, stamp, body), given):
            return error("bad_signature", _("签名不正确。"), 401)
        skew = settings.DUBAN_CASCADE_MAX_SKEW
        if abs(time.time() - int(stamp)) > skew:
            return error(
                "stale_timestamp",
                _("时间戳与本机时间相差超过 {n} 秒，拒收（防重放）。").format(n=skew),
                400,
            )
        if not key or len(key) > 200:
            return error(
                "no_idempotency_key", _("缺少 Idempotency-Key（不超过 200 个字符）。"), 400
            )
        first = cascade_remote.inbound_answer(key)
        if first is not None:
            return Response(
                first.body, status=first.status, headers={"Idempotent-Replayed": "true"}
            )
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return error("invalid", _("请求体不是有效的 JSON。"), 400)
        try:
            with transaction.atomic():
                answer = cascade_remote.receive(payload)
                code = 201 if answer["created"] else 200
                cascade_remote.remember_inbound(key, code, answer)
        except InputError as exc:
            return error("invalid", str(exc), 400)
        except IntegrityError:
            first = cascade_remote.inbound_answer(key)
            if first is None:
                raise
            return Response(
                first.body, status=first.status, headers={"Idempotent-Replayed": "true"}
            )
        return Response(answer, status=status.HTTP_201_CREATED if code == 201 else 200)


# -- the city's side: a district's progress comes up ----------------------------------------


class CascadeProgressSerializer(serializers.Serializer):
    city_task = serializers.IntegerField(help_text="the task's id in the city's instance")
    percent = serializers.IntegerField(min_value=0, max_value=100)
    progress = serializers.CharField(max_length=20000)


REPORTERS = frozenset({Role.UNIT_LEADER, Role.CLERK})


class CascadeProgressView(APIView):
    """A remote district's progress on the city's task, filed as the district's report.

    Two proofs, both required: the API token (``Authorization: Token …``) must be a person
    of a district unit that has a cascade endpoint here (``WebhookEndpoint.district``),
    with a reporting role there, else 403; and the body must be signed with that
    endpoint's secret (the district's ``DUBAN_CASCADE_SECRET``) in ``X-Duban-Signature``
    over ``X-Duban-Timestamp``, else 401. The district must be the task's lead or
    co-unit (403), a task it cannot see is 404. The report's unit is the district, its
    status ``unit_approved`` (the district office accepted it at home), and it names the
    endpoint and the signature; the pages show 「金水区（远程）」. ``Idempotency-Key`` is
    required: a repeat answers as the first time.
    """

    # A server's call, never a browser's: the token alone, no session (so no CSRF to
    # check, and a logged-in page cannot be made to post here).
    authentication_classes = [ApiTokenAuthentication]
    parser_classes = [_RawJSON]

    @extend_schema(
        operation_id="cascade_progress",
        request=CascadeProgressSerializer,
        parameters=HEADERS,
        responses={
            201: ReportSerializer,
            200: ReportSerializer,
            400: OpenApiResponse(description="stale timestamp, no key, a bad body"),
            401: OpenApiResponse(description="not logged in, or a missing or wrong signature"),
            403: OpenApiResponse(description="not a district's token, or not its task"),
            404: OpenApiResponse(description="no such task for this token"),
        },
    )
    def post(self, request: Request) -> Response:
        g = access.grants(request.user)
        mine = [unit for unit, roles in g.unit_roles.items() if roles & REPORTERS]
        endpoints = list(
            WebhookEndpoint.objects.filter(is_active=True, district_id__in=mine).select_related(
                "district"
            )
        )
        if not endpoints:
            return error(
                "not_district",
                _("该令牌不属于与本市对接的区县单位，不能代区县报送进展。"),
                403,
            )
        body = request.data if isinstance(request.data, bytes) else b""
        stamp = request.headers.get("X-Duban-Timestamp", "")
        given = request.headers.get("X-Duban-Signature", "")
        if not given:
            return error("bad_signature", _("缺少签名（X-Duban-Signature）。"), 401)
        if not stamp.isdigit():
            return error("bad_timestamp", _("缺少或无效的 X-Duban-Timestamp。"), 400)
        signed = [e for e in endpoints if hmac.compare_digest(sign(e.secret, stamp, body), given)]
        if not signed:
            return error("bad_signature", _("签名不正确。"), 401)
        skew = settings.DUBAN_CASCADE_MAX_SKEW
        if abs(time.time() - int(stamp)) > skew:
            return error(
                "stale_timestamp",
                _("时间戳与本机时间相差超过 {n} 秒，拒收（防重放）。").format(n=skew),
                400,
            )
        if not request.headers.get("Idempotency-Key", "").strip():
            return error(
                "no_idempotency_key", _("缺少 Idempotency-Key（不超过 200 个字符）。"), 400
            )
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return error("invalid", _("请求体不是有效的 JSON。"), 400)
        data = CascadeProgressSerializer(data=payload if isinstance(payload, dict) else {})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        task = access.get_task(request.user, v["city_task"], "report")
        lead, co = access.task_units(task)
        endpoint = next((e for e in signed if e.district_id in {lead, *co}), None)
        if endpoint is None:
            return error(
                "not_district_task",
                _("「{unit}」不是此任务的牵头或配合单位。").format(unit=signed[0].district),
                403,
            )

        def run() -> Response:
            from duban.supervision.services import file_district_report

            with transaction.atomic():
                city_task = Task.objects.select_for_update().get(pk=task.pk)
                if city_task.status in (TaskStatus.CLOSED, TaskStatus.CANCELLED):
                    raise InputError(
                        _("任务{status}，不再接收区县进展。").format(
                            status=city_task.get_status_display()
                        )
                    )
                report, outcome = file_district_report(
                    city_task,
                    endpoint.district,
                    percent=v["percent"],
                    progress=v["progress"],
                    actor=request.user,
                    event="report_received_remote",
                    data={
                        "district": endpoint.district_id,
                        "endpoint": endpoint.name,
                        "signature": given,
                        "timestamp": stamp,
                        "key": request.headers.get("Idempotency-Key", "").strip(),
                        "percent": v["percent"],
                    },
                    remote_source=endpoint.name[:100],
                    remote_signature=given[:80],
                )
            code = 201 if outcome == "created" else 200
            return Response(ReportSerializer(report).data, status=code)

        return idempotency.once(request, run)
