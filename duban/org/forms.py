"""Forms of the office's manage pages: units, users and roles, passwords."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from duban.org.choices import Role
from duban.org.models import Unit, User
from duban.supervision.forms import VersionField


class UnitForm(forms.ModelForm):
    version = VersionField()

    class Meta:
        model = Unit
        fields = ["name", "short_name", "kind", "parent", "sort_order", "is_active"]
        error_messages = {
            "name": {"unique": _("已有同名单位。"), "required": _("请填写单位全称。")},
            "kind": {"required": _("请选择单位类别。")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Unit.objects.order_by("sort_order", "id")
        self.fields["parent"].empty_label = _("（无上级）")
        self.fields["sort_order"].required = False

    def clean_sort_order(self) -> int:
        return self.cleaned_data.get("sort_order") or 0

    def clean_parent(self) -> Unit | None:
        parent = self.cleaned_data.get("parent")
        node = parent
        # A unit may not sit under itself or one of its own descendants.
        while node is not None and self.instance.pk:
            if node.pk == self.instance.pk:
                raise forms.ValidationError(_("上级单位不能是本单位或其下级单位。"))
            node = node.parent
        return parent


def _role_choices() -> list[tuple[str, Any]]:
    return [("", _("请选择")), *Role.choices]


class RoleForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("单位"),
        queryset=Unit.objects.filter(is_active=True).order_by("sort_order", "id"),
        error_messages={"required": _("请选择单位。")},
    )
    role = forms.ChoiceField(
        label=_("角色"), choices=_role_choices, error_messages={"required": _("请选择角色。")}
    )


class PasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("再次输入新密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif p1:
            try:
                password_validation.validate_password(p1, self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class UserCreateForm(PasswordForm):
    username = forms.RegexField(
        label=_("用户名"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={
            "invalid": _("用户名只能包含字母、数字和 @ . + - _ 字符。"),
            "required": _("请填写用户名。"),
        },
    )
    display_name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    unit = forms.ModelChoiceField(
        label=_("单位"),
        queryset=Unit.objects.filter(is_active=True).order_by("sort_order", "id"),
        error_messages={"required": _("请选择单位。")},
    )
    role = forms.ChoiceField(
        label=_("角色"), choices=_role_choices, error_messages={"required": _("请选择角色。")}
    )
    field_order = ["username", "display_name", "unit", "role", "password1", "password2"]

    def clean(self) -> dict[str, Any]:
        # The policy's "not containing the login" needs the login being created.
        self.user = User(username=self.data.get("username", ""))
        return super().clean()

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(_("用户名“{name}”已存在。").format(name=username))
        return username


class LoginForm(AuthenticationForm):
    """The log-in form: a locked login or address is told so, in Chinese, with the wait."""

    error_messages = {
        "invalid_login": _("用户名或密码不正确，请重新输入。"),
        "inactive": _("该账号已停用，请联系督查室。"),
    }

    def clean(self) -> dict[str, Any]:
        from duban.org import authn

        username = self.cleaned_data.get("username")
        if username:
            until = authn.locked_until(username, authn.client_ip(self.request))
            if until is not None:
                authn.record_failure(username, authn.client_ip(self.request))
                raise forms.ValidationError(authn.lock_message(until), code="locked")
        return super().clean()


class OwnPasswordChangeForm(PasswordChangeForm):
    """A user changes their own password (also when it has expired), under the policy."""

    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": _("原密码不正确，请重新输入。"),
        "password_mismatch": _("两次输入的密码不一致。"),
    }
