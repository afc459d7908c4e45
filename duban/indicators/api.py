"""对标对表 over the API: indicators with their months, actual values, peer cities' figures.

Thin adapters over ``services``: the same visibility as tasks (a unit sees the indicators
of tasks it leads or co-handles), the lists' ordering, ``page_size`` and ETag, an
``Idempotency-Key`` on the creating POSTs and ``If-Match`` on PATCH.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from duban.core import idempotency
from duban.core.listing import (
    IF_MATCH,
    MAX_ID,
    PAGE_SIZE_PARAM,
    ApiListMixin,
    checked_params,
    light_rank,
    object_id,
    version_to_write,
)
from duban.indicators import services
from duban.indicators.choices import IndicatorKind, Qualifier
from duban.indicators.models import Indicator, IndicatorMonth, PeerValue
from duban.plans import access
from duban.plans.choices import Light
from duban.plans.models import Plan


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _number_field(**kw: Any) -> serializers.FloatField:
    return serializers.FloatField(read_only=True, **kw)


class MonthSerializer(serializers.Serializer):
    month = serializers.IntegerField()
    plan = _number_field()
    actual = _number_field(allow_null=True)
    gap_percent = _number_field(allow_null=True, help_text="behind the plan, % of the plan")
    note = serializers.CharField()


class PeerSerializer(serializers.Serializer):
    month = serializers.IntegerField()
    city = serializers.CharField()
    value = _number_field()
    source = serializers.CharField()


class IndicatorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    task = serializers.IntegerField()
    task_code = serializers.CharField()
    name = serializers.CharField()
    measure = serializers.CharField()
    kind = serializers.ChoiceField(choices=IndicatorKind.choices)
    year = serializers.IntegerField()
    target = _number_field()
    target_text = serializers.CharField()
    qualifier = serializers.ChoiceField(choices=Qualifier.choices)
    tolerance = _number_field()
    lead_unit = serializers.CharField(allow_null=True)
    framework_node = serializers.IntegerField(allow_null=True)
    gap_month = serializers.IntegerField(allow_null=True)
    gap_percent = _number_field(allow_null=True)
    rank = serializers.IntegerField(allow_null=True, help_text="our place among the peers")
    rank_of = serializers.IntegerField(allow_null=True, help_text="cities ranked, us included")
    rank_month = serializers.IntegerField(allow_null=True)
    light = serializers.ChoiceField(choices=Light.choices)
    light_reason = serializers.CharField()
    version = serializers.IntegerField()

    def to_representation(self, indicator: Indicator) -> dict[str, Any]:
        return represent(services.row_of(indicator))


class IndicatorDetailSerializer(IndicatorSerializer):
    months = MonthSerializer(many=True)
    peers = PeerSerializer(many=True)

    def to_representation(self, indicator: Indicator) -> dict[str, Any]:
        return represent(services.row_of(indicator), detail=True)


def represent(row: services.IndicatorRow, *, detail: bool = False) -> dict[str, Any]:
    i = row.indicator
    task = i.task
    a = access.assignment_of(task)
    data: dict[str, Any] = {
        "id": i.pk,
        "task": task.pk,
        "task_code": task.code,
        "name": i.name,
        "measure": i.measure,
        "kind": i.kind,
        "year": i.year,
        "target": _num(i.target),
        "target_text": i.target_text,
        "qualifier": i.qualifier,
        "tolerance": _num(i.tolerance),
        "lead_unit": str(a.lead_unit) if a else None,
        "framework_node": task.framework_node_id,
        "gap_month": i.gap_month,
        "gap_percent": _num(i.gap_percent),
        "rank": row.rank[0] if row.rank else None,
        "rank_of": row.rank[1] if row.rank else None,
        "rank_month": row.rank_month,
        "light": task.light,
        "light_reason": task.light_reason,
        "version": i.version,
    }
    if detail:
        data["months"] = [
            {
                "month": c.month,
                "plan": _num(c.plan),
                "actual": _num(c.actual),
                "gap_percent": _num(c.gap),
                "note": c.note,
            }
            for c in row.cells
        ]
        data["peers"] = [
            {"month": p.month, "city": p.city, "value": _num(p.value), "source": p.source}
            for p in row.peers
        ]
    return data


class IndicatorFilterSerializer(serializers.Serializer):
    """The list's filters; a bad value is a 400, never a 500 or a silent no-op."""

    plan = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    unit = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    framework = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    light = serializers.ChoiceField(choices=Light.choices)
    year = serializers.IntegerField(min_value=2000, max_value=2100)


