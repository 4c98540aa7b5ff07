"""JSON API v1 (django-ninja). The OpenAPI document is served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import APIKeyHeader, SessionAuth

from baton.agents.queries import get_user_for_token
from baton.core.errors import DomainError


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


api = NinjaAPI(
    title="Baton API",
    version="1",
    description="Shared WhatsApp team inbox. Authenticate with a session cookie or "
    "`Authorization: Token <key>`.",
    auth=[TokenAuth(), ActiveSessionAuth()],
    urls_namespace="api-v1",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


from baton.api import (  # noqa: E402, F401  (registers routes)
    agents,
    alerts,
    conversations,
    me,
    ownership,
    routing,
)
