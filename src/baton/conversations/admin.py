"""Conversations in the admin are for looking only: every change goes through an action,
which is where the ownership lock and the audit trail are enforced."""

from django.contrib import admin

from baton.conversations.models import (
    Alert,
    AuditEvent,
    CannedResponse,
    Contact,
    Conversation,
    Handoff,
    Message,
)
from baton.core.admin import AuditedAdmin, ReadOnlyAdmin


@admin.register(Contact)
class ContactAdmin(AuditedAdmin):
    list_display = ("profile_name", "wa_id", "user_id", "username")
    search_fields = ("profile_name", "wa_id", "user_id", "username")


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ("pk", "contact", "inbox", "status", "owner", "team", "last_message_at")
    list_filter = ("status", "inbox", "team")
    raw_id_fields = ("contact", "owner")


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("pk", "conversation", "direction", "type", "status", "timestamp")
    list_filter = ("direction", "type", "status")
    raw_id_fields = ("conversation", "reply_to", "author")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "conversation", "actor", "from_owner", "to_owner")
    list_filter = ("kind",)
    search_fields = ("reason", "note")


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "conversation", "from_user", "to_user", "status", "reason")
    list_filter = ("status",)


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "conversation", "kind", "level", "cleared_at")
    list_filter = ("kind", "level")


@admin.register(CannedResponse)
class CannedResponseAdmin(AuditedAdmin):
    list_display = ("shortcut", "title", "team")
    list_filter = ("team",)
    search_fields = ("shortcut", "title", "text")
