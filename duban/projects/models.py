"""重点项目 key-project ledger: projects, their 板块, each month's investment and photos.

A project belongs to one ledger year (``year``): its 年度计划投资 is that year's plan and
its months are that year's months. The cumulative for the year and the completion rate are
derived from the months, never stored, so they cannot disagree with them.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.core.models import AuditedModel
from duban.projects.choices import ProjectStatus

#: Amounts in 万元 with two decimals, up to a hundred billion yuan (a city's whole year).
MONEY = {"max_digits": 12, "decimal_places": 2}


class Sector(AuditedModel):
    """A 板块 (产业项目, 基础设施 …): a short list the office extends."""

    name = models.CharField(_("板块"), max_length=30, unique=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("项目板块")
        verbose_name_plural = _("项目板块")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Project(AuditedModel):
    year = models.PositiveSmallIntegerField(
        _("台账年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    code = models.CharField(_("项目编号"), max_length=40)
    name = models.CharField(_("项目名称"), max_length=200)
    sector = models.ForeignKey(
        Sector, verbose_name=_("板块"), on_delete=models.PROTECT, related_name="projects"
    )
    lead_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="projects"
    )
    responsible = models.CharField(_("责任人"), max_length=50, blank=True)
    location = models.CharField(_("建设地点"), max_length=100, blank=True)
    total_investment = models.DecimalField(
        _("总投资（万元）"), **MONEY, validators=[MinValueValidator(Decimal(0))]
    )
    annual_plan = models.DecimalField(
        _("年度计划投资（万元）"), **MONEY, validators=[MinValueValidator(Decimal(0))]
    )
    planned_start = models.DateField(_("计划开工时间"), null=True, blank=True)
    planned_finish = models.DateField(_("计划竣工时间"), null=True, blank=True)
    image_progress = models.TextField(_("形象进度"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.BUILDING
    )
    task = models.ForeignKey(
        "plans.Task",
        verbose_name=_("关联任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("重点项目")
        verbose_name_plural = _("重点项目")
        ordering = ["sort_order", "code", "id"]
        indexes = [models.Index(fields=["year", "lead_unit"])]
        constraints = [models.UniqueConstraint(fields=["year", "code"], name="project_code_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MonthlyProgress(AuditedModel):
    """One month of one project: what was invested that month and how the works stand.

    One row per project and month; entering the month again updates this row (audited).
    """

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="months"
    )
    month = models.PositiveSmallIntegerField(
        _("月份"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    completed = models.DecimalField(
        _("当月完成投资（万元）"), **MONEY, validators=[MinValueValidator(Decimal(0))]
    )
    image_progress = models.TextField(_("形象进度"), blank=True)
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("填报单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("月度进展")
        verbose_name_plural = _("月度进展")
        ordering = ["project_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="project_month_once")
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.month}月"


class ProjectPhoto(AuditedModel):
    """A photo of the works for one month: checked as an image before it is stored, served
    only through the permission check (projects.views.photo)."""

    progress = models.ForeignKey(
        MonthlyProgress, verbose_name=_("月度进展"), on_delete=models.CASCADE, related_name="photos"
    )
    file = models.FileField(_("现场照片"), upload_to="projects/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("大小"), default=0)
    width = models.PositiveIntegerField(_("宽"), default=0)
    height = models.PositiveIntegerField(_("高"), default=0)

    class Meta:
        verbose_name = _("现场照片")
        verbose_name_plural = _("现场照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
