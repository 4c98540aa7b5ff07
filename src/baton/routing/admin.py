"""Admin for rules and business hours: saves and deletes go through the routing actions, so
the admin validates the same way and leaves the same audit trail as the manager pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from baton.conversations.queries import managed_team_ids
from baton.routing.forms import BusinessHoursForm, RoutingRuleForm
from baton.routing.models import BusinessHours, RoutingRule
from baton.routing.rule_actions import (
    do_delete_business_hours,
    do_delete_routing_rule,
    do_save_business_hours,
    do_save_routing_rule,
)


def is_admin(request: HttpRequest) -> bool:
    # The admin's login page asks too, before anyone has signed in.
    user = request.user
    return user.is_authenticated and managed_team_ids(user) is None


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    """Admins only, even for staff accounts given model permissions: the admin lists every
    team's rules, and the team walls (``routing.queries.TeamWalls``) are for the manager
    pages. The actions would refuse a manager anyway; this keeps the refusal a clean 403."""

    form = RoutingRuleForm
    list_display = ("name", "inbox", "position", "enabled", "updated_by", "updated_at")
    list_filter = ("enabled", "inbox")
    ordering = ("inbox", "position", "id")
    search_fields = ("name",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_admin(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request) and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        do_save_routing_rule(obj, request.user)  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        do_delete_routing_rule(obj, request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for rule in queryset:
            do_delete_routing_rule(rule, request.user)  # type: ignore[arg-type]


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    form = BusinessHoursForm
    list_display = ("__str__", "inbox", "time_zone", "updated_by", "updated_at")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        do_save_business_hours(obj, request.user)  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        do_delete_business_hours(obj, request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for hours in queryset:
            do_delete_business_hours(hours, request.user)  # type: ignore[arg-type]