FILTERS = [
    OpenApiParameter("plan", int),
    OpenApiParameter("unit", int, description="lead or co-unit id of the task"),
    OpenApiParameter("framework", int, description="the task's framework node id"),
    OpenApiParameter("light", str, enum=[c.value for c in Light], description="the task's"),
    OpenApiParameter("year", int),
    OpenApiParameter(
        "ordering",
        str,
        description="code, name, gap, light, updated (a leading minus reverses; -gap puts "
        "the furthest behind first); comma-separated for several",
    ),
    PAGE_SIZE_PARAM,
]


class ActualInputSerializer(serializers.Serializer):
    month = serializers.IntegerField(help_text="1–12, of the indicator's year")
    value = serializers.CharField(max_length=40, help_text="a number: 5.2, -2.5, 1,234")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ActualSerializer(serializers.Serializer):
    month = serializers.IntegerField()
    actual = _number_field()
    note = serializers.CharField()
    created = serializers.BooleanField()
    indicator = IndicatorSerializer()


class PeerInputSerializer(serializers.Serializer):
    month = serializers.IntegerField(help_text="1–12")
    city = serializers.CharField(max_length=50)
    value = serializers.CharField(max_length=40)
    source = serializers.CharField(max_length=300, required=False, allow_blank=True)


class PeerCreatedSerializer(PeerSerializer):
    created = serializers.BooleanField()
    indicator = IndicatorSerializer()


class IndicatorUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, help_text="the version loaded (or send it in If-Match)"
    )
    name = serializers.CharField(max_length=100, required=False)
    measure = serializers.CharField(max_length=20, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=IndicatorKind.choices, required=False)
    target = serializers.CharField(max_length=40, required=False)
    target_text = serializers.CharField(max_length=200, required=False, allow_blank=True)
    qualifier = serializers.ChoiceField(choices=Qualifier.choices, required=False)
    tolerance = serializers.CharField(max_length=10, required=False)
    plans = serializers.DictField(
        child=serializers.CharField(max_length=40, allow_blank=True, allow_null=True),
        required=False,
        help_text='monthly plans by month, {"3": "1.2"}; blank goes back to the default',
    )


