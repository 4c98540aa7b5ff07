from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from baton.agents.models import Shift, Team, TeamMembership, TimeOff, User
from baton.core.admin import AuditedAdmin


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    fields = ("team", "user", "is_manager", "capacity_override")


class ShiftInline(admin.TabularInline):
    model = Shift
    extra = 0
    fields = ("user", "team", "weekday", "start", "end")


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0
    fields = ("first_day", "last_day", "reason")


@admin.register(User)
class BatonUserAdmin(AuditedAdmin, UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Baton", {"fields": ("role", "display_name")}),
        (
            "Availability",
            {"fields": ("presence", "max_open_conversations", "last_active_at")},
        ),
    )
    readonly_fields = ("last_active_at",)
    list_display = ("username", "display_name", "role", "presence", "is_active")
    list_filter = ("role", "presence", "is_active")
    inlines = [MembershipInline, ShiftInline, TimeOffInline]


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ("name", "is_default", "assignment_strategy", "default_capacity", "time_zone")
    fieldsets = (
        (None, {"fields": ("name", "is_default")}),
        (
            "Routing",
            {
                "fields": (
                    "assignment_strategy",
                    "default_capacity",
                    "sticky_days",
                    "time_zone",
                    "end_of_shift",
                )
            },
        ),
        (
            "Escalation",
            {
                "fields": (
                    "stale_after_seconds",
                    "handoff_timeout_seconds",
                    "owner_silent_minutes",
                    "owner_silent_action",
                    "overflow_after_minutes",
                    "fallback_team",
                )
            },
        ),
    )
    inlines = [MembershipInline, ShiftInline, TimeOffInline]

    def has_delete_permission(self, request, obj=None):
        # New conversations and users land in the default team: it must always exist.
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Shift)
class ShiftAdmin(AuditedAdmin):
    list_display = ("user", "team", "weekday", "start", "end")
    list_filter = ("team", "weekday")


@admin.register(TimeOff)
class TimeOffAdmin(AuditedAdmin):
    list_display = ("user", "team", "first_day", "last_day", "reason")
    list_filter = ("team",)
