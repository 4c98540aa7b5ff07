"""Admin building blocks: configuration edits are audited, domain rows are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction

from baton.core.changes import announce_config_change


def _team_of(obj: Any) -> Any:
    # By label: core sits below the app that defines teams.
    if obj._meta.label == "agents.Team":
        return obj
    return getattr(obj, "team", None) or getattr(obj, "default_team", None)


class AuditedAdmin(admin.ModelAdmin):
    """Every add, change and delete made in the admin lands in the audit log too."""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changed = {f: form.cleaned_data.get(f) for f in form.changed_data}
            announce_config_change(
                request.user, obj, "changed" if change else "created", changed, _team_of(obj)
            )

    def save_formset(self, request, form, formset, change):
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            for obj in formset.new_objects:
                announce_config_change(request.user, obj, "created", {}, _team_of(obj))
            for obj, fields in formset.changed_objects:
                values = {f: getattr(obj, f, None) for f in fields}
                announce_config_change(request.user, obj, "changed", values, _team_of(obj))
            for obj in formset.deleted_objects:
                announce_config_change(request.user, obj, "deleted", {}, _team_of(obj))

    def delete_model(self, request, obj):
        with transaction.atomic():
            announce_config_change(request.user, obj, "deleted", {}, _team_of(obj))
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                announce_config_change(request.user, obj, "deleted", {}, _team_of(obj))
            super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only actions may write (the lock and the audit trail live there)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
