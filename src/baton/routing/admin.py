"""Admin for rules and business hours: saves and deletes go through the routing actions, so
the admin validates the same way and leaves the same audit trail as the manager pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from baton.routing.forms import BusinessHoursForm, RoutingRuleForm
from baton.routing.models import BusinessHours, RoutingRule
from baton.routing.rule_actions import (
    do_delete_business_hours,
    do_delete_routing_rule,
    do_save_business_hours,
    do_save_routing_rule,
)


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ("name", "inbox", "position", "enabled", "updated_by", "updated_at")
    list_filter = ("enabled", "inbox")
    ordering = ("inbox", "position", "id")
    search_fields = ("name",)

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
