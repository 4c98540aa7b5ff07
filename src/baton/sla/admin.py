"""Admin for SLA: policies are edited through the configuration actions (validated by
``sla.policies.validate_policy``, audited, open conversations re-evaluated), so the admin
leaves the same trail as the ``/sla/`` page and the API; clocks and records are read-only
(only ``sla.actions`` writes them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from baton.core.admin import ReadOnlyAdmin
from baton.sla.actions import POLICY_FIELDS, do_create_policy, do_delete_policy, do_update_policy
from baton.sla.forms import SlaPolicyAdminForm
from baton.sla.models import ConversationSla, SlaPolicy, SlaRecord


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyAdminForm
    list_display = (
        "name",
        "position",
        "enabled",
        "first_response_seconds",
        "next_response_seconds",
        "resolution_seconds",
        "warn_before_seconds",
        "business_hours",
    )
    list_filter = ("enabled", "business_hours")
    ordering = ("position", "id")
    search_fields = ("name",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        values = {
            field: form.cleaned_data[field] for field in POLICY_FIELDS if field in form.cleaned_data
        }
        if change:
            saved = do_update_policy(request.user, obj.pk, values)  # type: ignore[arg-type]
        else:
            saved = do_create_policy(request.user, values)  # type: ignore[arg-type]
        obj.pk = saved.pk  # the admin's "saved" message and redirect name this row

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        do_delete_policy(request.user, obj.pk)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for policy in queryset:
            do_delete_policy(request.user, policy.pk)  # type: ignore[arg-type]


@admin.register(ConversationSla)
class ConversationSlaAdmin(ReadOnlyAdmin):
    list_display = (
        "conversation",
        "policy",
        "cycle",
        "first_response_state",
        "next_response_state",
        "resolution_state",
        "nearest_due_at",
        "predicted_to_breach",
    )
    list_filter = ("first_response_state", "next_response_state", "resolution_state")
    list_select_related = ("policy", "conversation")


@admin.register(SlaRecord)
class SlaRecordAdmin(ReadOnlyAdmin):
    list_display = ("conversation_id", "metric", "kind", "at", "policy_name", "team", "owner")
    list_filter = ("kind", "metric")
    list_select_related = ("team", "owner")
    date_hierarchy = "at"
