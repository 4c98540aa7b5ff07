from django.contrib import admin

from baton.core.admin import AuditedAdmin
from baton.whatsapp.models import DeadLetter, Inbox, MessageTemplate


@admin.register(Inbox)
class InboxAdmin(AuditedAdmin):
    list_display = ("name", "display_phone_number", "phone_number_id", "is_active")


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ("created_at", "reason", "phone_number_id", "detail")
    list_filter = ("reason",)
    readonly_fields = ("created_at",)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(AuditedAdmin):
    list_display = ("name", "language", "status", "body")
    list_filter = ("status", "language")
    search_fields = ("name", "body")
