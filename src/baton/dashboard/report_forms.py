"""The reports' filter form: the page, the CSV links and the API read the same fields."""

from __future__ import annotations

from typing import Any

from django import forms

from baton.dashboard.reports import Scope, get_report_agents, get_report_teams
from baton.whatsapp.models import Inbox


class ReportForm(forms.Form):
    """Local days (both included), and optionally a team, an agent, an inbox.

    The menus list only what the viewer's scope holds; an id outside it is refused by
    ``reports.get_report_filter`` (403)."""

    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    # Numbers, not choices: an id outside the scope must reach the scope check and be
    # refused (403), not quietly dropped as an invalid choice.
    team = forms.IntegerField(required=False, widget=forms.Select)
    agent = forms.IntegerField(required=False, widget=forms.Select)
    inbox = forms.IntegerField(required=False, widget=forms.Select)

    def __init__(self, data: Any, scope: Scope) -> None:
        super().__init__(data)
        everyone = [("", "All")]
        self.fields["team"].widget.choices = everyone + [
            (t.pk, t.name) for t in get_report_teams(scope)
        ]
        self.fields["agent"].widget.choices = everyone + [
            (u.pk, u.name) for u in get_report_agents(scope)
        ]
        self.fields["inbox"].widget.choices = everyone + [
            (i.pk, i.name) for i in Inbox.objects.order_by("name")
        ]
