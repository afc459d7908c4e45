"""重点项目 rules: who sees and enters which project, the writes, and the completion figures.

Each writing function is one transaction, checks its ``actor`` (through
:mod:`duban.plans.access`, the one place permission rules live) and saves through the
audited models, so every change has its audit row and moves the audit generation that the
page cache and the battle map key on. Pages, the API and the Excel import call these.

Permissions follow the tasks': the office (and leaders, viewers) see every project; a
unit's leader and clerk see only the projects their unit is responsible for, and another
unit's project is *not found*. The office creates and edits projects; the responsible
unit's leader or clerk (or the office, for a paper return) enters the months.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from duban.core import audit
from duban.core.errors import InputError, NotFound
from duban.core.models import ConflictError
from duban.core.storage import removed_on_error
from duban.org.models import Unit
from duban.plans import access
from duban.projects.choices import DEFAULT_SECTORS, MAX_PHOTOS, PHOTO_FORMATS, ProjectStatus
from duban.projects.models import MonthlyProgress, Project, ProjectPhoto, Sector

ZERO = Decimal("0")
#: The largest amount a money column holds (12 digits, 2 decimals).
MAX_AMOUNT = Decimal("9999999999.99")


class ValidationError(InputError):
    """Input the clerk or the office must correct; the message says what."""


# -- who sees what ------------------------------------------------------------------------


def visible_projects(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """The projects this user may see (the one filter every list, page and export uses)."""
    qs = queryset if queryset is not None else Project.objects.all()
    if access.reads_everything(user):
        return qs
    units = access.grants(user).unit_ids
    return qs.filter(lead_unit_id__in=units) if units else qs.none()


def may_enter(user: Any, project: Project) -> bool:
    """Enters the project's months: its unit's leader or clerk, or the office."""
    return access.may_report_for(user, project.lead_unit_id)


def may_edit(user: Any) -> bool:
    """Creates and edits projects and 板块: the office, as it edits tasks."""
    return access.is_office(user)


def get_project(user: Any, pk: Any, action: str = "view") -> Project:
    """A project for ``action`` (view, enter, edit): not visible → NotFound; visible but
    not allowed → NotAllowed (403)."""
    from duban.core.listing import object_id

    try:
        project = visible_projects(
            user, Project.objects.select_related("lead_unit", "sector", "task")
        ).get(pk=object_id(pk))  # beyond bigint is not found, not a database error
    except Project.DoesNotExist as exc:
        raise NotFound() from exc
    if action == "enter" and not may_enter(user, project):
        raise access.NotAllowed(action)
    if action == "edit" and not may_edit(user):
        raise access.NotAllowed(action)
    return project


# -- 板块 ----------------------------------------------------------------------------------


def sectors() -> list[Sector]:
    """The 板块 in order; a new site gets the customary five on first use."""
    found = list(Sector.objects.order_by("sort_order", "id"))
    if found:
        return found
    with transaction.atomic():
        for i, name in enumerate(DEFAULT_SECTORS, start=1):
            Sector.objects.get_or_create(name=name, defaults={"sort_order": i})
    return list(Sector.objects.order_by("sort_order", "id"))


@transaction.atomic
def add_sector(name: str, *, actor: Any) -> Sector:
    """Add a 板块 to the list (office)."""
    access.require_actor(actor, "add_sector")
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("请填写板块名称。"))
    if len(name) > 30:
        raise ValidationError(_("板块名称不能超过 30 个字。"))
    if Sector.objects.filter(name=name).exists():
        raise ValidationError(_("板块“{name}”已存在。").format(name=name))
    last = max((s.sort_order for s in sectors()), default=0)
    with audit.acting_as(actor):
        return Sector.objects.create(name=name, sort_order=last + 1)


# -- projects ------------------------------------------------------------------------------

FIELDS = (
    "year",
    "code",
    "name",
    "sector",
    "lead_unit",
    "responsible",
    "location",
    "total_investment",
    "annual_plan",
    "planned_start",
    "planned_finish",
    "image_progress",
    "status",
    "task",
)
REQUIRED = ("year", "code", "name", "sector", "lead_unit", "total_investment", "annual_plan")


def field_labels() -> dict[str, str]:
    return {
        "year": _("台账年度"),
        "code": _("项目编号"),
        "name": _("项目名称"),
        "sector": _("板块"),
        "lead_unit": _("责任单位"),
        "responsible": _("责任人"),
        "location": _("建设地点"),
        "total_investment": _("总投资（万元）"),
        "annual_plan": _("年度计划投资（万元）"),
        "planned_start": _("计划开工时间"),
        "planned_finish": _("计划竣工时间"),
        "image_progress": _("形象进度"),
        "status": _("状态"),
        "task": _("关联任务"),
    }


def amount(value: Any, label: str) -> Decimal:
    """An amount in 万元: a number ≥ 0 with at most two decimals (else a clear message)."""
    if isinstance(value, Decimal):
        number = value
    else:
        text = str(value if value is not None else "").strip().replace(",", "").replace("，", "")
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError) as exc:
            raise ValidationError(
                _("{label}应为数字（万元），例如 1200 或 35.5。").format(label=label)
            ) from exc
    if not number.is_finite():
        raise ValidationError(_("{label}应为数字（万元）。").format(label=label))
    if number < 0:
        raise ValidationError(_("{label}不能为负数。").format(label=label))
    if number > MAX_AMOUNT:
        raise ValidationError(_("{label}超出范围。").format(label=label))
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError(_("{label}最多保留两位小数。").format(label=label))
    return number.quantize(Decimal("0.01"))


def check_values(values: dict[str, Any], *, instance: Project | None = None) -> dict[str, Any]:
    labels = field_labels()
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValidationError(_("不认识的字段：{names}。").format(names="、".join(sorted(unknown))))
    merged = {f: getattr(instance, f) for f in FIELDS} if instance is not None else {}
    merged.update(values)
    for name in REQUIRED:
        value = merged.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValidationError(_("请填写{label}。").format(label=labels[name]))
    for name in ("code", "name", "responsible", "location", "image_progress"):
        if isinstance(merged.get(name), str):
            merged[name] = merged[name].strip()
    for name, limit in (("code", 40), ("name", 200), ("responsible", 50), ("location", 100)):
        if len(merged.get(name) or "") > limit:
            raise ValidationError(
                _("{label}不能超过 {n} 个字。").format(label=labels[name], n=limit)
            )
    year = merged["year"]
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationError(_("台账年度应为 2000 到 2100 之间的年份。"))
    for name in ("total_investment", "annual_plan"):
        merged[name] = amount(merged[name], labels[name])
    if merged["annual_plan"] > merged["total_investment"]:
        raise ValidationError(_("年度计划投资不能大于总投资。"))
    start, finish = merged.get("planned_start"), merged.get("planned_finish")
    if start and finish and finish < start:
        raise ValidationError(_("计划竣工时间不能早于计划开工时间。"))
    status = merged.get("status") or ProjectStatus.BUILDING
    if status not in ProjectStatus.values:
        raise ValidationError(
            _("状态应为：{names}。").format(names="、".join(str(c.label) for c in ProjectStatus))
        )
    merged["status"] = status
    if not isinstance(merged["sector"], Sector) or not isinstance(merged["lead_unit"], Unit):
        raise ValidationError(_("请选择板块和责任单位。"))
    clash = Project.objects.filter(year=year, code=merged["code"])
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise ValidationError(
            _("{year}年台账中已有项目编号“{code}”。").format(year=year, code=merged["code"])
        )
    return merged


@transaction.atomic
def create_project(*, actor: Any, **values: Any) -> Project:
    """A new project in the year's ledger (office)."""
    access.require_actor(actor, "create_project")
    checked = check_values(values)
    with audit.acting_as(actor):
        return Project.objects.create(**checked)


