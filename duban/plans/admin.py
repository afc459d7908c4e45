from django.contrib import admin

from duban.plans.models import Assignment, FrameworkNode, Milestone, Plan, Task


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("title", "year", "status", "confirmed_at")
    list_filter = ("status", "year")
    search_fields = ("title",)


@admin.register(FrameworkNode)
class FrameworkNodeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "plan", "parent")
    list_filter = ("plan",)
    search_fields = ("name",)


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("code", "text", "status", "light", "deadline", "progress")
    list_filter = ("plan", "status", "light", "kind")
    search_fields = ("text", "code")
    inlines = (MilestoneInline,)
    raw_id_fields = ("parent", "source_document")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("task", "lead_unit", "leader_in_charge", "assigned_at")
    autocomplete_fields = ("lead_unit", "co_units")
    raw_id_fields = ("task",)


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ("name", "task", "due_date", "proportion", "done_at")
    raw_id_fields = ("task",)
