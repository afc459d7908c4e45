from django.contrib import admin

from duban.supervision.models import (
    CalendarDay,
    Evidence,
    Notice,
    Notification,
    ProgressReport,
    ReportingSchedule,
    SupervisionSettings,
    WebhookEndpoint,
)


@admin.register(ReportingSchedule)
class ReportingScheduleAdmin(admin.ModelAdmin):
    list_display = ("task", "frequency", "day", "starts_on", "ends_on")
    list_filter = ("frequency",)
    raw_id_fields = ("task",)


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0


@admin.register(ProgressReport)
class ProgressReportAdmin(admin.ModelAdmin):
    list_display = ("task", "unit", "period_end", "due_date", "status", "percent", "is_late")
    list_filter = ("status", "is_late")
    raw_id_fields = ("task",)
    inlines = (EvidenceInline,)


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ("name", "report", "size")
    raw_id_fields = ("report",)


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("level", "task", "unit", "reply_deadline", "status", "created_at")
    list_filter = ("level", "status")
    raw_id_fields = ("task",)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "note")
    list_filter = ("is_workday",)


@admin.register(SupervisionSettings)
class SupervisionSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not SupervisionSettings.objects.exists()


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "url", "is_active")
    list_filter = ("kind", "is_active")
    filter_horizontal = ("units",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "created_at", "read_at")
    list_filter = ("read_at",)
    raw_id_fields = ("user", "notice")
