"""The fake Graph API and the Starlette app that serves it with the control API.

Routes (any ``vNN.N`` version segment):

* ``POST /{version}/{phone_number_id}/messages``: send, or mark as read (§5)
* ``POST /{version}/{phone_number_id}/media``: multipart upload (§7)
* ``GET /{version}/{media_id}``: media metadata with a 5-minute download URL (§7)
* ``DELETE /{version}/{media_id}``
* ``GET /whatsapp_business/attachments/?mid=…&ext=…&hash=…``: the download, Bearer only

Checks run in Meta's order: token (190), number (100/33), injected refusals, request
validation, throughput (130429), pair limit (131056); the 24-hour rule is applied after
acceptance, as a later ``failed`` status (PROTOCOL §11).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from baton.simulator.config import SimNumber, SimulatorConfig
from baton.simulator.control import control_routes
from baton.simulator.engine import AsyncFailure, Simulator
from baton.simulator.state import Fault, customer_key, is_bsuid
from baton.simulator.wire import (
    GraphFailure,
    graph_failure,
    meta_json_bytes,
    throughput_failure,
    token_failure,
    unknown_object_failure,
)

VERSION = re.compile(r"^v\d+\.\d+$")
# The server puts the connection's transport in the ASGI scope under this key so that a
# "drop" fault can close the socket without answering (see server.py).
TRANSPORT_EXTENSION = "baton.simulator.transport"
MAX_CALLBACK_DATA = 512
MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
SEND_TYPES = {"text", "template", "reaction", "interactive", "location", "contacts", *MEDIA_TYPES}
DEFAULT_ERROR_PAGE = "<html><body><h1>{status}</h1><p>Server Error</p></body></html>"


class MetaJSONResponse(JSONResponse):
    """A Graph answer encoded the way Meta encodes it (``\\/`` and ``\\uXXXX`` escapes)."""

    def render(self, content: Any) -> bytes:
        return meta_json_bytes(content)


def failure_response(failure: GraphFailure) -> Response:
    return MetaJSONResponse(failure.body(), status_code=failure.http_status)


def simulator_of(request: Request) -> Simulator:
    return request.app.state.simulator


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _known_token(config: SimulatorConfig, token: str) -> bool:
    return bool(token) and any(n.access_token == token for n in config.numbers)


def _bad_version(version: str, path: str) -> GraphFailure | None:
    if VERSION.match(version):
        return None
    return GraphFailure(
        code=2500,
        title="Unknown path components",
        details="",
        http_status=400,
        message=f"Unknown path components: {path}",
    )


def authorise_number(
    config: SimulatorConfig, token: str, phone_number_id: str, method: str
) -> SimNumber | GraphFailure:
    """The number a request acts for, or why Graph refuses: 190 for a token it does not
    know at all, 100/33 for a number this token cannot see."""
    if not _known_token(config, token):
        return token_failure()
    number = config.number(phone_number_id)
    if number is None or number.access_token != token:
        return unknown_object_failure(phone_number_id, method)
    return number


# ---------------------------------------------------------------------------- validation


def _missing(what: str) -> GraphFailure:
    return graph_failure(131008, f"Parameter '{what}' is required.")


def _invalid(details: str) -> GraphFailure:
    return graph_failure(131009, details)


def validate_send(body: dict[str, Any], config: SimulatorConfig) -> GraphFailure | None:
    """Why Graph would refuse this send request synchronously, or ``None``."""
    to = body.get("to")
    if not isinstance(to, str) or not to.strip():
        return graph_failure(100, "", title="The parameter to is required.")
    if not customer_key(to):
        return graph_failure(100, f"Param to ({to}) is not a valid phone number or user id.")
    callback = body.get("biz_opaque_callback_data")
    if callback is not None and (not isinstance(callback, str) or len(callback) > 512):
        return graph_failure(
            100, f"Param biz_opaque_callback_data must be at most {MAX_CALLBACK_DATA} characters."
        )
    # Meta's own examples omit "type" for text messages.
    msg_type = body.get("type") or "text"
    if msg_type not in SEND_TYPES:
        return graph_failure(131051, f"Message type {msg_type!r} is not supported.")
    obj = body.get(msg_type)
    if not isinstance(obj, dict):
        return _missing(msg_type)
    if msg_type == "text":
        text = obj.get("body")
        if not isinstance(text, str) or not text:
            return _missing("text.body")
        if len(text) > config.max_text_length:
            return _invalid(
                f"Param text['body'] must be at most {config.max_text_length} characters long."
            )
    elif msg_type == "template":
        return _validate_template(obj, config)
    elif msg_type in MEDIA_TYPES:
        if not obj.get("id") and not obj.get("link"):
            return _missing(f"{msg_type}.id or {msg_type}.link")
    elif msg_type == "reaction":
        if not obj.get("message_id"):
            return _missing("reaction.message_id")
        if "emoji" not in obj:
            return _missing("reaction.emoji")
    elif msg_type == "interactive":
        return _validate_interactive(obj)
    elif msg_type == "location" and ("latitude" not in obj or "longitude" not in obj):
        return _missing("location.latitude and location.longitude")
    return None


def _validate_template(template: dict[str, Any], config: SimulatorConfig) -> GraphFailure | None:
    name = str(template.get("name") or "")
    language = template.get("language")
    code = str(language.get("code") or "") if isinstance(language, dict) else ""
    approved = config.template(name, code)
    if approved is None:
        return graph_failure(132001, f"template name ({name}) does not exist in {code}")
    given = sum(
        len(component.get("parameters") or [])
        for component in template.get("components") or []
        if isinstance(component, dict) and str(component.get("type", "")).lower() == "body"
    )
    if given != approved.body_params:
        return graph_failure(
            132000,
            f"body: number of localizable_params ({given}) does not match the expected "
            f"number of params ({approved.body_params})",
        )
    return None


def _validate_interactive(interactive: dict[str, Any]) -> GraphFailure | None:
    # Limits as reported in real 131009 details (PROTOCOL §5, [R7]).
    kind = interactive.get("type")
    action = interactive.get("action") if isinstance(interactive.get("action"), dict) else {}
    if kind in ("button", "list") and not (interactive.get("body") or {}).get("text"):
        return _missing("interactive.body.text")
    if kind == "button":
        buttons = action.get("buttons") or []
        if not 1 <= len(buttons) <= 3:
            return _invalid("Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3")
        for button in buttons:
            title = str(((button or {}).get("reply") or {}).get("title") or "")
            if not 1 <= len(title) <= 20:
                return _invalid("Button title length invalid. Min length: 1, Max length: 20")
    elif kind == "list":
        sections = action.get("sections") or []
        rows = [row for section in sections for row in section.get("rows") or []]
        if len(rows) > 10:
            return _invalid("Total row count exceed max allowed count: 10")
        if any(len(str(row.get("title") or "")) > 24 for row in rows):
            return _invalid("Row title is too long. Max length is 24")
    return None


# ---------------------------------------------------------------------------- handlers


async def post_messages(request: Request) -> Response:
    sim = simulator_of(request)
    world = sim.world
    phone_number_id = request.path_params["phone_number_id"]
    problem = _bad_version(request.path_params["version"], request.url.path)
    target = authorise_number(sim.config, bearer_token(request), phone_number_id, "post")
    if problem is None and isinstance(target, GraphFailure):
        problem = target
    if problem is not None or not isinstance(target, SimNumber):
        return _refuse(sim, problem or token_failure())
    number = target
    try:
        body = await request.json()
    except ValueError:
        return _refuse(sim, graph_failure(100, "The request body is not valid JSON."))
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        return _refuse(
            sim, graph_failure(100, "", title="The parameter messaging_product is required.")
        )
    if body.get("status") == "read":
        return _mark_read(sim, number, body)

    fault = world.faults.take(("error",))
    if fault is not None:
        return _injected_refusal(sim, fault)
    problem = validate_send(body, sim.config)
    if problem is not None:
        return _refuse(sim, problem)
    to = str(body["to"])
    key = customer_key(to)
    now = world.now()
    if not world.throughput.allow(phone_number_id, now, sim.config.throughput_per_second):
        return _refuse(sim, throughput_failure())
    if not world.pair.allow(
        phone_number_id, key, now, sim.config.pair_burst, sim.config.pair_interval_seconds
    ):
        return _refuse(sim, graph_failure(131056))

    fault = world.faults.take(("async_failed", "hang", "drop"))
    failure = None
    if fault is not None:
        world.stats.incr(f"faults_{fault.kind}")
        if fault.kind == "async_failed" and fault.code:
            failure = AsyncFailure.of(fault.code, fault.title, fault.details)
    failure = failure or _unknown_media_failure(sim, body)
    sent = sim.accept(number, body, key, failure)
    contact: dict[str, str] = {"input": to, "wa_id": "" if is_bsuid(key) else key}
    if is_bsuid(key):
        contact["user_id"] = key
    answer = {
        "messaging_product": "whatsapp",
        "contacts": [contact],
        "messages": [{"id": sent.wamid}],
    }
    if fault is not None and fault.kind == "drop":
        dropped = await _drop_connection(request)
        if dropped is not None:
            return dropped
    if fault is not None and fault.kind in ("hang", "drop"):
        # Accepted, but the answer comes after the caller has given up on it.
        await asyncio.sleep(fault.delay_seconds)
    return MetaJSONResponse(answer)


def _refuse(sim: Simulator, failure: GraphFailure) -> Response:
    sim.world.stats.refused[str(failure.code)] += 1
    return failure_response(failure)


def _injected_refusal(sim: Simulator, fault: Fault) -> Response:
    sim.world.stats.incr("faults_error")
    if fault.code is None or fault.raw_body is not None:
        # A proxy or load balancer answering instead of Graph: no JSON at all.
        status = fault.http_status or 500
        sim.world.stats.refused[f"http_{status}"] += 1
        page = fault.raw_body if fault.raw_body is not None else DEFAULT_ERROR_PAGE
        return Response(page.format(status=status), status_code=status, media_type="text/html")
    if fault.code == 190:
        return _refuse(sim, token_failure(fault.http_status or 401))
    return _refuse(
        sim,
        graph_failure(
            fault.code,
            fault.details or None,
            title=fault.title or None,
            http_status=fault.http_status,
            subcode=fault.subcode,
        ),
    )


def _unknown_media_failure(sim: Simulator, body: dict[str, Any]) -> AsyncFailure | None:
    # Graph accepts a media id it cannot resolve and fails the message afterwards.
    msg_type = body.get("type")
    media_id = (body.get(msg_type) or {}).get("id") if msg_type in MEDIA_TYPES else None
    if media_id and sim.world.media.get(str(media_id)) is None:
        return AsyncFailure.of(131053, details=f"Media id {media_id} was not found.")
    return None


async def _drop_connection(request: Request) -> Response | None:
    transport = request.scope.get("extensions", {}).get(TRANSPORT_EXTENSION)
    if transport is None:
        return None  # served by another server: fall back to answering too late
    transport.abort()
    # Let the server see the connection go before Starlette tries to answer on it; it
    # then discards the response silently.
    await asyncio.sleep(0.01)
    return Response(status_code=204)


def _mark_read(sim: Simulator, number: SimNumber, body: dict[str, Any]) -> Response:
    if not body.get("message_id"):
        return _refuse(sim, graph_failure(100, "", title="The parameter message_id is required."))
    typing = isinstance(body.get("typing_indicator"), dict)
    sim.world.read_receipts.append(
        {
            "phone_number_id": number.phone_number_id,
            "message_id": body["message_id"],
            "typing_indicator": typing,
            "at": sim.world.now(),
        }
    )
    sim.world.stats.incr("marked_read")
    if typing:
        sim.world.stats.incr("typing_indicators")
    return MetaJSONResponse({"success": True})


async def post_media(request: Request) -> Response:
    sim = simulator_of(request)
    phone_number_id = request.path_params["phone_number_id"]
    problem = _bad_version(request.path_params["version"], request.url.path)
    target = authorise_number(sim.config, bearer_token(request), phone_number_id, "post")
    if problem is None and isinstance(target, GraphFailure):
        problem = target
    if problem is not None:
        return _refuse(sim, problem)
    # The context manager closes spooled upload files, which pytest would flag as leaks.
    async with request.form() as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return _refuse(sim, graph_failure(100, "", title="The parameter file is required."))
        if form.get("messaging_product") != "whatsapp":
            return _refuse(
                sim, graph_failure(100, "", title="The parameter messaging_product is required.")
            )
        content = await upload.read()
        mime_type = str(form.get("type") or upload.content_type or "application/octet-stream")
        filename = upload.filename or ""
    if not content:
        return _refuse(sim, graph_failure(131053, "The uploaded file is empty."))
    stored = sim.world.media.put(content, mime_type, filename)
    sim.world.stats.incr("media_uploaded")
    return MetaJSONResponse({"id": stored.media_id})


async def get_object(request: Request) -> Response:
    sim = simulator_of(request)
    config = sim.config
    object_id = request.path_params["object_id"]
    token = bearer_token(request)
    problem = _bad_version(request.path_params["version"], request.url.path)
    if problem is None and not _known_token(config, token):
        problem = token_failure()
    if problem is not None:
        return _refuse(sim, problem)
    asked_for = request.query_params.get("phone_number_id")
    if asked_for is not None:
        number = config.number(asked_for)
        if number is None or number.access_token != token:
            return _refuse(sim, unknown_object_failure(asked_for, "get"))
    number = config.number(object_id)
    if number is not None and number.access_token == token:
        return MetaJSONResponse(
            {
                "verified_name": "Baton Simulator",
                "display_phone_number": number.display_phone_number,
                "quality_rating": "GREEN",
                "id": number.phone_number_id,
            }
        )
    stored = sim.world.media.get(object_id)
    if stored is None:
        return _refuse(sim, unknown_object_failure(object_id, "get"))
    now = sim.world.now()
    key = sim.world.media.issue_url(object_id, token, now)
    expires = sim.world.media.urls[key].expires_at
    url = (
        f"{config.base_url}/whatsapp_business/attachments/"
        f"?mid={object_id}&ext={int(expires)}&hash={key}"
    )
    return MetaJSONResponse(
        {
            "messaging_product": "whatsapp",
            "url": url,
            "mime_type": stored.mime_type,
            "sha256": stored.sha256_hex,
            "file_size": len(stored.content),
            "id": stored.media_id,
        }
    )


async def delete_object(request: Request) -> Response:
    sim = simulator_of(request)
    object_id = request.path_params["object_id"]
    problem = _bad_version(request.path_params["version"], request.url.path)
    if problem is None and not _known_token(sim.config, bearer_token(request)):
        problem = token_failure()
    if problem is None and not sim.world.media.delete(object_id):
        problem = unknown_object_failure(object_id, "delete")
    if problem is not None:
        return _refuse(sim, problem)
    return MetaJSONResponse({"success": True})


async def download(request: Request) -> Response:
    """The short-lived media URL: needs the Bearer token that asked for it (PROTOCOL §7)."""
    sim = simulator_of(request)
    token = bearer_token(request)
    if not token:
        return MetaJSONResponse(token_failure().body(), status_code=401)
    media_id = request.query_params.get("mid", "")
    url = sim.world.media.resolve(request.query_params.get("hash", ""), media_id, sim.world.now())
    stored = sim.world.media.get(media_id) if url is not None else None
    if url is None or stored is None:
        return Response("URL expired or not found", status_code=404, media_type="text/plain")
    if url.access_token != token:
        return MetaJSONResponse(token_failure().body(), status_code=401)
    sim.world.stats.incr("media_downloaded")
    return Response(stored.content, media_type=stored.mime_type)


def graph_routes() -> list[BaseRoute]:
    return [
        Route("/whatsapp_business/attachments/", download, methods=["GET"]),
        Route("/{version}/{phone_number_id}/messages", post_messages, methods=["POST"]),
        Route("/{version}/{phone_number_id}/media", post_media, methods=["POST"]),
        Route("/{version}/{object_id}", get_object, methods=["GET"]),
        Route("/{version}/{object_id}", delete_object, methods=["DELETE"]),
    ]


def create_app(
    config: SimulatorConfig | Simulator,
    *,
    progress: Callable[[str], None] | None = None,
) -> Starlette:
    """The simulator as an ASGI app; ``app.state.simulator`` is its :class:`Simulator`."""
    simulator = config if isinstance(config, Simulator) else Simulator(config, progress=progress)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
        await simulator.start()
        try:
            yield
        finally:
            await simulator.stop()

    # The control routes come first: "/_sim/outbox" would otherwise match "/{version}/{id}".
    app = Starlette(routes=[*control_routes(), *graph_routes()], lifespan=lifespan)
    app.state.simulator = simulator
    return app
