"""One error shape for every answer of the API: ``{"error": {"code", "message", …}}``.

django-ninja answers its own errors as ``{"detail": …}``, and some errors never reach it
(an unknown path, a method the path does not take, a crash outside an operation): Django
answers those with HTML. The ninja handlers below cover what ninja sees; the middleware
rewrites whatever else leaves ``/api/`` as an error that is not JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from baton.core.errors import DomainError, error_body

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("baton.api")

API_PATH_PREFIX = "/api/"

# The stable ``code`` of an error answered with only an HTTP status to go on.
CODE_FOR_STATUS = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "invalid",
    422: "invalid",
    429: "throttled",
}

UNAUTHORIZED_MESSAGE = (
    "Log in, or send the header Authorization: Token <key> (from baton token USERNAME)."
)
SERVER_ERROR_MESSAGE = "Something went wrong on Baton's side; the error has been logged."


def code_for_status(status: int) -> str:
    if status >= 500:
        return "server_error"
    return CODE_FOR_STATUS.get(status, "invalid")


def error_response(status: int, message: str, **details: Any) -> JsonResponse:
    return JsonResponse(error_body(code_for_status(status), message, **details), status=status)


def describe_validation_errors(errors: list[dict[str, Any]]) -> list[str]:
    """``["body.status: Input should be 'available', 'away' or 'offline'", …]``.

    ninja puts the view's parameter name after ``body`` in each location; clients never
    see that name, so it is left out.
    """
    described = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        if len(location) > 2 and location[0] == "body":
            del location[1]
        where = ".".join(location)
        message = str(error.get("msg", "invalid"))
        described.append(f"{where}: {message}" if where else message)
    return described


class NotAJsonObject(ValueError):
    pass


class JsonObjectParser(Parser):
    """Request bodies are JSON objects.

    ninja reads the fields of a body schema from a JSON object and takes any other JSON
    value (``42``, ``[1, 2]``, ``null``) as "no field given": a schema whose fields all have
    defaults would accept it silently.
    """

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise NotAJsonObject(f"the body is JSON {type(data).__name__}, not an object")
        return data


def _unparsable_body_message(exc: HttpError) -> str:
    cause = exc.__cause__
    if isinstance(cause, NotAJsonObject):
        return f"The request body must be a JSON object: {cause}."
    if isinstance(cause, ValueError):  # json.JSONDecodeError
        return f"The request body is not valid JSON: {cause}."
    return str(exc)


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace ninja's default handlers with ones answering the documented shape."""

    def respond(request: HttpRequest, status: int, message: str, **details: Any) -> HttpResponse:
        body = error_body(code_for_status(status), message, **details)
        return api.create_response(request, body, status=status)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(request, 401, UNAUTHORIZED_MESSAGE)

    @api.exception_handler(ValidationError)
    def invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        problems = describe_validation_errors(exc.errors)
        summary = problems[0] if len(problems) == 1 else f"{len(problems)} problems"
        return respond(
            request, 422, f"The request does not fit the API: {summary}.", errors=problems
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja raises these for a body it cannot parse (the parser's error is the cause),
        # a failed CSRF check and throttling.
        if exc.status_code == 400 and exc.__cause__ is not None:
            return respond(request, 400, _unparsable_body_message(exc))
        return respond(request, exc.status_code, str(exc))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, str(exc) or "Not found.")

    @api.exception_handler(PermissionDenied)
    def django_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, str(exc) or "You may not do this.")

    @api.exception_handler(RequestDataTooBig)
    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return respond(request, 413, "The request body is too large.")

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # Django answers these 400 (and logs them as security events) outside ninja.
        logger.warning("Refused API request %s %s: %s", request.method, request.path, exc)
        return respond(request, 400, "The request was refused as malformed.")

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return respond(request, 500, SERVER_ERROR_MESSAGE)


class ApiErrorShapeMiddleware:
    """Errors under ``/api/`` that ninja never saw leave in the documented shape too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not request.path.startswith(API_PATH_PREFIX)
            or response.status_code < 400
            or _is_error_body(response)
        ):
            return response
        reshaped = error_response(response.status_code, _message_for(request, response.status_code))
        if response.has_header("Allow"):
            reshaped["Allow"] = response["Allow"]
        return reshaped


def _is_error_body(response: HttpResponse) -> bool:
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    if getattr(response, "streaming", False):
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict)


def _message_for(request: HttpRequest, status: int) -> str:
    if status == 404:
        return f"There is no {request.path} in the API (see /api/v1/docs)."
    if status == 405:
        return f"{request.path} does not take {request.method}."
    if status == 401:
        return UNAUTHORIZED_MESSAGE
    if status >= 500:
        return SERVER_ERROR_MESSAGE
    return f"The request was refused ({status})."
