"""Stored values are English slugs; what users see is translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InstructionStatus(models.TextChoices):
    OPEN = "open", _("办理中")
    CLOSED = "closed", _("已报结")


class ReplyStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待督查室审核")
    ACCEPTED = "accepted", _("已采纳")