@transaction.atomic
def update_project(
    project: Project, *, actor: Any, expected_version: int | None = None, **values: Any
) -> Project:
    """Change a project's fields (office); a stale ``expected_version`` changes nothing."""
    access.require_actor(actor, "edit_project")
    if expected_version is not None and int(expected_version) != project.version:
        raise ConflictError(project, int(expected_version), project.version)
    checked = check_values(values, instance=project)
    with audit.acting_as(actor):
        for name in values:
            setattr(project, name, checked[name])
        project.save()
    return project


# -- months and photos ---------------------------------------------------------------------


@dataclass
class CheckedPhoto:
    name: str
    data: bytes
    suffix: str
    width: int
    height: int


def _zh(message: str) -> str:
    """The engine's messages read 「中文（english）」: the clerk gets the Chinese."""
    return message.rsplit("（", 1)[0] if message.endswith("）") else message


def check_photo(name: str, data: bytes | None) -> CheckedPhoto:
    """A photo of the works, refused with a sentence unless it is a whole JPEG or PNG.

    The decoding is the OCR's own (:func:`duban.extract.ocr.open_images`): it refuses HEIC,
    files that are not images, truncated uploads and decompression bombs, and the same
    words reach the clerk here.
    """
    from PIL import Image

    from duban.extract.errors import ExtractError
    from duban.extract.ocr import open_images

    limit = settings.DUBAN_MAX_UPLOAD_BYTES
    if data is None or len(data) > limit:
        raise ValidationError(
            _("照片“{name}”超过 {mb} MB 的上限，请压缩后再上传。").format(
                name=name, mb=limit // (1024 * 1024)
            )
        )
    if not data:
        raise ValidationError(_("照片“{name}”是空的。").format(name=name))
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    try:
        first = next(iter(open_images(data, suffix=suffix)))
    except ExtractError as exc:
        raise ValidationError(
            _("照片“{name}”无法使用：{why}。").format(name=name, why=_zh(exc.message))
        ) from exc
    except StopIteration as exc:
        raise ValidationError(_("照片“{name}”里没有图像。").format(name=name)) from exc
    with Image.open(io.BytesIO(data)) as probe:
        kind = probe.format or ""
    if kind not in PHOTO_FORMATS:
        raise ValidationError(
            _("照片“{name}”是 {kind} 格式，请上传 JPEG 或 PNG 照片。").format(
                name=name, kind=kind or _("未知")
            )
        )
    return CheckedPhoto(name, data, PHOTO_FORMATS[kind], first.width, first.height)


