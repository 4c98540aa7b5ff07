"""Forms for SLA policies: the ``/sla/`` page's (targets in minutes) and the admin's (in
seconds, as stored). Both validate with ``sla.policies.validate_policy`` in ``clean``, so
its errors show next to the fields they are about; the actions validate again on save.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from baton.routing.conditions import validate_conditions
from baton.routing.forms import PrettyJSONField
from baton.sla.models import SlaPolicy, match_everything
from baton.sla.policies import SLA_FIELDS, TARGETS, validate_policy
from baton.sla.policy_queries import get_team_names

CONDITIONS_HELP = (
    'A condition tree in the routing rules\' language: {"all": [...]}, {"any": [...]}, '
    '{"not": {...}} or {"field": "conversation.priority", "op": "equals", "value": "urgent"}. '
    "Besides the routing fields: conversation.team, conversation.priority, conversation.labels. "
    '{"all": []} matches every conversation.'
)
ACTIONS_HELP = (
    'A list, e.g. [{"action": "notify_owner"}, {"action": "notify_managers"}, '
    '{"action": "set_priority", "priority": "urgent"}, {"action": "add_label", "label": '
    '"sla-risk"}, {"action": "reassign"}, {"action": "hand_to_team", "team": "Escalations"}].'
)
# Page field (minutes) -> policy field (seconds).
MINUTE_FIELDS = {
    "first_response_minutes": "first_response_seconds",
    "next_response_minutes": "next_response_seconds",
    "resolution_minutes": "resolution_seconds",
    "warn_before_minutes": "warn_before_seconds",
}
SECONDS_TO_FIELD = {seconds: minutes for minutes, seconds in MINUTE_FIELDS.items()}


def _code(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "spellcheck": "false", "class": "code"})


def _minutes(label: str, help_text: str = "Empty: no target.") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0"}),
    )


def _add_policy_errors(form: forms.BaseForm, errors: dict[str, list[str]], rename: dict) -> None:
    for field, problems in errors.items():
        name = rename.get(field, field)
        target = name if name in form.fields else None
        for problem in problems:
            form.add_error(target, problem)


class SlaPolicyForm(forms.Form):
    """The ``/sla/`` page's form. ``policy_values()`` gives what the actions take."""

    name = forms.CharField(max_length=100)
    enabled = forms.BooleanField(required=False, initial=True)
    first_response_minutes = _minutes("First response (minutes)")
    next_response_minutes = _minutes("Next response (minutes)")
    resolution_minutes = _minutes("Resolution (minutes)")
    warn_before_minutes = _minutes(
        "Warn before (minutes)", "How long before a deadline to warn. Empty: no warning."
    )
    business_hours = forms.BooleanField(
        required=False, label="Count business hours only (the inbox's hours; else 24/7)"
    )
    pause_resolution_when_pending = forms.BooleanField(
        required=False, initial=True, label="Pending and snoozed pause the resolution clock"
    )
    conditions = PrettyJSONField(
        required=False, widget=_code(8), help_text=CONDITIONS_HELP, initial=match_everything
    )
    on_warning = PrettyJSONField(
        required=False, widget=_code(4), help_text=ACTIONS_HELP, initial=list, label="On warning"
    )
    on_breach = PrettyJSONField(
        required=False, widget=_code(4), help_text=ACTIONS_HELP, initial=list, label="On breach"
    )

    @classmethod
    def initial_for(cls, policy: SlaPolicy) -> dict[str, Any]:
        initial: dict[str, Any] = {
            field: getattr(policy, field)
            for field in (
                "name",
                "enabled",
                "business_hours",
                "pause_resolution_when_pending",
                "conditions",
                "on_warning",
                "on_breach",
            )
        }
        for minutes, seconds in MINUTE_FIELDS.items():
            value = getattr(policy, seconds)
            initial[minutes] = (Decimal(value) / 60).normalize() if value is not None else None
        return initial

    def policy_values(self) -> dict[str, Any]:
        """The cleaned form as the configuration actions take it (seconds, no position)."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "name": (data.get("name") or "").strip(),
            "enabled": bool(data.get("enabled")),
            "business_hours": bool(data.get("business_hours")),
            "pause_resolution_when_pending": bool(data.get("pause_resolution_when_pending")),
            "conditions": data.get("conditions") or match_everything(),
            "on_warning": data.get("on_warning") if data.get("on_warning") is not None else [],
            "on_breach": data.get("on_breach") if data.get("on_breach") is not None else [],
        }
        for minutes, seconds in MINUTE_FIELDS.items():
            value = data.get(minutes)
            values[seconds] = round(value * 60) if value is not None else None
        return values

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned  # a field that did not parse: its own error says what to fix
        self.add_policy_errors(validate_policy(self.policy_values(), teams=get_team_names()))
        return cleaned

    def add_policy_errors(self, errors: dict[str, list[str]]) -> None:
        """Errors by policy field (``validate_policy``, ``InvalidInput.details``) shown
        next to this form's fields."""
        _add_policy_errors(self, errors, SECONDS_TO_FIELD)


class SlaPolicyAdminForm(forms.ModelForm):
    """The admin's form: the model's fields in seconds, validated like the page's."""

    conditions = PrettyJSONField(required=False, widget=_code(8), help_text=CONDITIONS_HELP)
    on_warning = PrettyJSONField(required=False, widget=_code(4), help_text=ACTIONS_HELP)
    on_breach = PrettyJSONField(required=False, widget=_code(4), help_text=ACTIONS_HELP)

    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "position",
            "enabled",
            "conditions",
            *TARGETS,
            "warn_before_seconds",
            "business_hours",
            "pause_resolution_when_pending",
            "on_warning",
            "on_breach",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance._state.adding:
            for name in ("conditions", "on_warning", "on_breach"):
                self.initial.setdefault(name, getattr(self.instance, name))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        for name, empty in (
            ("conditions", match_everything()),
            ("on_warning", []),
            ("on_breach", []),
        ):
            if cleaned.get(name) is None:
                cleaned[name] = empty
        _add_policy_errors(self, validate_policy(cleaned, teams=get_team_names()), {})
        return cleaned


class PolicyPreviewForm(forms.Form):
    """The conditions being edited, for the preview: only they decide where a policy
    applies, so a mistake elsewhere in the form does not hide the count."""

    conditions = PrettyJSONField(required=False)

    def clean_conditions(self) -> Any:
        value = self.cleaned_data.get("conditions")
        if value in (None, {}):
            return match_everything()
        problems = validate_conditions(value, SLA_FIELDS)
        if problems:
            raise forms.ValidationError(problems)
        return value
