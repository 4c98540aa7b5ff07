from django.contrib import admin

from baton.conversations.models import CannedResponse, Contact, Conversation, Message


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("profile_name", "wa_id", "user_id", "username")
    search_fields = ("profile_name", "wa_id", "user_id", "username")


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("pk", "contact", "inbox", "status", "owner", "team", "last_message_at")
    list_filter = ("status", "inbox", "team")
    raw_id_fields = ("contact", "owner")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("pk", "conversation", "direction", "type", "status", "timestamp")
    list_filter = ("direction", "type", "status")
    raw_id_fields = ("conversation", "reply_to", "author")


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("shortcut", "title", "team")
    list_filter = ("team",)
    search_fields = ("shortcut", "title", "text")
