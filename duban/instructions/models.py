"""领导批示件: what a leader wrote on a document, who must act on it, and their replies.

An instruction (批示) annotates a source document (the 来文: a report, a 信息专报). The
office registers it, typed or from a scan or phone photo whose page image is kept on the
record, one :class:`InstructionPage` per page of a multi-page scan (the handwriting stays
an image, marked on whichever page it is; the office types its words). Units reply with
their 办理情况; the office 报结 (reports back to the leader) and closes it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.core.models import AuditedModel
from duban.instructions.choices import InstructionStatus, ReplyStatus


class Instruction(AuditedModel):
    leader_name = models.CharField(_("批示领导"), max_length=50)
    leader_title = models.CharField(_("领导职务"), max_length=100, blank=True)
    instructed_on = models.DateField(_("批示日期"))
    source_title = models.CharField(_("来文标题"), max_length=200)
    source_number = models.CharField(_("来文文号"), max_length=60, blank=True)
    # The printed document's words, as recognised from the scan and corrected by the office.
    source_text = models.TextField(_("来文内容"), blank=True)
    content = models.TextField(_("批示内容"))
    reply_by = models.DateField(_("反馈时限"), db_index=True)
    lead_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("牵头单位"),
        on_delete=models.PROTECT,
        related_name="lead_instructions",
    )
    co_units = models.ManyToManyField(
        "org.Unit", verbose_name=_("配合单位"), blank=True, related_name="co_instructions"
    )
    task = models.ForeignKey(
        "plans.Task",
        verbose_name=_("关联任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="instructions",
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=InstructionStatus.choices,
        default=InstructionStatus.OPEN,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("报结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报结人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    close_note = models.TextField(_("报结说明"), blank=True)

    class Meta:
        verbose_name = _("领导批示")
        verbose_name_plural = _("领导批示")
        ordering = ["-instructed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.leader_name}批示：{self.source_title}"[:200]


class InstructionPage(AuditedModel):
    """One page of a registered scan: the upright image re-encoded by us as JPEG (never the
    uploaded bytes), and where on it the office marked the handwriting, if it did."""

    instruction = models.ForeignKey(
        Instruction, verbose_name=_("领导批示"), on_delete=models.CASCADE, related_name="pages"
    )
    number = models.PositiveSmallIntegerField(_("页码"))
    image = models.FileField(_("页面图像"), upload_to="instructions/%Y/%m/")
    width = models.PositiveIntegerField(_("图像宽度"))
    height = models.PositiveIntegerField(_("图像高度"))
    # Where the handwriting is on this page: {"x", "y", "w", "h"} as fractions of the image.
    region = models.JSONField(_("批示区域"), null=True, blank=True)

    class Meta:
        verbose_name = _("批示件页面")
        verbose_name_plural = _("批示件页面")
        ordering = ["instruction", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["instruction", "number"], name="instruction_page_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instruction_id} p{self.number}"


class InstructionReply(AuditedModel):
    """办理情况: one unit's reply; the office accepts it (an accepted reply stops the chase)."""

    instruction = models.ForeignKey(
        Instruction, verbose_name=_("领导批示"), on_delete=models.CASCADE, related_name="replies"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("办理单位"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("办理情况"))
    replied_on = models.DateField(_("反馈日期"))
    attachment = models.FileField(_("附件"), upload_to="instructions/replies/%Y/%m/", blank=True)
    attachment_name = models.CharField(_("附件名"), max_length=255, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ReplyStatus.choices, default=ReplyStatus.SUBMITTED
    )
    accepted_at = models.DateTimeField(_("采纳时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("办理情况")
        verbose_name_plural = _("办理情况")
        ordering = ["instruction", "replied_on", "id"]

    def __str__(self) -> str:
        return f"{self.unit} {self.replied_on}"
