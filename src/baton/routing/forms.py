"""Forms for rules and business hours, shared by the manager pages and the Django admin.

Validation lives in ``routing.conditions`` (pure) and is applied in ``clean`` here, so the
errors show next to the JSON they are about; the actions validate again on save.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms

from baton.routing.models import BusinessHours, RoutingRule
from baton.routing.rule_actions import get_business_hours_errors, get_rule_errors
from baton.whatsapp.models import Inbox


class PrettyJSONField(forms.JSONField):
    """A JSON textarea that shows stored JSON indented, so people can edit it."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        if value is None:
            return ""  # nothing yet: an empty box, not the word "null"
        return json.dumps(value, indent=2, ensure_ascii=False)


class RoutingRuleForm(forms.ModelForm):
    conditions = PrettyJSONField(
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "code"}),
        help_text='A condition tree: {"all": [...]}, {"any": [...]}, {"not": {...}} or '
        '{"field": "message.text", "op": "contains_any", "value": ["refund"]}. '
        '{"all": []} matches every conversation.',
    )
    actions = PrettyJSONField(
        widget=forms.Textarea(attrs={"rows": 7, "spellcheck": "false", "class": "code"}),
        help_text='Any of {"team": "Sales", "priority": "high", "labels": ["vip"], '
        '"agent": "alice", "strategy": "round_robin|least_loaded|sticky|manual"}.',
    )

    class Meta:
        model = RoutingRule
        fields = ["name", "inbox", "enabled", "conditions", "actions"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inbox_field = self.fields["inbox"]
        assert isinstance(inbox_field, forms.ModelChoiceField)
        inbox_field.queryset = Inbox.objects.order_by("name")
        inbox_field.empty_label = "Every inbox (after each inbox's own rules)"
        if self.instance._state.adding:
            # A ModelForm without an instance starts its fields empty, which a JSON field
            # shows as "null": start from the model's defaults (match everything, no action).
            for name in ("conditions", "actions"):
                self.initial.setdefault(name, getattr(self.instance, name))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Each JSON field is checked on its own, so a typo in one does not hide the other's.
        errors = get_rule_errors(
            cleaned.get("conditions", {"all": []}), cleaned.get("actions", {"team": None})
        )
        for field in ("conditions", "actions"):
            if field in cleaned:
                for message in errors.get(field, []):
                    self.add_error(field, message)
        return cleaned


class BusinessHoursForm(forms.ModelForm):
    weekly = PrettyJSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 9, "spellcheck": "false", "class": "code"}),
        help_text='Open intervals per day: {"mon": [["09:00", "17:00"]], …}; '
        "days left out are closed.",
    )
    holidays = PrettyJSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "code"}),
        help_text='Closed all day (local dates): ["2026-12-25", "2027-01-01"].',
    )

    class Meta:
        model = BusinessHours
        fields = ["inbox", "time_zone", "weekly", "holidays"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        candidate = BusinessHours(
            time_zone=cleaned.get("time_zone", ""),
            weekly=cleaned.get("weekly") if cleaned.get("weekly") is not None else {},
            holidays=cleaned.get("holidays") if cleaned.get("holidays") is not None else [],
        )
        cleaned["weekly"], cleaned["holidays"] = candidate.weekly, candidate.holidays
        for message in get_business_hours_errors(candidate):
            field = message.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0]
            self.add_error(field if field in self.fields else None, message)
        return cleaned


class DryRunForm(forms.Form):
    """The dry-run panel: the latest conversations, and optionally a pasted sample."""

    limit = forms.IntegerField(min_value=1, max_value=200, initial=20, required=False)
    inbox = forms.ModelChoiceField(
        queryset=Inbox.objects.order_by("name"),
        required=False,
        empty_label="All inboxes",
        help_text="Only conversations of this inbox; the sample is judged as if sent to it.",
    )
    text = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Sample message"
    )
    reply_id = forms.CharField(required=False, label="Button or list reply id")
    reply_title = forms.CharField(required=False, label="Reply title")
    contact_labels = forms.CharField(required=False, help_text="Comma-separated.")
    is_returning = forms.BooleanField(required=False, label="Returning customer")

    def labels(self) -> list[str]:
        raw = self.cleaned_data.get("contact_labels") or ""
        return [label.strip() for label in raw.split(",") if label.strip()]

    def has_sample(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("text") or data.get("reply_id") or data.get("reply_title"))
