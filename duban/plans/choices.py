"""Stored values are English slugs; what users see is translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("待确认")
    CONFIRMED = "confirmed", _("已立项")
    ARCHIVED = "archived", _("已归档")


class TaskStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审核")
    REJECTED = "rejected", _("已驳回")
    CONFIRMED = "confirmed", _("已立项")
    IN_PROGRESS = "in_progress", _("推进中")
    CLOSURE_REQUESTED = "closure_requested", _("申请销号")
    CLOSED = "closed", _("已办结")
    # 撤销 by the office, or withdrawn (撤回) from a district when the city took the task
    # away from it: kept on record, counted nowhere, owed no report.
    CANCELLED = "cancelled", _("已撤销")


#: Tasks being worked on: confirmed, not yet asking for closure; reports are owed on them.
#: The one definition (the desk, the workbench, the services and the report sheets use it).
WORKING_STATUSES = (TaskStatus.CONFIRMED, TaskStatus.IN_PROGRESS)
#: Every task of a confirmed plan, done or not: what the battle map counts.
COUNTED_STATUSES = (*WORKING_STATUSES, TaskStatus.CLOSURE_REQUESTED, TaskStatus.CLOSED)
#: Tasks that are not (or no longer) part of the plan's work: never lit, never counted.
UNCOUNTED_STATUSES = (TaskStatus.PROPOSED, TaskStatus.REJECTED, TaskStatus.CANCELLED)


class TaskKind(models.TextChoices):
    TASK = "task", _("工作任务")
    INDICATOR = "indicator", _("指标任务")
    RECTIFICATION = "rectification", _("整改任务")


class Light(models.TextChoices):
    NONE = "none", _("未亮灯")
    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")
