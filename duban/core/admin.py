"""The audit log in the admin: readable by the office, never editable."""

from django.contrib import admin

from duban.core.models import AuditEntry, Job, OutboxMessage


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("time", "actor_name", "action", "event", "object_type", "object_repr")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "actor_name", "event", "object_id")
    date_hierarchy = "time"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "status", "attempts", "run_after", "finished_at")
    list_filter = ("status", "name")
    readonly_fields = ("result", "error")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("channel", "key", "attempts", "sent_at", "created_at")
    list_filter = ("channel",)
    readonly_fields = ("payload", "result")
