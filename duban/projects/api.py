"""重点项目 over the API: the ledger with filters, a project with its months, the office's
create and edit, and a month's entry; thin adapters over :mod:`duban.projects.services`.

Same rules as tasks: a unit's people see and enter only their unit's projects (another
unit's is a 404), the office sees all and alone creates and edits; creating POSTs take an
``Idempotency-Key``, PATCH takes ``If-Match``; lists have ``ordering``, ``page_size`` and an
ETag.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from duban.core import idempotency
from duban.core.errors import InputError
from duban.core.listing import (
    IF_MATCH,
    MAX_ID,
    PAGE_SIZE_PARAM,
    ApiListMixin,
    checked_params,
    object_id,
    version_to_write,
)
from duban.org.models import Unit
from duban.plans.models import Task
from duban.projects import services
from duban.projects.choices import ProjectStatus
from duban.projects.models import Project, Sector


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Any) -> str:
    return f"{value:.2f}"


class SectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sector
        fields = ["id", "name", "sort_order"]


class PhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class MonthSerializer(serializers.Serializer):
    month = serializers.IntegerField()
    completed = serializers.DecimalField(max_digits=12, decimal_places=2)
    cumulative = serializers.DecimalField(max_digits=14, decimal_places=2)
    rate = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    image_progress = serializers.CharField()
    photos = PhotoSerializer(many=True)
    version = serializers.IntegerField()


class ProjectSerializer(serializers.ModelSerializer):
    """A ledger row: the project's fields, its unit and 板块 by name, and the year's
    cumulative completed investment and completion rate (derived from the months)."""

    lead_unit_name = serializers.CharField(source="lead_unit.name", read_only=True)
    sector_name = serializers.CharField(source="sector.name", read_only=True)
    cumulative = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    rate = serializers.DecimalField(max_digits=8, decimal_places=1, read_only=True, allow_null=True)

    class Meta:
        model = Project
        fields = [
            "id", "year", "code", "name", "sector", "sector_name", "lead_unit",
            "lead_unit_name", "responsible", "location", "total_investment", "annual_plan",
            "planned_start", "planned_finish", "image_progress", "status", "task",
            "cumulative", "rate", "version",
        ]  # fmt: skip

    def to_representation(self, p: Project) -> dict[str, Any]:
        done = getattr(p, "cumulative", None)
        if done is None:
            done = sum((m.completed for m in p.months.all()), services.ZERO)
        rate = services.rate(done, p.annual_plan)
        return {
            "id": p.pk,
            "year": p.year,
            "code": p.code,
            "name": p.name,
            "sector": p.sector_id,
            "sector_name": p.sector.name,
            "lead_unit": p.lead_unit_id,
            "lead_unit_name": p.lead_unit.name,
            "responsible": p.responsible,
            "location": p.location,
            "total_investment": _money(p.total_investment),
            "annual_plan": _money(p.annual_plan),
            "planned_start": _iso(p.planned_start),
            "planned_finish": _iso(p.planned_finish),
            "image_progress": p.image_progress,
            "status": p.status,
            "task": p.task_id,
            "cumulative": _money(done),
            "rate": str(rate) if rate is not None else None,
            "version": p.version,
        }


class ProjectDetailSerializer(ProjectSerializer):
    months = MonthSerializer(many=True, read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "months"]

    def to_representation(self, p: Project) -> dict[str, Any]:
        data = super().to_representation(p)
        data["months"] = [
            {
                "month": m["month"],
                "completed": _money(m["completed"]),
                "cumulative": _money(m["cumulative"]),
                "rate": str(m["rate"]) if m["rate"] is not None else None,
                "image_progress": m["row"].image_progress,
                "photos": [
                    {
                        "id": ph.pk,
                        "name": ph.name,
                        "url": f"/projects/photos/{ph.pk}/",
                        "width": ph.width,
                        "height": ph.height,
                    }
                    for ph in m["photos"]
                ],
                "version": m["row"].version,
            }
            for m in services.series(p)
        ]
        return data


MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


class ProjectInputSerializer(serializers.Serializer):
    """A project's fields as the office sends them (all required on create)."""

    year = serializers.IntegerField(min_value=2000, max_value=2100)
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    sector = serializers.PrimaryKeyRelatedField(queryset=Sector.objects.all())
    lead_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.filter(is_active=True))
    responsible = serializers.CharField(max_length=50, required=False, allow_blank=True)
    location = serializers.CharField(max_length=100, required=False, allow_blank=True)
    total_investment = serializers.DecimalField(**MONEY)
    annual_plan = serializers.DecimalField(**MONEY)
    planned_start = serializers.DateField(required=False, allow_null=True)
    planned_finish = serializers.DateField(required=False, allow_null=True)
    image_progress = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    status = serializers.ChoiceField(choices=ProjectStatus.choices, required=False)
    task = serializers.PrimaryKeyRelatedField(
        queryset=Task.objects.all(), required=False, allow_null=True
    )


