"""The request type of views that only a logged-in user (or an API token) reaches."""

from __future__ import annotations

from django.http import HttpRequest

from baton.agents.models import User


class AuthenticatedRequest(HttpRequest):
    """Behind login or token authentication, ``request.user`` is one of ours."""

    user: User
