"""Units form a tree (city → party committee / government → departments, districts).

Users hold roles *in a unit* through :class:`Membership`, because the same person can be a
clerk for one bureau and a viewer elsewhere, and the permission rules ask "which units
does this user act for, and in which role".
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duban.core.models import AuditedModel
from duban.org.choices import Role, UnitKind


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Stamp and remember each new password, whoever set it (form, CLI, admin, service).

        ``set_password`` leaves the raw password in ``_password`` until the next save; that
        is the one moment every path shares, so the history and the expiry clock are kept
        here instead of in each caller.
        """
        changed = self._password is not None
        if changed:
            self.password_changed_at = timezone.now()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "password" in update_fields:
                kwargs["update_fields"] = {*update_fields, "password_changed_at"}
        super().save(*args, **kwargs)
        if changed and self.password:
            PasswordHistory.objects.create(user=self, password=self.password)


class PasswordHistory(models.Model):
    """Hashes of a user's earlier passwords, so a new one cannot repeat the last few."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="password_history", verbose_name=_("用户")
    )
    password = models.CharField(_("密码散列"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"), default=timezone.now)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"


class LoginFailure(models.Model):
    """One failed log-in: by login name and by address, counted for the lockout.

    ``cleared`` is set when the office unlocks the account or the user logs in, so the
    row stays as evidence while it no longer counts.
    """

    username = models.CharField(_("用户名"), max_length=150, db_index=True)
    ip = models.GenericIPAddressField(_("地址"), null=True, blank=True, db_index=True)
    time = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    cleared = models.BooleanField(_("已解除"), default=False)

    class Meta:
        verbose_name = _("登录失败")
        verbose_name_plural = _("登录失败")
        ordering = ["-time", "-id"]

    def __str__(self) -> str:
        return f"{self.username} @ {self.ip} {self.time:%Y-%m-%d %H:%M}"


class Unit(AuditedModel):
    name = models.CharField(_("全称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    aliases = models.JSONField(_("别名"), default=list, blank=True)
    kind = models.CharField(_("类别"), max_length=12, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(_("单位代码"), max_length=30, blank=True)
    keywords = models.JSONField(_("职能关键词"), default=list, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.short_name or self.name


class Membership(AuditedModel):
    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("角色任职")
        verbose_name_plural = _("角色任职")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="org_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class ApiToken(models.Model):
    """A key for integrations: one user's roles, limited to reading or not, until a date.

    Only the SHA-256 of the key is stored (the key is shown once, when issued), so a copy
    of the database or a backup does not hand out working keys. Keys are 256 random bits,
    so a fast hash is enough: there is nothing to guess from a dictionary.
    """

    class Scope(models.TextChoices):
        READ = "read", _("只读")
        WRITE = "write", _("读写")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户")
    )
    key_hash = models.CharField(_("令牌散列"), max_length=64, unique=True)
    prefix = models.CharField(_("令牌开头"), max_length=12)
    scope = models.CharField(_("权限范围"), max_length=5, choices=Scope.choices)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("到期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}… ({self.scope})"
