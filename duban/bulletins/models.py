"""A bulletin for one period: its number, its ranking data and the issued files."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.core.models import AuditedModel


class Bulletin(AuditedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已印发")

    plan = models.ForeignKey(
        "plans.Plan", verbose_name=_("方案"), on_delete=models.PROTECT, related_name="bulletins"
    )
    title = models.CharField(_("标题"), max_length=200)
    number = models.CharField(_("文号"), max_length=50, blank=True)
    period_start = models.DateField(_("统计周期开始"))
    period_end = models.DateField(_("统计周期结束"))
    content = models.JSONField(_("内容"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("印发时间"), null=True, blank=True)
    docx = models.FileField(_("Word 文件"), upload_to="bulletins/", blank=True)
    pdf = models.FileField(_("PDF 文件"), upload_to="bulletins/", blank=True)

    class Meta:
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        ordering = ["-period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "period_start", "period_end"], name="bulletin_one_per_period"
            )
        ]

    def __str__(self) -> str:
        return self.title
