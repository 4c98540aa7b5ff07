"""JSON API v1 (django-ninja). The OpenAPI document is served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.security import APIKeyHeader, SessionAuth

from baton.agents.queries import get_user_for_token
from baton.api.errors import JsonObjectParser, install_error_handlers
from baton.conversations.queries import managed_team_ids
from baton.core.errors import PermissionDenied


class TokenAuth(APIKeyHeader):
    """``Authorization: Token <key>`` (keys come from ``baton token USERNAME``)."""

    param_name = "Authorization"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key or not key.startswith("Token "):
            return None
        user = get_user_for_token(key.removeprefix("Token ").strip())
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


DEFAULT_AUTH = [TokenAuth(), ActiveSessionAuth()]


class ManagersOnly:
    """Authentication for endpoints only managers and admins may call.

    ninja authenticates before it validates parameters: refusing here answers an agent 403
    whatever the request holds, rather than telling them which parameters are missing.
    """

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, request: HttpRequest) -> Any:
        for auth in DEFAULT_AUTH:
            user = auth(request)
            if user:
                break
        else:
            return None
        if managed_team_ids(user) == []:
            raise PermissionDenied(self.message)
        return user


api = NinjaAPI(
    title="Baton API",
    version="1",
    description="Shared WhatsApp team inbox. Authenticate with a session cookie or "
    "`Authorization: Token <key>`. Every error answers "
    '`{"error": {"code": …, "message": …}}`.',
    auth=DEFAULT_AUTH,
    parser=JsonObjectParser(),
    urls_namespace="api-v1",
)
install_error_handlers(api)


from baton.api import (  # noqa: E402, F401  (registers routes)
    agents,
    alerts,
    assist,
    bots,
    conversations,
    dashboard,
    me,
    ownership,
    reports,
    routing,
    sla,
)
