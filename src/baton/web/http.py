"""The request type of the inbox's views: a logged-in user, and django-htmx's details."""

from __future__ import annotations

from django_htmx.middleware import HtmxDetails

from baton.agents.http import AuthenticatedRequest


class InboxRequest(AuthenticatedRequest):
    htmx: HtmxDetails