class ProjectUpdateSerializer(ProjectInputSerializer):
    version = serializers.IntegerField(
        required=False, help_text="the version loaded (or send it in If-Match)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.required = False


class MonthInputSerializer(serializers.Serializer):
    """A month's entry: JSON, or multipart with ``photos`` (JPEG or PNG files)."""

    month = serializers.IntegerField(min_value=1, max_value=12)
    completed = serializers.DecimalField(**MONEY)
    image_progress = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    photos = serializers.ListField(child=serializers.FileField(), required=False)


class LedgerImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="the customary ledger workbook (.xlsx)")
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    dry_run = serializers.BooleanField(required=False, default=False)


class LedgerImportResultSerializer(serializers.Serializer):
    summary = serializers.CharField()
    year = serializers.IntegerField()
    projects = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    months = serializers.IntegerField()
    committed = serializers.BooleanField()


class ProjectFilterSerializer(serializers.Serializer):
    """The list's filters; a bad value is a 400, never a 500 or a silent no-op."""

    year = serializers.IntegerField(min_value=2000, max_value=2100)
    unit = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    sector = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=ProjectStatus.choices)


FILTERS = [
    OpenApiParameter("year", int, description="ledger year"),
    OpenApiParameter("unit", int, description="responsible unit id"),
    OpenApiParameter("sector", int, description="板块 id"),
    OpenApiParameter("status", str, enum=[c.value for c in ProjectStatus]),
    OpenApiParameter(
        "ordering",
        str,
        description="code, name, plan, total, done, rate, unit, sector, status, updated "
        "(a leading minus reverses; -rate puts the most complete first)",
    ),
    PAGE_SIZE_PARAM,
]


def _problem(exc: Exception) -> InputError:
    return InputError(str(exc))


