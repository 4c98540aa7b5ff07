"""Every error the API answers has the README's shape: ``{"error": {"code", "message"}}``.

The routes come from the OpenAPI document, so a new endpoint is swept without being listed
here. Each one is called without credentials, with a body that is not JSON, with the whole
body and each field of the wrong type, with query parameters of the wrong type, and with a
method it does not take.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import RequestFactory

from baton.agents.actions import do_create_api_token
from baton.api.api import api
from tests.conftest import make_user

# The codes the README documents.
DOCUMENTED_CODES = {
    "invalid",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "conflict",
    "window_closed",
    "too_large",
    "throttled",
    "server_error",
}
METHODS = ("get", "post", "put", "patch", "delete")


def assert_documented_error(response, expected_status: int | tuple[int, ...] | None = None):
    where = f"{response.request['REQUEST_METHOD']} {response.request['PATH_INFO']}"
    if expected_status is not None:
        allowed = expected_status if isinstance(expected_status, tuple) else (expected_status,)
        assert response.status_code in allowed, (where, response.status_code, response.content)
    assert response.status_code >= 400, (where, response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json"), (where, response.content)
    body = json.loads(response.content)
    assert list(body) == ["error"], (where, body)
    error = body["error"]
    assert error["code"] in DOCUMENTED_CODES, (where, body)
    assert isinstance(error["message"], str), (where, body)
    assert error["message"], (where, body)
    assert "detail" not in error, (where, body)
    assert b"<html" not in response.content.lower(), where
    return error


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                found.append((method, path, operation))
    return found


OPERATIONS = operations()


def test_the_sweep_sees_the_routes():
    swept = {(method, path) for method, path, _ in OPERATIONS}
    assert ("get", "/api/v1/audit.csv") in swept
    assert ("post", "/api/v1/routing/rules") in swept
    assert len(swept) >= 25


def concrete(path: str) -> str:
    """The path with every ``{param}`` a plausible id (the checks answer before lookups)."""
    out, rest = "", path
    while "{" in rest:
        before, _, after = rest.partition("{")
        _, _, rest = after.partition("}")
        out += before + "1"
    return out + rest


def body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    return content.get("application/json", {}).get("schema")


def resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def accepted_types(field_schema: dict[str, Any]) -> set[str]:
    """The JSON types a field takes; empty when it takes anything."""
    variants = field_schema.get("anyOf", [field_schema])
    return {"object" if "$ref" in v else v.get("type", "") for v in variants} - {""}


def wrong_value(types: set[str]) -> Any:
    """A value of a type the field does not take: a list where an object goes, else an
    object."""
    return [1, 2] if "object" in types else {"not": ["this"]}


@pytest.fixture
def admin_headers(db):
    return {"Authorization": f"Token {do_create_api_token(make_user('root', role='admin'))}"}


def call(client, method: str, path: str, body: Any = None, raw: bytes | None = None, **kw):
    data = raw if raw is not None else (json.dumps(body) if body is not None else "")
    return client.generic(method.upper(), path, data=data, content_type="application/json", **kw)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_without_credentials(client, db, method, path, operation):
    error = assert_documented_error(call(client, method, concrete(path)), 401)
    assert error["code"] == "unauthorized"
    assert "Token" in error["message"]


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_with_a_wrong_token(client, db, method, path, operation):
    response = call(client, method, concrete(path), headers={"Authorization": "Token nope"})
    assert_documented_error(response, 401)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_a_body_that_is_not_json(client, admin_headers, method, path, operation):
    response = call(client, method, concrete(path), raw=b'{"text": "unfinished',
                    headers=admin_headers)  # fmt: skip
    if body_schema(operation) is None:
        # Nothing reads the body: the request is judged on the rest.
        if response.status_code >= 400:
            assert_documented_error(response)
        return
    error = assert_documented_error(response, 400)
    assert error["code"] == "invalid"
    assert "not valid JSON" in error["message"]


@pytest.mark.parametrize(
    ("method", "path", "operation"), [op for op in OPERATIONS if body_schema(op[2]) is not None]
)
def test_wrong_types_in_the_body(client, admin_headers, method, path, operation):
    schema = body_schema(operation)
    assert schema is not None
    components = api.get_openapi_schema(path_prefix="/api/v1")["components"]["schemas"]
    model = resolve(schema, components)
    url = concrete(path)
    # The whole body of the wrong type.
    for body in (42, "text", [1, 2], None):
        raw = json.dumps(body).encode()
        error = assert_documented_error(call(client, method, url, raw=raw, headers=admin_headers),
                                        400)  # fmt: skip
        assert "must be a JSON object" in error["message"]
    # One field at a time, the others left out (missing ones are errors of their own).
    for name, field in model.get("properties", {}).items():
        types = accepted_types(field)
        response = call(client, method, url, {name: wrong_value(types)}, headers=admin_headers)
        if types:
            assert_documented_error(response, 422)
        elif response.status_code >= 400:
            # A field that takes any JSON (a rule's conditions) is judged by the action.
            assert_documented_error(response)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_wrong_types_in_the_query_and_path(client, admin_headers, method, path, operation):
    params = operation.get("parameters", [])
    typed = [
        p
        for p in params
        if p["in"] == "query"
        and (
            p.get("schema", {}).get("type") in ("integer", "boolean")
            or p.get("schema", {}).get("format") == "date-time"
        )
    ]
    for param in typed:
        response = call(
            client, method, f"{concrete(path)}?{param['name']}=not-a-value", headers=admin_headers
        )
        error = assert_documented_error(response, 422)
        assert param["name"] in " ".join(error["errors"])
    if "{" in path:
        # Django's URL converters refuse a non-number before ninja sees the request.
        response = call(client, method, path.replace("{", "x").replace("}", ""),
                        headers=admin_headers)  # fmt: skip
        assert_documented_error(response, (404, 422))


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_a_method_the_route_does_not_take(client, admin_headers, method, path, operation):
    taken = {m for m, p, _ in OPERATIONS if p == path}
    other = next(m for m in METHODS if m not in taken)
    response = call(client, other, concrete(path), headers=admin_headers)
    error = assert_documented_error(response, 405)
    assert error["code"] == "method_not_allowed"
    assert response.has_header("Allow")


def test_a_body_over_the_upload_limit(client, admin_headers, settings):
    big = json.dumps({"text": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = client.post(
        "/api/v1/conversations/1/messages",
        data=big,
        content_type="application/json",
        headers=admin_headers,
    )
    error = assert_documented_error(response, 413)
    assert error["code"] == "too_large"


def test_an_unknown_path(client, admin_headers):
    error = assert_documented_error(client.get("/api/v1/nothing-here", headers=admin_headers), 404)
    assert error["code"] == "not_found"


def test_the_audit_export_refuses_agents_before_reading_parameters(client, db):
    agent = make_user("alice")
    headers = {"Authorization": f"Token {do_create_api_token(agent)}"}
    for query in ("", "?since=yesterday", "?since=2026-01-01T00:00:00Z&until=2026-02-01T00:00:00Z"):
        error = assert_documented_error(client.get(f"/api/v1/audit.csv{query}", headers=headers),
                                        403)  # fmt: skip
        assert error["code"] == "forbidden"


def test_the_audit_export_names_missing_parameters_to_managers(client, db):
    manager = make_user("maria", role="manager")
    headers = {"Authorization": f"Token {do_create_api_token(manager)}"}
    error = assert_documented_error(client.get("/api/v1/audit.csv", headers=headers), 422)
    assert error["errors"] == ["query.since: Field required", "query.until: Field required"]
    ok = client.get(
        "/api/v1/audit.csv?since=2026-01-01T00:00:00Z&until=2026-02-01T00:00:00Z", headers=headers
    )
    assert ok.status_code == 200


def test_an_unexpected_error_is_logged_and_answered_in_shape(caplog, db):
    request = RequestFactory().get("/api/v1/conversations")
    with caplog.at_level(logging.ERROR, logger="baton.api"):
        response = api.on_exception(request, RuntimeError("the disk is on fire"))
    assert response.status_code == 500
    assert json.loads(response.content)["error"]["code"] == "server_error"
    assert "the disk is on fire" not in response.content.decode()
    [record] = caplog.records
    assert record.exc_info is not None
