"""Reporting rhythm, progress reports with evidence, and notices along the chasing ladder."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from duban.core.models import AuditedModel
from duban.supervision.choices import Frequency, NoticeLevel, NoticeStatus, ReportStatus


class ReportingSchedule(AuditedModel):
    task = models.OneToOneField(
        "plans.Task",
        verbose_name=_("任务"),
        on_delete=models.CASCADE,
        related_name="reporting_schedule",
    )
    frequency = models.CharField(
        _("报送频次"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    # weekly: 1=Monday … 7=Sunday; monthly/quarterly: day of month (last month of quarter)
    day = models.PositiveSmallIntegerField(_("报送日"), default=25)
    starts_on = models.DateField(_("开始报送日期"))
    ends_on = models.DateField(_("结束报送日期"), null=True, blank=True)
    co_units_report = models.BooleanField(_("配合单位报送"), default=True)

    class Meta:
        verbose_name = _("报送计划")
        verbose_name_plural = _("报送计划")

    def __str__(self) -> str:
        return f"{self.task.code} {self.get_frequency_display()}"


class ProgressReport(AuditedModel):
    task = models.ForeignKey(
        "plans.Task", verbose_name=_("任务"), on_delete=models.CASCADE, related_name="reports"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="reports"
    )
    period_start = models.DateField(_("报送周期开始"))
    period_end = models.DateField(_("报送周期结束"))
    due_date = models.DateField(_("应报日期"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=15, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    percent = models.PositiveSmallIntegerField(_("完成进度（%）"), default=0)
    progress = models.TextField(_("工作进展"), blank=True)
    problems = models.TextField(_("存在问题"), blank=True)
    next_steps = models.TextField(_("下步打算"), blank=True)
    coordination_request = models.TextField(_("需协调事项"), blank=True)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_late = models.BooleanField(_("逾期报送"), default=False)
    return_reason = models.TextField(_("退回原因"), blank=True)
    # Filed by a district running its own duban (区县, docs/cascade.md): the city's
    # endpoint for it that the signature was checked with, and that signature.
    remote_source = models.CharField(_("远程区县系统"), max_length=100, blank=True)
    remote_signature = models.CharField(_("远程签名"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")
        ordering = ["task", "-period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "unit", "period_end"], name="supervision_report_one_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task.code} {self.unit} {self.period_end}"

    @property
    def submitter(self) -> Any:
        """Who the pages name as its sender: the district itself for a remote district's
        report (「金水区（远程）」), not the holder of the token it came with."""
        if self.remote_source:
            return gettext("{unit}（远程）").format(unit=self.unit)
        return self.submitted_by


class Evidence(AuditedModel):
    report = models.ForeignKey(
        ProgressReport,
        verbose_name=_("进展报告"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    closure = models.ForeignKey(
        "ClosureRequest",
        verbose_name=_("销号申请"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    file = models.FileField(_("佐证材料"), upload_to="evidence/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("大小"), default=0)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")

    def __str__(self) -> str:
        return self.name


class Notice(AuditedModel):
    """A reminder, 催办, 督办, 通报 or coordination request, addressed to one unit.

    A notice is about a task, or (for a leader's instruction not turned into a task, see
    duban/instructions) about that instruction: exactly one of the two is set. The ladder,
    the inbox, the desk and the notice document are the same for both.
    """

    task = models.ForeignKey(
        "plans.Task",
        verbose_name=_("任务"),
        on_delete=models.CASCADE,
        related_name="notices",
        null=True,
        blank=True,
    )
    instruction = models.ForeignKey(
        "instructions.Instruction",
        verbose_name=_("领导批示"),
        on_delete=models.CASCADE,
        related_name="notices",
        null=True,
        blank=True,
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("主送单位"), on_delete=models.PROTECT, related_name="notices"
    )
    level = models.CharField(_("级别"), max_length=15, choices=NoticeLevel.choices)
    number = models.CharField(_("文号"), max_length=50, blank=True)
    reason = models.TextField(_("事由"))
    reply_deadline = models.DateField(_("回复期限"), null=True, blank=True)
    reply = models.TextField(_("回复"), blank=True)
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.OPEN
    )
    # The same event (task, unit, level, period) must never produce a second notice.
    dedup_key = models.CharField(_("去重键"), max_length=120, unique=True)

    class Meta:
        verbose_name = _("督办通知")
        verbose_name_plural = _("督办通知")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(task__isnull=False, instruction__isnull=True)
                | models.Q(task__isnull=True, instruction__isnull=False),
                name="notice_about_a_task_or_an_instruction",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.subject_code} → {self.unit}"

    @property
    def subject_code(self) -> str:
        """What the notice is about, in a few characters: the task's number, or 批示 and
        the instruction's id."""
        if self.task_id is not None:
            return self.task.code or str(self.task_id)
        return f"批示{self.instruction_id}"

    @property
    def subject_text(self) -> str:
        if self.task_id is not None:
            return self.task.text
        instruction = self.instruction
        return f"{instruction.leader_name}同志批示：{instruction.content}"

    @property
    def subject_url(self) -> str:
        if self.task_id is not None:
            return f"/tasks/{self.task_id}/"
        return f"/instructions/{self.instruction_id}/"


