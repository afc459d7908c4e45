from django.contrib import admin

from duban.projects.models import MonthlyProgress, Project, ProjectPhoto, Sector


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("name", "sort_order")


class MonthlyProgressInline(admin.TabularInline):
    model = MonthlyProgress
    extra = 0
    fields = ("month", "completed", "image_progress")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "year", "sector", "lead_unit", "annual_plan", "status")
    list_filter = ("year", "sector", "status")
    search_fields = ("code", "name")
    raw_id_fields = ("task",)
    inlines = (MonthlyProgressInline,)


@admin.register(ProjectPhoto)
class ProjectPhotoAdmin(admin.ModelAdmin):
    list_display = ("name", "progress", "size", "width", "height")
    raw_id_fields = ("progress",)
