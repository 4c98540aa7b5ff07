"""The flow editor's forms: the definition as a JSON textarea (checked by
``bots.definition.validate_flow``, each error naming its step) and the test run's input."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from baton.bots.definition import validate_flow
from baton.bots.trial import MAX_INPUTS, Said
from baton.routing.forms import PrettyJSONField
from baton.whatsapp.models import Inbox

EXAMPLE = {
    "name": "Front desk",
    "start_on": "new_conversation",
    "start": "menu",
    "steps": [
        {
            "id": "menu",
            "type": "message",
            "text": "Hi! What can we do for you?",
            "buttons": [
                {"id": "track", "title": "Track my order", "next": "order_no"},
                {"id": "talk", "title": "Talk to us", "next": "to_sales"},
            ],
        },
        {
            "id": "order_no",
            "type": "ask",
            "text": "Your order number?",
            "save_as": "order_number",
            "validate": "^[0-9]{4,10}$",
            "retry_text": "Only digits, please.",
            "next": "to_support",
        },
        {
            "id": "to_support",
            "type": "handoff",
            "team": "Support",
            "note": "Order {{order_number}}",
        },
        {"id": "to_sales", "type": "handoff", "team": "Sales"},
    ],
}


class FlowForm(forms.Form):
    definition = PrettyJSONField(
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
        help_text='{"name", "start_on": "new_conversation" or "manual", "start": a step id, '
        '"steps": [{"id", "type": message|ask|branch|faq|handoff|csat|close, …}]}. Saving '
        "adds a new version; conversations the flow is running on stay on their version.",
    )
    inbox = forms.ModelChoiceField(
        queryset=Inbox.objects.none(),
        required=False,
        empty_label="Every inbox",
        help_text="For new_conversation flows: only new conversations of this number.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inbox_field = self.fields["inbox"]
        assert isinstance(inbox_field, forms.ModelChoiceField)
        inbox_field.queryset = Inbox.objects.order_by("name")

    def clean_definition(self) -> Any:
        definition = self.cleaned_data["definition"]
        errors = validate_flow(definition)
        if errors:
            raise forms.ValidationError(errors)
        return definition


class TrialForm(forms.Form):
    """One more move of the test run; ``history`` holds the moves so far (JSON)."""

    definition = forms.JSONField()
    history = forms.CharField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(required=False, max_length=1000)
    reply_id = forms.CharField(required=False, max_length=200)
    silence = forms.BooleanField(required=False)
    restart = forms.BooleanField(required=False)
    within_business_hours = forms.BooleanField(required=False)

    def clean_definition(self) -> Any:
        definition = self.cleaned_data["definition"]
        errors = validate_flow(definition)
        if errors:
            raise forms.ValidationError(errors)
        return definition

    def moves(self) -> list[Said]:
        """The moves so far plus this one (none after "Start again")."""
        if self.cleaned_data.get("restart"):
            return []
        try:
            raw = json.loads(self.cleaned_data.get("history") or "[]")
        except ValueError:
            raw = []
        moves = [m for m in map(Said.from_dict, raw if isinstance(raw, list) else []) if m]
        if self.cleaned_data.get("silence"):
            moves.append(Said("silence"))
        elif self.cleaned_data.get("reply_id"):
            moves.append(Said("reply", reply_id=self.cleaned_data["reply_id"]))
        elif (self.cleaned_data.get("text") or "").strip():
            moves.append(Said("text", text=self.cleaned_data["text"].strip()))
        return moves[:MAX_INPUTS]