class CalendarDay(AuditedModel):
    """An exception to the packaged Chinese holiday calendar, kept by the office.

    The packaged calendar covers the years it was published for; for later years (or a
    local holiday) the office adds days here, and they win over the package.
    """

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("工作日历调整")
        verbose_name_plural = _("工作日历调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '休息'} {self.note}".strip()


class SupervisionSettings(AuditedModel):
    """The office's thresholds: one row (pk=1), edited in the admin pages."""

    yellow_lag_percent = models.PositiveSmallIntegerField(
        _("进度滞后黄灯阈值（百分点）"), default=10
    )
    red_lag_percent = models.PositiveSmallIntegerField(_("进度滞后红灯阈值（百分点）"), default=30)
    milestone_warning_days = models.PositiveSmallIntegerField(
        _("阶段目标临近提醒（工作日）"), default=5
    )
    missing_reports_for_red = models.PositiveSmallIntegerField(_("缺报几次亮红灯"), default=2)
    # 对标对表: how far (percent of the plan) an indicator's latest actual may fall behind.
    indicator_yellow_gap_percent = models.PositiveSmallIntegerField(
        _("指标落后计划黄灯阈值（%）"), default=5
    )
    indicator_red_gap_percent = models.PositiveSmallIntegerField(
        _("指标落后计划红灯阈值（%）"), default=15
    )
    reminder_before_days = models.PositiveSmallIntegerField(_("报送前提醒（天）"), default=3)
    chase_after_days = models.PositiveSmallIntegerField(_("逾期几天催办"), default=1)
    supervise_after_days = models.PositiveSmallIntegerField(_("逾期几天督办"), default=5)
    criticize_after_days = models.PositiveSmallIntegerField(_("逾期几天通报"), default=15)
    reply_days = models.PositiveSmallIntegerField(_("回复期限（工作日）"), default=3)

    class Meta:
        verbose_name = _("督办参数")
        verbose_name_plural = _("督办参数")

    def __str__(self) -> str:
        return str(_("督办参数"))

    @classmethod
    def current(cls) -> SupervisionSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class ClosureRequest(AuditedModel):
    """办结/销号: the lead unit asks, the office decides; 整改 needs a verification note."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已销号")
        RETURNED = "returned", _("已退回")

    task = models.ForeignKey(
        "plans.Task", verbose_name=_("任务"), on_delete=models.CASCADE, related_name="closures"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("申请单位"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("完成情况"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decision_note = models.TextField(_("审核意见"), blank=True)
    verification_note = models.TextField(_("整改核验意见"), blank=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("销号申请")
        verbose_name_plural = _("销号申请")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.task.code} {self.get_status_display()}"


class Comment(AuditedModel):
    task = models.ForeignKey(
        "plans.Task", verbose_name=_("任务"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作者"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("内容"))
    # A leader's (or the office's) praise of the task's work: counted by 考核 as a bonus
    # for the lead unit.
    praise = models.BooleanField(_("表扬"), default=False)

    class Meta:
        verbose_name = _("批示与评论")
        verbose_name_plural = _("批示与评论")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:40]


class LightDaily(models.Model):
    """How many tasks of a plan showed each light on a day: the battle map's trend line.

    Written by :func:`duban.supervision.lights.recompute_lights` (one row per plan and day,
    overwritten by a later run the same day). Derived data, so not audited.
    """

    date = models.DateField(_("日期"))
    plan = models.ForeignKey(
        "plans.Plan", verbose_name=_("方案"), on_delete=models.CASCADE, related_name="+"
    )
    green = models.PositiveIntegerField(_("绿灯"), default=0)
    yellow = models.PositiveIntegerField(_("黄灯"), default=0)
    red = models.PositiveIntegerField(_("红灯"), default=0)
    closed = models.PositiveIntegerField(_("已办结"), default=0)

    class Meta:
        verbose_name = _("每日亮灯统计")
        verbose_name_plural = _("每日亮灯统计")
        ordering = ["plan", "date"]
        constraints = [
            models.UniqueConstraint(fields=["date", "plan"], name="supervision_lightdaily_one")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.plan_id}: {self.red}/{self.yellow}/{self.green}"


class UnitRedDaily(models.Model):
    """How many of a unit's tasks were red on a day: 考核's red-light days.

    Lights keep no history per task; the nightly recompute records this tally per lead unit
    (:func:`duban.supervision.lights.recompute_lights`), so a period's red-light days are
    the sum over the days it ran. Derived data, so not audited.
    """

    date = models.DateField(_("日期"))
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+"
    )
    red = models.PositiveIntegerField(_("红灯任务数"))

    class Meta:
        verbose_name = _("每日红灯任务（按单位）")
        verbose_name_plural = _("每日红灯任务（按单位）")
        ordering = ["date", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["date", "unit"], name="supervision_unitred_one")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.unit_id}: {self.red}"


def new_feed_token() -> str:
    """A fresh calendar-feed secret: 32 random bytes, URL-safe (43 characters)."""
    import secrets

    return secrets.token_urlsafe(32)


class CalendarFeed(AuditedModel):
    """A secret .ics address with one user's or one unit's deadlines (``/calendar/<token>.ics``).

    Calendar programs cannot log in, so the token is the only credential: it is never written
    to the audit log, and a leaked address is revoked (a new one is issued instead).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    token = models.CharField(_("令牌"), max_length=64, unique=True, default=new_feed_token)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    audit_exclude = ("updated_at", "version", "token")

    class Meta:
        verbose_name = _("日历订阅")
        verbose_name_plural = _("日历订阅")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, unit__isnull=True)
                    | models.Q(user__isnull=True, unit__isnull=False)
                ),
                name="supervision_calendarfeed_user_xor_unit",
            )
        ]

    def __str__(self) -> str:
        owner = self.unit if self.unit_id else self.user
        return f"{_('日历订阅')} · {owner}"


