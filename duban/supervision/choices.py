"""Stored values are English slugs; what users see is translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    ONCE = "once", _("一次性")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待单位审核")
    UNIT_APPROVED = "unit_approved", _("待督查室审核")
    ACCEPTED = "accepted", _("已采纳")
    RETURNED = "returned", _("已退回")
    MISSING = "missing", _("未报送")


class NoticeLevel(models.TextChoices):
    REMINDER = "reminder", _("提醒")
    CHASE = "chase", _("催办")
    SUPERVISE = "supervise", _("督办")
    CRITICISM = "criticism", _("通报")
    COORDINATION = "coordination", _("协调")


class NoticeStatus(models.TextChoices):
    OPEN = "open", _("待回复")
    REPLIED = "replied", _("已回复")
    CLOSED = "closed", _("已关闭")
