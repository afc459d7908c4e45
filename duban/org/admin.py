from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from duban.org.models import ApiToken, LoginFailure, Membership, Unit, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("unit",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("联系方式"), {"fields": ("display_name", "phone")}),
    )
    list_display = ("username", "display_name", "email", "is_active", "is_staff")
    inlines = (MembershipInline,)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "unit", "role")
    list_filter = ("role",)
    autocomplete_fields = ("user", "unit")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by ``duban token`` (the key is shown once); here they are listed
    and revoked (deleted). Only the hash is stored, so nothing here reveals a key."""

    list_display = ("user", "prefix", "scope", "created_at", "expires_at", "last_used_at")
    list_filter = ("scope",)
    search_fields = ("user__username", "prefix")
    readonly_fields = ("user", "key_hash", "prefix", "scope", "created_at", "last_used_at")

    def has_add_permission(self, request: Any) -> bool:
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Failed log-ins, read-only; unlocking is on the office's user page."""

    list_display = ("time", "username", "ip", "cleared")
    list_filter = ("cleared",)
    search_fields = ("username", "ip")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