class GenerateSerializer(serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(
        queryset=Plan.objects.all(), required=False, help_text="only this plan's tasks"
    )


class IndicatorViewSet(
    ApiListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = IndicatorSerializer
    ordering_fields = {
        "code": "task__code",
        "name": "name",
        "gap": "gap_percent",
        "light": light_rank("task__light"),
        "updated": "updated_at",
    }
    default_ordering = ("task__plan_id", "task__sort_order", "id")

    def get_serializer_class(self):
        return IndicatorDetailSerializer if self.action == "retrieve" else IndicatorSerializer

    def get_queryset(self):
        qs = services.with_months(services.visible_indicators(self.request.user))
        if self.action != "list":
            return qs
        f = checked_params(IndicatorFilterSerializer, self.request)
        if "plan" in f:
            qs = qs.filter(task__plan_id=f["plan"])
        if "unit" in f:
            qs = qs.filter(services.of_unit(f["unit"]))
        if "framework" in f:
            qs = qs.filter(task__framework_node_id=f["framework"])
        if "light" in f:
            qs = qs.filter(task__light=f["light"])
        if "year" in f:
            qs = qs.filter(year=f["year"])
        return self.order(qs)

    def _indicator(self) -> Indicator:
        return services.get_indicator(self.request.user, object_id(self.kwargs["pk"]))

    def _fresh(self, indicator: Indicator) -> dict[str, Any]:
        fresh = services.with_months(Indicator.objects.filter(pk=indicator.pk)).get()
        return represent(services.row_of(fresh))

    @extend_schema(parameters=FILTERS)
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        try:
            indicator = self.get_queryset().get(pk=object_id(kwargs["pk"]))
        except Indicator.DoesNotExist as exc:
            raise access.NotFound() from exc
        return Response(IndicatorDetailSerializer(indicator).data)

    @extend_schema(
        request=IndicatorUpdateSerializer,
        responses=IndicatorDetailSerializer,
        parameters=[IF_MATCH],
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Edit an indicator (office): name, measure, kind, target, qualifier, tolerance,
        monthly plans. The version loaded comes in ``If-Match`` (412 when stale) or in the
        body's ``version`` (409 when stale)."""
        indicator = self._indicator()
        access.require(request.user, "edit", indicator.task)
        data = IndicatorUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["version"] = version_to_write(request, values.get("version"), indicator.version)
        services.update_indicator(indicator, actor=request.user, **values)
        fresh = services.with_months(Indicator.objects.filter(pk=indicator.pk)).get()
        return Response(IndicatorDetailSerializer(fresh).data)

    @extend_schema(
        request=ActualInputSerializer,
        responses={201: ActualSerializer, 200: ActualSerializer},
        parameters=[idempotency.PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotency.idempotent
    def actuals(self, request: Request, pk: str | None = None) -> Response:
        """A month's actual value (the lead unit's clerk or leader, or the office): 201 for
        a new month, 200 when it replaces the month's earlier value."""
        indicator = self._indicator()
        data = ActualInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        row, created = services.enter_actual(
            indicator,
            actor=request.user,
            month=v["month"],
            value=v["value"],
            note=v.get("note", ""),
        )
        return Response(
            _actual(row, created, self._fresh(indicator)), status=201 if created else 200
        )

    @extend_schema(
        request=PeerInputSerializer,
        responses={201: PeerCreatedSerializer, 200: PeerCreatedSerializer},
        parameters=[idempotency.PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotency.idempotent
    def peers(self, request: Request, pk: str | None = None) -> Response:
        """对标: another city's published figure for a month (office only); 200 when it
        replaces that city's earlier figure for the month."""
        indicator = self._indicator()
        access.require_office(request.user, "enter_peer_value")
        data = PeerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        peer, created = services.enter_peer_value(
            indicator,
            actor=request.user,
            month=v["month"],
            city=v["city"],
            value=v["value"],
            source=v.get("source", ""),
        )
        return Response(
            _peer(peer, created, self._fresh(indicator)), status=201 if created else 200
        )

    @extend_schema(
        request=GenerateSerializer,
        responses={201: IndicatorSerializer(many=True)},
        parameters=[idempotency.PARAMETER],
    )
    # Not a page of a list: all the indicators made, in one answer.
    @action(detail=False, methods=["post"], pagination_class=None)
    @idempotency.idempotent
    def generate(self, request: Request) -> Response:
        """从任务目标生成指标 (office): one indicator for each task with a target that has
        none yet; answers those made (an empty list when there were none)."""
        access.require_office(request.user, "generate_indicators")
        data = GenerateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = services.create_indicators_from_tasks(
            actor=request.user, plan=data.validated_data.get("plan")
        )
        fresh = services.with_months(Indicator.objects.filter(pk__in=[i.pk for i in made]))
        return Response([represent(services.row_of(i)) for i in fresh], status=201)


def _actual(row: IndicatorMonth, created: bool, indicator: dict[str, Any]) -> dict[str, Any]:
    return {
        "month": row.month,
        "actual": _num(row.actual),
        "note": row.note,
        "created": created,
        "indicator": indicator,
    }


def _peer(peer: PeerValue, created: bool, indicator: dict[str, Any]) -> dict[str, Any]:
    return {
        "month": peer.month,
        "city": peer.city,
        "value": _num(peer.value),
        "source": peer.source,
        "created": created,
        "indicator": indicator,
    }
