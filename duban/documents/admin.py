from django.contrib import admin

from duban.documents.models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "file_format", "encoding", "doc_date", "status", "created_at")
    list_filter = ("status", "file_format")
    search_fields = ("title",)
    readonly_fields = ("sha256", "encoding")
