from django.contrib import admin

from duban.supervision.models import (
    CalendarDay,
    Evidence,
    Notice,
    ProgressReport,
    ReportingSchedule,
    SupervisionSettings,
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