class Notification(models.Model):
    """The in-app inbox: one row per recipient; e-mail and webhooks are sent by jobs."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    notice = models.ForeignKey(
        Notice, verbose_name=_("督办通知"), null=True, blank=True, on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


class WebhookEndpoint(AuditedModel):
    """An outgoing webhook: a generic JSON receiver, or a 企业微信 / 钉钉 group robot."""

    class Kind(models.TextChoices):
        GENERIC = "generic", _("通用 JSON")
        WECOM = "wecom", _("企业微信机器人")
        DINGTALK = "dingtalk", _("钉钉机器人")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    url = models.URLField(_("地址"), max_length=500)
    secret = models.CharField(_("签名密钥"), max_length=200, blank=True)
    units = models.ManyToManyField(
        "org.Unit",
        verbose_name=_("只推送这些单位"),
        blank=True,
        related_name="+",
        help_text=_("留空表示推送全部单位的通知。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    # A district running its own duban (区县, docs/cascade.md): tasks assigned to this unit
    # are sent here as ``task.cascaded`` events, and notices are not.
    district = models.ForeignKey(
        "org.Unit",
        verbose_name=_("远程区县"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cascade_endpoints",
    )

    audit_exclude = ("updated_at", "version", "secret")

    class Meta:
        verbose_name = _("消息推送地址")
        verbose_name_plural = _("消息推送地址")

    def __str__(self) -> str:
        return self.name


class LightRun(models.Model):
    """One run of the light recompute over all tasks: where the next incremental run
    starts from. Derived bookkeeping, so not audited.

    ``fingerprint`` covers what every light depends on besides a task's own facts (the
    thresholds, the office's calendar days, the rules' version): when it differs, the next
    run recomputes every task.
    """

    started_at = models.DateTimeField(_("开始时间"), db_index=True)
    day = models.DateField(_("计算日期"))
    fingerprint = models.CharField(_("规则指纹"), max_length=64)
    full = models.BooleanField(_("全量"), default=True)
    tasks = models.PositiveIntegerField(_("计算任务数"), default=0)
    changed = models.PositiveIntegerField(_("变化数"), default=0)

    class Meta:
        verbose_name = _("亮灯计算记录")
        verbose_name_plural = _("亮灯计算记录")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.day} {self.tasks}/{self.changed}"


class RemoteTask(AuditedModel):
    """On a district's own instance: a task received from the city's instance.

    Its progress is pushed back to ``city_task_id`` on the city's API
    (duban/supervision/cascade_remote.py).
    """

    task = models.OneToOneField(
        "plans.Task", verbose_name=_("任务"), on_delete=models.CASCADE, related_name="remote"
    )
    city_plan_id = models.PositiveIntegerField(_("市级方案编号"))
    city_task_id = models.PositiveIntegerField(_("市级任务编号"), unique=True)
    district_name = models.CharField(_("区县"), max_length=100)

    class Meta:
        verbose_name = _("市级交办任务")
        verbose_name_plural = _("市级交办任务")

    def __str__(self) -> str:
        return f"{self.task} ← {self.city_task_id}"


class CascadeInbound(models.Model):
    """An accepted ``task.cascaded`` delivery by its ``Idempotency-Key``: a repeat gets the
    first answer and changes nothing."""

    key = models.CharField(max_length=200, unique=True)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.key