class ProjectViewSet(
    ApiListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ProjectSerializer
    ordering_fields = services.ORDERINGS
    default_ordering = ("year", "sort_order", "code", "id")

    def get_queryset(self):
        f = checked_params(ProjectFilterSerializer, self.request) if self.action == "list" else {}
        return self.order(services.ledger(self.request.user, **f))

    def get_serializer_class(self):
        return ProjectDetailSerializer if self.action == "retrieve" else ProjectSerializer

    def _get(self, pk: Any, action_name: str = "view") -> Project:
        return services.get_project(self.request.user, object_id(pk), action_name)

    def kept_state(self) -> tuple[Any, ...]:
        # Every figure shown comes from audited rows (projects, months, units, 板块): the
        # audit generation in the key is all the state there is beyond the viewer's grants.
        from duban.plans import access

        return (access.audience(self.request.user),)

    @extend_schema(parameters=FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.kept_or(request, lambda: super(ProjectViewSet, self).list(request))

    @extend_schema(responses=ProjectDetailSerializer)
    def retrieve(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        project = self._get(pk)
        return Response(ProjectDetailSerializer(project).data)

    @extend_schema(request=ProjectInputSerializer, responses={201: ProjectDetailSerializer})
    @idempotency.idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A new project in the year's ledger (office)."""
        from duban.plans import access

        access.require_office(request.user, "create_project")
        data = ProjectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            project = services.create_project(actor=request.user, **data.validated_data)
        except services.ValidationError as exc:
            raise _problem(exc) from exc
        return Response(ProjectDetailSerializer(self._get(project.pk)).data, status=201)

    @extend_schema(
        request=ProjectUpdateSerializer, responses=ProjectDetailSerializer, parameters=[IF_MATCH]
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Edit a project (office). The version loaded comes in ``If-Match: "3"`` or in the
        body's ``version``: a stale one changes nothing (412 for the header, 409 for the
        body, both with ``current_version``)."""
        project = self._get(pk, "edit")
        data = ProjectUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        expected = version_to_write(request, values.pop("version", None), project.version)
        try:
            services.update_project(
                project,
                actor=request.user,
                expected_version=expected,
                **values,
            )
        except services.ValidationError as exc:
            raise _problem(exc) from exc
        return Response(ProjectDetailSerializer(self._get(project.pk)).data)

    @extend_schema(
        request={
            "application/json": MonthInputSerializer,
            "multipart/form-data": MonthInputSerializer,
        },
        responses={200: ProjectDetailSerializer, 201: ProjectDetailSerializer},
        parameters=[idempotency.PARAMETER],
    )
    @action(detail=True, methods=["post"])
    def months(self, request: Request, pk: str | None = None) -> Response:
        """Enter a month (the project's unit, or the office): 201 for a new month, 200 when
        it updates the month already entered. Photos must be whole JPEG or PNG images;
        one bad photo refuses the whole entry."""
        project = self._get(pk, "enter")

        def enter() -> Response:
            data = MonthInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            try:
                _row, created = services.record_month(
                    project,
                    actor=request.user,
                    month=v["month"],
                    completed=v["completed"],
                    image_progress=v.get("image_progress", ""),
                    photos=request.FILES.getlist("photos"),
                )
            except services.ValidationError as exc:
                raise _problem(exc) from exc
            body = ProjectDetailSerializer(self._get(project.pk)).data
            return Response(body, status=201 if created else 200)

        return idempotency.once(request, enter)

    @extend_schema(
        request={"multipart/form-data": LedgerImportSerializer},
        responses={200: LedgerImportResultSerializer, 201: LedgerImportResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import")
    @idempotency.idempotent
    def import_ledger(self, request: Request) -> Response:
        """The customary ledger workbook (office), as on the import page: every row
        checked, then all written or nothing. ``dry_run`` answers what would happen and
        writes nothing; row errors are a 400 listing each row and column."""
        from duban.plans import access
        from duban.plans.taskbook import TaskbookError
        from duban.projects import ledger as ledger_file

        access.require_office(request.user, "import_projects")
        data = LedgerImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        upload = v["file"]
        try:
            result = ledger_file.read_ledger(upload, year=v["year"], filename=upload.name)
        except TaskbookError as exc:
            raise InputError(str(exc)) from exc
        if result.errors:
            return Response(
                {
                    "error": {
                        "code": "invalid",
                        "message": result.summary(),
                        "rows": [e.to_dict() for e in result.errors[:200]],
                    }
                },
                status=400,
            )
        answer = {"summary": result.summary(), "year": result.year, "projects": len(result.rows)}
        if not v["dry_run"]:
            try:
                ledger_file.commit_ledger(result, actor=request.user)
            except TaskbookError as exc:
                raise InputError(str(exc)) from exc
        answer.update(
            created=result.created,
            updated=result.updated,
            months=result.months,
            committed=result.committed,
        )
        return Response(answer, status=201 if result.committed else 200)

    @extend_schema(responses=SectorSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def sectors(self, request: Request) -> Response:
        """The 板块 list (ids for ``sector``), in order."""
        return Response(SectorSerializer(services.sectors(), many=True).data)


class ProjectPhotoViewSet(viewsets.ViewSet):
    """A month's photo by its id (the ids are in a project's ``months[].photos``)."""

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        """Delete the photo (the project's unit or the office): audited, and the file
        leaves storage. A photo of a project the user cannot see is 404, as the project."""
        from duban.core.errors import NotFound
        from duban.projects.models import ProjectPhoto

        found = ProjectPhoto.objects.select_related("progress").filter(pk=object_id(pk)).first()
        if found is None:
            raise NotFound()
        services.get_project(request.user, found.progress.project_id)
        services.delete_photo(found, actor=request.user)
        return Response(status=204)
