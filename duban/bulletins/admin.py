from django.contrib import admin

from duban.bulletins.models import Bulletin


@admin.register(Bulletin)
class BulletinAdmin(admin.ModelAdmin):
    list_display = ("title", "number", "period_start", "period_end", "status")
    list_filter = ("status",)
