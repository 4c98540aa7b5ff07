from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from baton.agents.models import Team, TeamMembership, User


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0


@admin.register(User)
class BatonUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Baton", {"fields": ("role", "display_name")}))
    list_display = ("username", "display_name", "role", "is_active")
    list_filter = ("role", "is_active")
    inlines = [MembershipInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "is_default")
    inlines = [MembershipInline]
