"""Base model with audit and optimistic locking, and the append-only audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duban.core import audit


class ConflictError(Exception):
    """Someone else saved this object since it was loaded; the caller must reload.

    The web layer turns this into HTTP 409 with the current version, so the clerk's text
    is shown again instead of being silently overwritten or lost.
    """

    def __init__(self, instance: models.Model, expected: int, found: int | None) -> None:
        self.instance = instance
        self.expected = expected
        self.found = found
        super().__init__(
            _("“{obj}”已被他人修改（您的版本 {mine}，当前版本 {theirs}），请刷新后重试。").format(
                obj=instance, mine=expected, theirs=found
            )
        )


class AuditedModel(models.Model):
    """Every save and delete writes an :class:`AuditEntry` in the same transaction.

    ``version`` increases on each save. A save whose loaded version is no longer the one in
    the database raises :class:`ConflictError` instead of overwriting the other writer.
    """

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    audit_exclude: tuple[str, ...] = ("updated_at", "version")

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding or self.pk is None
        with transaction.atomic(using=kwargs.get("using")):
            before = None
            if not adding:
                before = getattr(self, "_audit_loaded", None)
                manager = type(self)._base_manager
                if before is None:
                    before = audit.snapshot(manager.get(pk=self.pk))
                expected = self.version
                # The compare-and-increment is the lock: only one writer can move the
                # version from the value both of them loaded.
                updated = manager.filter(pk=self.pk, version=expected).update(
                    version=F("version") + 1
                )
                if not updated:
                    found = manager.filter(pk=self.pk).values_list("version", flat=True).first()
                    raise ConflictError(self, expected, found)
                self.version = expected + 1
            super().save(*args, **kwargs)
            after = audit.snapshot(self)
            if adding:
                audit.write_entry(self, "create", after=after)
            elif audit.diff(before, after):
                audit.write_entry(self, "update", before=before, after=after)
            self._audit_loaded = after

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        with transaction.atomic(using=kwargs.get("using")):
            before = audit.snapshot(self)
            pk = self.pk
            result = super().delete(*args, **kwargs)
            self.pk = pk  # so the entry names the deleted row
            audit.write_entry(self, "delete", before=before)
            self.pk = None
            return result

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if instance._has_all_fields():
            # The "before" of a later save, taken lazily: a page reads hundreds of rows and
            # saves none, and turning each into JSON was a fifth of a task page's time.
            # Lists and dicts (JSON columns) are copied now, since code may change them in
            # place before it saves; the other values are immutable.
            instance.__dict__["_audit_raw"] = (
                field_names,
                tuple(audit.jsonable(v) if isinstance(v, dict | list) else v for v in values),
            )
        return instance

    @property
    def _audit_loaded(self) -> dict[str, Any] | None:
        """The row as it was loaded, as :func:`audit.snapshot` gives it (None if partial)."""
        d = self.__dict__
        if "_audit_snap" not in d:
            raw = d.get("_audit_raw")
            if raw is None:
                return None
            exclude = self.audit_exclude
            d["_audit_snap"] = {
                name: audit.jsonable(value)
                for name, value in zip(*raw, strict=True)
                if name not in exclude
            }
        return d["_audit_snap"]

    @_audit_loaded.setter
    def _audit_loaded(self, value: dict[str, Any] | None) -> None:
        self.__dict__["_audit_snap"] = value

    def _has_all_fields(self) -> bool:
        deferred = self.get_deferred_fields()
        return not deferred


class AuditEntryQuerySet(models.QuerySet):
    """The log is append-only: the ORM's bulk paths refuse to change or remove rows."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError(_("审计记录只能追加，不能修改。"))

    def delete(self) -> Any:
        raise PermissionError(_("审计记录只能追加，不能删除。"))

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise PermissionError(_("审计记录只能追加，不能修改。"))


class AuditEntry(models.Model):
    ACTIONS = [
        ("create", _("新建")),
        ("update", _("修改")),
        ("delete", _("删除")),
        ("event", _("业务事件")),
    ]

    time = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人名称"), max_length=150, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=100)
    object_id = models.CharField(_("对象编号"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    action = models.CharField(_("动作"), max_length=10, choices=ACTIONS)
    event = models.CharField(_("事件"), max_length=64, blank=True)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    changed = models.JSONField(_("变更字段"), default=list, blank=True)
    note = models.TextField(_("说明"), blank=True)
    request_id = models.CharField(_("请求编号"), max_length=32, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError(_("审计记录只能追加，不能修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(_("审计记录只能追加，不能删除。"))

    @classmethod
    def for_object(cls, instance: models.Model) -> AuditEntryQuerySet:
        return cls.objects.filter(
            object_type=instance._meta.label_lower, object_id=str(instance.pk)
        )


class Job(models.Model):
    """One unit of background work in the database-backed queue (``duban worker``).

    Jobs are idempotent by ``key``: enqueuing the same key while one is pending does not add
    a second. A job runs inside one transaction, so a crash halfway leaves nothing behind
    and the job is simply retried.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("等待")
        RUNNING = "running", _("运行中")
        DONE = "done", _("完成")
        FAILED = "failed", _("失败")

    name = models.CharField(_("任务名"), max_length=100, db_index=True)
    key = models.CharField(_("去重键"), max_length=200, blank=True, db_index=True)
    args = models.JSONField(_("参数"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    run_after = models.DateTimeField(_("计划时间"), db_index=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("最多尝试"), default=5)
    locked_by = models.CharField(_("执行者"), max_length=100, blank=True)
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    result = models.JSONField(_("结果"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["run_after", "id"]

    def __str__(self) -> str:
        return f"{self.name} [{self.status}]"


class OutboxMessage(models.Model):
    """One message to the outside world (an e-mail, a webhook call), written in the same
    transaction as the change that caused it and sent later by a job.

    ``key`` is the idempotency key: unique here, so the same event never queues a second
    message, and sent along with the message (``Idempotency-Key`` header, a stable e-mail
    ``Message-ID``) so a receiver can drop a repeat. ``sent_at`` is set in its own
    transaction right after the send: a retry of the job finds it and does not send again.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("邮件")
        WEBHOOK = "webhook", _("网络钩子")
        # A district's instance reporting its progress to the city's API (区县).
        CASCADE = "cascade", _("区县进展回传")

    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    key = models.CharField(_("幂等键"), max_length=200, unique=True)
    payload = models.JSONField(_("内容"), default=dict)
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    result = models.JSONField(_("结果"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.key}"


class IdempotentRequest(models.Model):
    """The first answer to a creating API request sent with an ``Idempotency-Key``.

    A client on a bad line (a clerk's phone in the field) cannot tell a lost answer from a
    lost request, so it sends the same key again; the second request gets this answer back
    and creates nothing. Keys are per user and last ``DUBAN_IDEMPOTENCY_HOURS`` (24).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_user_key")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