def _stem(name: str) -> str:
    """The stored file's name without its suffix (the suffix is the checked format's)."""
    try:
        safe = get_valid_filename(name.replace("/", "_").replace("\\", "_"))[:150]
    except SuspiciousFileOperation:  # "..", "." or nothing usable
        return "photo"
    stem = safe.rsplit(".", 1)[0] if "." in safe else safe
    return stem.lstrip(".") or "photo"  # never a hidden file


def _read_photos(files: Iterable[Any]) -> list[CheckedPhoto]:
    """Every photo checked before any is written: one bad photo writes nothing."""
    limit = settings.DUBAN_MAX_UPLOAD_BYTES
    checked = []
    for f in files:
        if isinstance(f, tuple):
            name, data = f
        elif f.size is not None and f.size > limit:
            name, data = f.name, None  # not read into memory just to be refused
        else:
            name, data = f.name, f.read()
        checked.append(check_photo(str(name or "photo"), data))
    return checked


def month_allowed(project: Project, month: int, *, today: dt.date | None = None) -> None:
    """A month of the project's year that has begun (a return is for work done)."""
    today = today or timezone.localdate()
    if not isinstance(month, int) or not 1 <= month <= 12:
        raise ValidationError(_("月份应为 1 到 12 之间的整数。"))
    if (project.year, month) > (today.year, today.month):
        raise ValidationError(
            _("{year}年{month}月还没有到，不能填报。").format(year=project.year, month=month)
        )


