"""考核: the office's scoring scheme for units (one row, edited on the assessment page)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.core.models import AuditedModel

# The rules of the scheme: (field, kind). "base" and "bonus" add points, "deduct" subtracts.
RULES = (
    ("base_on_time", "base"),
    ("bonus_early", "bonus"),
    ("bonus_praise", "bonus"),
    ("deduct_late_report", "deduct"),
    ("deduct_missing_report", "deduct"),
    ("deduct_returned_report", "deduct"),
    ("deduct_red_task", "deduct"),
    ("deduct_red_day", "deduct"),
    ("deduct_supervise", "deduct"),
    ("deduct_criticism", "deduct"),
)


def _points(label: str, default: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=5, decimal_places=1, default=Decimal(default))


class AssessmentScheme(AuditedModel):
    """How many points each fact is worth. Points are per occurrence, never negative here:
    a deduction rule holds the points taken off."""

    base_on_time = _points(_("按时办结每项任务得分"), "10")
    bonus_early = _points(_("提前办结加分（每项）"), "2")
    early_days = models.PositiveSmallIntegerField(_("提前多少天算提前办结"), default=30)
    deduct_late_report = _points(_("逾期报送扣分（每期）"), "1")
    deduct_missing_report = _points(_("未报送扣分（每期）"), "2")
    deduct_returned_report = _points(_("报告被退回扣分（每次）"), "0.5")
    bonus_praise = _points(_("领导表扬加分（每次）"), "2")
    deduct_red_task = _points(_("红灯任务扣分（每项，按计算时亮灯）"), "2")
    deduct_red_day = _points(_("红灯天数扣分（每项任务每天）"), "0.1")
    deduct_supervise = _points(_("督办通知扣分（每件）"), "3")
    deduct_criticism = _points(_("通报批评扣分（每件）"), "5")

    class Meta:
        verbose_name = _("考核办法")
        verbose_name_plural = _("考核办法")

    def __str__(self) -> str:
        return str(_("考核办法"))

    @classmethod
    def current(cls) -> AssessmentScheme:
        """The scheme in force (created with the defaults on first use)."""
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class AssessmentRelease(AuditedModel):
    """A period's published result (考核结果): a frozen copy of the ranking.

    Publication locks the result: later reports, lights or a changed scheme no longer move
    it. Only the office's decision on a unit's objection changes it, by an adjustment that
    says why, and ranks are recomputed then.
    """

    title = models.CharField(_("标题"), max_length=200)
    period_start = models.DateField(_("考核期开始"))
    period_end = models.DateField(_("考核期结束"))
    scheme = models.JSONField(_("考核办法（发布时）"), default=dict)
    published_at = models.DateTimeField(_("发布时间"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    objections_until = models.DateField(_("异议截止日期"))

    class Meta:
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        ordering = ["-period_end", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "period_end"], name="assessment_one_release_per_period"
            )
        ]

    def __str__(self) -> str:
        return self.title


class AssessmentResult(AuditedModel):
    """One unit's line of a published result, with the breakdown as it was computed."""

    release = models.ForeignKey(
        AssessmentRelease,
        verbose_name=_("考核结果"),
        on_delete=models.CASCADE,
        related_name="results",
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    computed = models.DecimalField(_("计算得分"), max_digits=8, decimal_places=1)
    adjustment = models.DecimalField(
        _("异议调整"), max_digits=6, decimal_places=1, default=Decimal("0")
    )
    total = models.DecimalField(_("总分"), max_digits=8, decimal_places=1)
    rank = models.PositiveIntegerField(_("名次"))
    lines = models.JSONField(_("得分明细"), default=list)

    class Meta:
        verbose_name = _("单位考核结果")
        verbose_name_plural = _("单位考核结果")
        ordering = ["rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["release", "unit"], name="assessment_one_line_per_unit")
        ]

    def __str__(self) -> str:
        return f"{self.release} {self.unit}"


class Objection(AuditedModel):
    """A unit's objection (异议) to its published result, and the office's decision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        UPHELD = "upheld", _("已采纳")
        REJECTED = "rejected", _("不予采纳")

    result = models.ForeignKey(
        AssessmentResult,
        verbose_name=_("单位考核结果"),
        on_delete=models.CASCADE,
        related_name="objections",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("异议理由"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision = models.TextField(_("处理意见"), blank=True)
    points = models.DecimalField(
        _("调整分值"), max_digits=6, decimal_places=1, default=Decimal("0")
    )

    class Meta:
        verbose_name = _("考核异议")
        verbose_name_plural = _("考核异议")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["result"],
                condition=models.Q(status="pending"),
                name="assessment_one_pending_objection",
            )
        ]

    def __str__(self) -> str:
        return f"{self.result}: {self.reason[:20]}"
