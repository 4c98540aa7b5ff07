"""Domain errors that carry their meaning (and HTTP status) to every caller."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused action. ``code`` is stable for API clients; ``message`` is for people."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return error_body(self.code, self.message, **self.details)


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    """The one shape of every error the API answers (documented in the README)."""
    return {"error": {"code": code, "message": message, **details}}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class WindowClosed(DomainError):
    status = 422
    code = "window_closed"


class InvalidInput(DomainError):
    status = 400
    code = "invalid"
