"""Bot flows in the admin: flows are configuration (audited); versions, sessions and
ratings are records, shown read-only."""

from django.contrib import admin

from baton.bots.models import AgentBot, BotSession, CsatResponse, Flow, FlowVersion
from baton.core.admin import AuditedAdmin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Flow)
class FlowAdmin(AuditedAdmin):
    list_display = ("name", "enabled", "start_on", "inbox", "current_version")
    list_filter = ("enabled", "start_on")
    fields = ("name", "enabled", "start_on", "inbox")
    # The name and start come from the definition: edit those through a new version.
    readonly_fields = ("name", "start_on")

    def has_add_permission(self, request):
        return False


@admin.register(FlowVersion)
class FlowVersionAdmin(ReadOnlyAdmin):
    list_display = ("flow", "number", "created_by", "created_at")


@admin.register(BotSession)
class BotSessionAdmin(ReadOnlyAdmin):
    list_display = ("conversation", "flow_version", "state", "step", "waiting_until", "started_at")
    list_filter = ("state",)


@admin.register(CsatResponse)
class CsatResponseAdmin(ReadOnlyAdmin):
    list_display = ("conversation", "score", "last_agent", "team", "created_at")
    list_filter = ("score",)


@admin.register(AgentBot)
class AgentBotAdmin(AuditedAdmin):
    """Change an agent bot's URL, switch it off, choose what it greets. Create one with
    ``do_create_agent_bot`` (it makes the bot user, its secret and its API token)."""

    list_display = ("user", "webhook_url", "enabled", "greets_new_conversations", "inbox")
    list_filter = ("enabled", "greets_new_conversations")
    fields = ("user", "webhook_url", "enabled", "greets_new_conversations", "inbox")
    readonly_fields = ("user",)

    def has_add_permission(self, request):
        return False
