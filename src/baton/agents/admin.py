from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from baton.agents.models import Team, TeamMembership, User
from baton.core.admin import AuditedAdmin


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0


@admin.register(User)
class BatonUserAdmin(AuditedAdmin, UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Baton", {"fields": ("role", "display_name", "presence")}),
    )
    list_display = ("username", "display_name", "role", "presence", "is_active")
    list_filter = ("role", "presence", "is_active")
    inlines = [MembershipInline]


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ("name", "is_default", "stale_after_seconds", "handoff_timeout_seconds")
    inlines = [MembershipInline]

    def has_delete_permission(self, request, obj=None):
        # New conversations and users land in the default team: it must always exist.
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)
