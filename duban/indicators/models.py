"""对标对表: a task's quantitative indicator, its months (plan and actual) and the figures
other cities published for it (对标).

An :class:`Indicator` belongs to one task (the task keeps its light; the indicator adds a
fact to it, see ``duban/supervision/lights.py``). Its months hold one row per month of
its year: the plan (empty: the default from the annual target) and the actual value the
lead unit entered. ``gap_month`` and ``gap_percent`` are derived from the latest month
with an actual value and written only by ``services.refresh_gap``, like a task's light.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.core.models import AuditedModel
from duban.indicators.choices import LOWER_IS_BETTER, IndicatorKind, Qualifier

MONTHS = range(1, 13)


def _number(label: str, **kw) -> models.DecimalField:
    return models.DecimalField(label, max_digits=16, decimal_places=4, **kw)


class Indicator(AuditedModel):
    task = models.OneToOneField(
        "plans.Task", verbose_name=_("任务"), on_delete=models.CASCADE, related_name="indicator"
    )
    name = models.CharField(_("指标名称"), max_length=100)
    measure = models.CharField(_("计量单位"), max_length=20, blank=True)
    kind = models.CharField(
        _("指标类型"), max_length=12, choices=IndicatorKind.choices, default=IndicatorKind.GROWTH
    )
    year = models.PositiveIntegerField(_("年度"))
    target_text = models.CharField(_("年度目标（原文）"), max_length=200, blank=True)
    target = _number(_("年度目标值"))
    qualifier = models.CharField(
        _("目标限定"), max_length=10, choices=Qualifier.choices, default=Qualifier.NONE
    )
    # Percent of the plan the actual may fall behind before the gap counts against the
    # light, on top of the office's thresholds (a 「左右」 target gets some by default).
    tolerance = models.DecimalField(_("容差（%）"), max_digits=5, decimal_places=1, default=0)
    gap_month = models.PositiveSmallIntegerField(_("最新填报月份"), null=True, blank=True)
    gap_percent = models.DecimalField(
        _("落后计划（%）"), max_digits=10, decimal_places=1, null=True, blank=True
    )

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["task__plan", "task__sort_order", "id"]

    def __str__(self) -> str:
        return self.name

    # Derived from the months by services.refresh_gap, never written back by a save.
    DERIVED_FIELDS = frozenset({"gap_month", "gap_percent"})

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding and self.pk is not None and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.DERIVED_FIELDS
            ]
        super().save(*args, **kwargs)

    @property
    def target_label(self) -> str:
        """The target as the table shows it: 「6%左右」, 「4.2万人」, 「5.5%以内」."""
        number = f"{Decimal(self.target).normalize():f}"
        words = "" if self.qualifier == Qualifier.NONE else str(self.get_qualifier_display())
        return f"{number}{self.measure}{words}"

    @property
    def lower_is_better(self) -> bool:
        return self.kind in LOWER_IS_BETTER

    def default_plan(self, month: int) -> Decimal:
        """The plan of a month nobody set: a cumulative target spread evenly over the year,
        any other kind's target itself."""
        if self.kind == IndicatorKind.CUMULATIVE:
            return (Decimal(self.target) * month / 12).quantize(Decimal("0.0001"))
        return Decimal(self.target)


class IndicatorMonth(AuditedModel):
    """One month of an indicator: its plan (optional) and the actual value entered."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="months"
    )
    month = models.PositiveSmallIntegerField(_("月份"))
    plan = _number(_("计划值"), null=True, blank=True)
    actual = _number(_("实际值"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("填报时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("指标月度值")
        verbose_name_plural = _("指标月度值")
        ordering = ["indicator", "month"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "month"], name="indicator_month_once")
        ]

    def __str__(self) -> str:
        return f"{self.indicator.name} {self.month}月"


class PeerValue(AuditedModel):
    """对标: another city's published figure for the indicator and month."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="peers"
    )
    month = models.PositiveSmallIntegerField(_("月份"))
    city = models.CharField(_("城市"), max_length=50)
    value = _number(_("数值"))
    source = models.CharField(_("来源"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("对标城市数值")
        verbose_name_plural = _("对标城市数值")
        ordering = ["indicator", "month", "city"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "month", "city"], name="indicator_peer_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.month}月"
