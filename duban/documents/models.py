"""An uploaded source document: the original file, how it was decoded, its normalized text.

Tasks point back into ``normalized_text`` by character span, so that text is stored once
and never rewritten after tasks link to it (a re-upload is a new Document).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.core.models import AuditedModel


class Document(AuditedModel):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        EXTRACTED = "extracted", _("已解析")
        FAILED = "failed", _("解析失败")

    title = models.CharField(_("标题"), max_length=300)
    original = models.FileField(_("原始文件"), upload_to="documents/%Y/%m/", blank=True)
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    file_format = models.CharField(_("格式"), max_length=10, blank=True)
    encoding = models.CharField(_("检测到的编码"), max_length=30, blank=True)
    normalized_text = models.TextField(_("规范化文本"), blank=True)
    doc_date = models.DateField(_("文件日期"), null=True, blank=True)
    issuer = models.CharField(_("发文机关"), max_length=100, blank=True)
    metadata = models.JSONField(_("元数据"), default=dict, blank=True)
    extraction = models.JSONField(_("解析结果"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )

    audit_exclude = ("updated_at", "version", "normalized_text", "extraction")

    class Meta:
        verbose_name = _("文件")
        verbose_name_plural = _("文件")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class LeadWeights(models.Model):
    """What this site taught the engine about lead units, for one catalog.

    One row per catalog the site extracts with (``city``, ``province``, ``national`` or an
    uploaded catalog's path). ``weights`` is the engine's
    :class:`~duban.extract.site_weights.SiteWeights` in its JSON form: every lead the
    office picks on the review page adds to it, and every later extraction with the same
    catalog scores with it (see :func:`duban.documents.services.site_catalog`). Not
    audited row by row: the audited event is the lead choice that caused the change.
    """

    catalog = models.CharField(_("单位目录"), max_length=255, unique=True)
    weights = models.JSONField(_("学习到的权重"), default=dict, blank=True)
    corrections = models.PositiveIntegerField(_("学习次数"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("牵头单位学习权重")
        verbose_name_plural = _("牵头单位学习权重")

    def __str__(self) -> str:
        return self.catalog


#: The columns that can hold megabytes (a 20 MB upload's text, the engine's full result):
#: pages that list or head documents defer them and read only the slice they show.
BIG_FIELDS = ("normalized_text", "extraction")


def light(queryset: models.QuerySet[Document] | None = None) -> models.QuerySet[Document]:
    """Documents without their big columns, for lists and page headers."""
    return (queryset if queryset is not None else Document.objects.all()).defer(*BIG_FIELDS)


def text_slice(document_id: int, start: int, end: int) -> tuple[str, int] | None:
    """``normalized_text[start:end]`` and the text's length, cut by the database.

    Why: a 20 MB text read whole for a 300-character excerpt is what made the pages of
    one large upload stall (issue 14). ``None`` when the document does not exist.
    """
    from django.db.models.functions import Length, Substr

    start = max(0, start)
    length = max(0, end - start)
    return (
        Document.objects.filter(pk=document_id)
        .annotate(
            _slice=Substr("normalized_text", start + 1, length), _len=Length("normalized_text")
        )
        .values_list("_slice", "_len")
        .first()
    )