@removed_on_error  # a refused month leaves no photo file behind
@transaction.atomic
def record_month(
    project: Project,
    *,
    actor: Any,
    month: int,
    completed: Any,
    image_progress: str = "",
    photos: Iterable[Any] = (),
    today: dt.date | None = None,
) -> tuple[MonthlyProgress, bool]:
    """Enter (or correct) one month: the month's completed investment, 形象进度 and photos.

    One row per project and month: a second entry for the same month updates it, and the
    update is audited with what it was before. The project's 形象进度 follows its latest
    month. Returns the row and whether it was new.
    """
    if actor is not None and not may_enter(actor, project):
        if not visible_projects(actor).filter(pk=project.pk).exists():
            raise NotFound()
        raise access.NotAllowed("enter_project_month")
    month_allowed(project, month, today=today)
    value = amount(completed, _("当月完成投资"))
    text = (image_progress or "").strip()
    if len(text) > 2000:
        raise ValidationError(_("形象进度不能超过 2000 字。"))
    checked = _read_photos(photos)
    with audit.acting_as(actor):
        row = (
            MonthlyProgress.objects.select_for_update().filter(project=project, month=month).first()
        )
        created = row is None
        if len(checked) + (0 if created else row.photos.count()) > MAX_PHOTOS:
            raise ValidationError(_("每月最多上传 {n} 张照片。").format(n=MAX_PHOTOS))
        if created:
            row = MonthlyProgress(project=project, month=month)
        row.completed = value
        if text or created:
            row.image_progress = text
        row.unit_id = project.lead_unit_id
        try:
            with transaction.atomic():  # a savepoint: the twin's row wins, cleanly
                row.save()
        except IntegrityError as exc:
            # Two first entries of the same month at once: the unique constraint keeps one.
            raise ValidationError(
                _("{m}月的进展刚刚由他人填报，请刷新页面后再修改。").format(m=month)
            ) from exc
        for photo in checked:
            stem = _stem(photo.name)
            item = ProjectPhoto(
                progress=row,
                name=photo.name[:255],
                sha256=hashlib.sha256(photo.data).hexdigest(),
                size=len(photo.data),
                width=photo.width,
                height=photo.height,
            )
            item.file.save((stem or "photo") + photo.suffix, ContentFile(photo.data), save=False)
            item.save()
        latest = project.months.order_by("-month").values_list("month", flat=True).first()
        if text and month == latest and project.image_progress != text:
            project.refresh_from_db()
            project.image_progress = text
            project.save()
        audit.record_event(
            project,
            "project_month_entered" if created else "project_month_updated",
            data={"month": month, "completed": str(value), "photos": len(checked)},
        )
    return row, created


def delete_photo(photo: ProjectPhoto, *, actor: Any) -> None:
    """Remove a month's photo (the project's unit or the office), audited; the file leaves
    storage once the deletion is committed, so a rolled-back one keeps its file."""
    project = photo.progress.project
    if actor is not None and not may_enter(actor, project):
        if not visible_projects(actor).filter(pk=project.pk).exists():
            raise NotFound()
        raise access.NotAllowed("delete_project_photo")
    storage, name = photo.file.storage, photo.file.name
    with transaction.atomic(), audit.acting_as(actor):
        month = photo.progress.month
        photo.delete()  # the row's own "delete" entry, with what it was
        audit.record_event(
            project,
            "project_photo_deleted",
            note=photo.name,
            data={"month": month, "photo": photo.name, "sha256": photo.sha256},
        )
        transaction.on_commit(lambda: storage.delete(name))


# -- completion ----------------------------------------------------------------------------


def rate(done: Decimal, plan: Decimal) -> Decimal | None:
    """完成率 in percent, one decimal; none when nothing was planned for the year."""
    if not plan:
        return None
    return (done * 100 / plan).quantize(Decimal("0.1"))


def _cumulative() -> Coalesce:
    months = (
        MonthlyProgress.objects.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(total=Sum("completed"))
        .values("total")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Subquery(months, output_field=money), Value(ZERO), output_field=money)


def with_cumulative(qs: QuerySet) -> QuerySet:
    """Each project with ``cumulative``: the year's completed investment so far."""
    return qs.annotate(cumulative=_cumulative())


@dataclass
class Group:
    key: Any
    label: str
    count: int = 0
    plan: Decimal = ZERO
    done: Decimal = ZERO

    @property
    def rate(self) -> Decimal | None:
        return rate(self.done, self.plan)

    @property
    def share(self) -> float:
        """The completion as a share of the bar (0 to 1, capped)."""
        r = self.rate
        return 0.0 if r is None else max(0.0, min(1.0, float(r) / 100))


