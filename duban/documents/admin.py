from django.contrib import admin

from duban.documents.models import Document, LeadWeights


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "file_format", "encoding", "doc_date", "status", "created_at")
    list_filter = ("status", "file_format")
    search_fields = ("title",)
    readonly_fields = ("sha256", "encoding")


@admin.register(LeadWeights)
class LeadWeightsAdmin(admin.ModelAdmin):
    """Visible so an administrator can see what was learned, or clear it by deleting the row."""

    list_display = ("catalog", "corrections", "updated_at")
    readonly_fields = ("catalog", "weights", "corrections", "updated_at")

    def has_add_permission(self, request) -> bool:
        return False  # rows are made by learning, never by hand
