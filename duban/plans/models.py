"""A plan decomposes one or more documents into framework nodes and tasks.

Tasks form a tree with hierarchical codes (2.3.1): the office confirms top-level tasks; a
lead unit may split its task into sub-tasks and measures. A task keeps the character span
of the sentence it came from in the source document's normalized text.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.core.models import AuditedModel
from duban.plans.choices import Light, PlanStatus, TaskKind, TaskStatus


class Plan(AuditedModel):
    title = models.CharField(_("名称"), max_length=200)
    year = models.PositiveIntegerField(_("年度"), null=True, blank=True)
    period_start = models.DateField(_("起始日期"), null=True, blank=True)
    period_end = models.DateField(_("截止日期"), null=True, blank=True)
    documents = models.ManyToManyField(
        "documents.Document", verbose_name=_("来源文件"), blank=True, related_name="plans"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    confirmed_at = models.DateTimeField(_("立项时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("立项人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_public = models.BooleanField(_("公开进展"), default=False)
    # A district's plan (区县): the city's tasks assigned to the district, broken down by
    # the district's own office (duban/plans/cascade.py). Null: the city's own plan.
    owner_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("所属区县"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_plans",
    )
    upstream = models.ForeignKey(
        "self",
        verbose_name=_("上级方案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="district_plans",
    )

    class Meta:
        verbose_name = _("任务分解方案")
        verbose_name_plural = _("任务分解方案")
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.title


class FrameworkNode(AuditedModel):
    """A node of the report's own framework: 「六字要求」 → 稳, or an area （一）."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="framework_nodes"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    name = models.CharField(_("名称"), max_length=200)
    code = models.CharField(_("编号"), max_length=30, blank=True)
    kind = models.CharField(_("类型"), max_length=20, blank=True)  # framework / item / section
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("框架节点")
        verbose_name_plural = _("框架节点")
        ordering = ["plan", "sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Task(AuditedModel):
    plan = models.ForeignKey(
        Plan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="tasks"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级任务"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    framework_node = models.ForeignKey(
        FrameworkNode,
        verbose_name=_("所属框架"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    code = models.CharField(_("编号"), max_length=30, blank=True, db_index=True)
    text = models.TextField(_("工作任务"))
    verb = models.CharField(_("动词"), max_length=20, blank=True)
    kind = models.CharField(
        _("任务类型"), max_length=15, choices=TaskKind.choices, default=TaskKind.TASK
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.PROPOSED
    )
    source_document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("来源文件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    source_start = models.PositiveIntegerField(_("来源起始位置"), null=True, blank=True)
    source_end = models.PositiveIntegerField(_("来源结束位置"), null=True, blank=True)
    # A stable fingerprint of the extracted sentence: re-running extraction on an edited
    # document matches proposals to confirmed tasks by it instead of creating duplicates.
    extraction_key = models.CharField(_("解析指纹"), max_length=64, blank=True, db_index=True)
    deadline_text = models.CharField(_("完成时限（原文）"), max_length=100, blank=True)
    start_date = models.DateField(_("开始日期"), null=True, blank=True)
    deadline = models.DateField(_("完成时限"), null=True, blank=True, db_index=True)
    target_value = models.CharField(_("目标值"), max_length=50, blank=True)
    measures = models.TextField(_("工作措施"), blank=True)
    # The engine's proposals ([{unit, score, matched}]), shown first when assigning.
    lead_suggestions = models.JSONField(_("建议牵头单位"), default=list, blank=True)
    extracted = models.JSONField(_("解析信息"), default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(_("完成进度（%）"), default=0)
    light = models.CharField(
        _("亮灯"), max_length=6, choices=Light.choices, default=Light.NONE, db_index=True
    )
    light_reason = models.CharField(_("亮灯原因"), max_length=300, blank=True)
    # Indexed: the newest one stamps the pages that show lights (core.pagecache), since the
    # recompute writes lights in bulk, past the audit log.
    light_updated_at = models.DateTimeField(_("亮灯时间"), null=True, blank=True, db_index=True)
    # The first day the light may change with no new fact (a deadline, a due report, the
    # plan line crossing a threshold): the nightly recompute skips the task until then.
    light_valid_until = models.DateField(_("亮灯有效至"), null=True, blank=True, db_index=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    # In a district's plan: the city's task this one carries out; its progress rolls up
    # to that task as the district's report (duban/supervision/rollup.py).
    upstream = models.ForeignKey(
        "self",
        verbose_name=_("上级任务（市级）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="downstream",
    )

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["plan", "sort_order", "id"]
        indexes = [models.Index(fields=["plan", "status"])]

    def __str__(self) -> str:
        label = self.text if len(self.text) <= 40 else self.text[:39] + "…"
        return f"{self.code} {label}".strip()

    # The light is derived (see supervision.lights) and written only by the recompute.
    DERIVED_FIELDS = frozenset({"light", "light_reason", "light_updated_at", "light_valid_until"})

    def save(self, *args, **kwargs) -> None:
        """Never write the derived light back: a task loaded before a recompute and saved
        after it would otherwise restore yesterday's light."""
        if not self._state.adding and self.pk is not None and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.DERIVED_FIELDS
            ]
        super().save(*args, **kwargs)


class Assignment(AuditedModel):
    """交办: exactly one lead unit; any number of co-units; the leader in charge."""

    task = models.OneToOneField(
        Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="assignment"
    )
    lead_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("牵头单位"),
        on_delete=models.PROTECT,
        related_name="lead_assignments",
    )
    co_units = models.ManyToManyField(
        "org.Unit", verbose_name=_("配合单位"), blank=True, related_name="co_assignments"
    )
    leader_in_charge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任领导"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_assignments",
    )
    responsible_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        blank=True,
        related_name="responsible_assignments",
    )
    responsible_text = models.CharField(_("责任人（文字）"), max_length=200, blank=True)
    assigned_at = models.DateTimeField(_("交办时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("交办")
        verbose_name_plural = _("交办")

    def __str__(self) -> str:
        return f"{self.task.code} → {self.lead_unit}"


class Milestone(AuditedModel):
    task = models.ForeignKey(
        Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="milestones"
    )
    name = models.CharField(_("阶段目标"), max_length=200)
    due_date = models.DateField(_("计划完成日期"))
    proportion = models.PositiveSmallIntegerField(_("权重（%）"), default=0)
    done_at = models.DateField(_("实际完成日期"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("阶段目标")
        verbose_name_plural = _("阶段目标")
        ordering = ["task", "sort_order", "due_date"]

    def __str__(self) -> str:
        return f"{self.name} ({self.due_date})"