@dataclass
class Summary:
    year: int
    total: Group
    by_sector: list[Group] = field(default_factory=list)
    by_unit: list[Group] = field(default_factory=list)


def default_year() -> int:
    """The ledger year shown when none is asked: this year."""
    return timezone.localdate().year


def summary(user: Any, *, year: int) -> Summary:
    """Completion by 板块 and by unit for ``year``, over the projects ``user`` sees.

    One query whatever the number of projects (the battle map's panel; its query-count
    test holds it to that): the per-project sums come from a subquery and are grouped here.
    """
    rows = (
        with_cumulative(visible_projects(user, Project.objects.filter(year=year)))
        .order_by()
        .values_list(
            "sector_id",
            "sector__name",
            "sector__sort_order",
            "lead_unit_id",
            "lead_unit__name",
            "lead_unit__short_name",
            "lead_unit__sort_order",
            "annual_plan",
            "cumulative",
        )
    )
    total = Group(None, _("合计"))
    sectors_: dict[int, tuple[int, Group]] = {}
    units: dict[int, tuple[int, Group]] = {}
    for sid, sname, sorder, uid, uname, ushort, uorder, plan, done in rows:
        for index, key, label, order in (
            (sectors_, sid, sname, sorder),
            (units, uid, ushort or uname, uorder),
        ):
            if key not in index:
                index[key] = (order, Group(key, label))
            group = index[key][1]
            group.count += 1
            group.plan += plan
            group.done += done
        total.count += 1
        total.plan += plan
        total.done += done
    return Summary(
        year=year,
        total=total,
        by_sector=[g for _o, g in sorted(sectors_.values(), key=lambda x: (x[0], x[1].key))],
        by_unit=sorted(
            (g for _o, g in units.values()),
            key=lambda g: (g.rate is None, -(g.rate or 0), g.label),
        ),
    )


#: The ledger's sort keys (page and API) → ORM expressions over :func:`ledger`'s rows.
ORDERINGS: dict[str, Any] = {
    "code": "code",
    "name": "name",
    "plan": "annual_plan",
    "total": "total_investment",
    "done": "cumulative",
    "rate": "completion",
    "unit": "lead_unit__sort_order",
    "sector": "sector__sort_order",
    "status": "status",
    "updated": "updated_at",
}


def ledger(
    user: Any,
    *,
    year: int | None = None,
    unit: int | None = None,
    sector: int | None = None,
    status: str | None = None,
) -> QuerySet:
    """The projects ``user`` sees, filtered, each with ``cumulative`` and ``completion``
    (percent, null when nothing is planned for the year), their unit and 板块 joined."""
    qs = visible_projects(user, Project.objects.select_related("lead_unit", "sector"))
    if year is not None:
        qs = qs.filter(year=year)
    if unit is not None:
        qs = qs.filter(lead_unit_id=unit)
    if sector is not None:
        qs = qs.filter(sector_id=sector)
    if status:
        qs = qs.filter(status=status)
    percent = DecimalField(max_digits=20, decimal_places=4)
    return with_cumulative(qs).annotate(
        completion=Case(
            When(annual_plan=0, then=Value(None, output_field=percent)),
            default=ExpressionWrapper(
                F("cumulative") * Value(Decimal(100)) / F("annual_plan"), output_field=percent
            ),
            output_field=percent,
        )
    )


def totals(rows: Iterable[Project]) -> Group:
    """The 合计 of a ledger page's rows (annotated by :func:`ledger`)."""
    total = Group(None, _("合计"))
    for p in rows:
        total.count += 1
        total.plan += p.annual_plan
        total.done += p.cumulative
    return total


def series(project: Project) -> list[dict[str, Any]]:
    """The project's months in order, each with the cumulative for the year so far and the
    completion rate at that month (the project page's table and chart)."""
    out = []
    running = ZERO
    for row in project.months.order_by("month").prefetch_related("photos"):
        running += row.completed
        out.append(
            {
                "row": row,
                "month": row.month,
                "completed": row.completed,
                "cumulative": running,
                "rate": rate(running, project.annual_plan),
                "photos": list(row.photos.all()),
            }
        )
    return out
