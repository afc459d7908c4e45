"""考核: the office's scoring scheme for units (one row, edited on the assessment page)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.core.models import AuditedModel

# The rules of the scheme: (field, kind). "base" and "bonus" add points, "deduct" subtracts.
RULES = (
    ("base_on_time", "base"),
    ("bonus_early", "bonus"),
    ("deduct_late_report", "deduct"),
    ("deduct_missing_report", "deduct"),
    ("deduct_returned_report", "deduct"),
    ("deduct_red_task", "deduct"),
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
    deduct_red_task = _points(_("红灯任务扣分（每项，按计算时亮灯）"), "2")
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
