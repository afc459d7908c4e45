"""The Django admin's view of instructions: for looking things up; changes go through the
pages and the API, whose services check permissions and write the business events."""

from django.contrib import admin

from duban.instructions.models import Instruction, InstructionReply


class ReplyInline(admin.TabularInline):
    model = InstructionReply
    extra = 0
    fields = ("unit", "replied_on", "status", "text")
    readonly_fields = fields


@admin.register(Instruction)
class InstructionAdmin(admin.ModelAdmin):
    list_display = (
        "leader_name",
        "instructed_on",
        "source_title",
        "lead_unit",
        "reply_by",
        "status",
    )
    list_filter = ("status", "leader_name")
    search_fields = ("leader_name", "source_title", "content")
    inlines = [ReplyInline]
