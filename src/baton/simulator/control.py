"""The control API under ``/_sim/``: what tests and the demo use to drive the simulator.

Plain JSON in and out (not Meta's encoding). Nothing here exists at Meta; Baton itself
never calls these routes.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from baton.simulator.config import TUNABLE_FIELDS, SimulatorConfig
from baton.simulator.state import Fault, customer_key

if TYPE_CHECKING:
    from baton.simulator.engine import Simulator


def _sim(request: Request) -> Simulator:
    return request.app.state.simulator


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


async def _json(request: Request, default: Any = None) -> Any:
    raw = await request.body()
    if not raw.strip():
        return default
    return await request.json()


async def customer_messages(request: Request) -> Response:
    """``POST /_sim/customers/{key}/messages``: one spec, or a list sent as one batch.

    Answers once Baton has answered the webhook (or delivery gave up), so a test can
    assert on Baton's state right after.
    """
    sim = _sim(request)
    try:
        payload = await _json(request, {})
    except ValueError:
        return _bad_request("body must be JSON")
    specs = payload if isinstance(payload, list) else [payload]
    if not specs or not all(isinstance(s, dict) for s in specs):
        return _bad_request("body must be an object or a non-empty list of objects")
    phone_number_id = specs[0].get("phone_number_id") or sim.config.numbers[0].phone_number_id
    number = sim.config.number(str(phone_number_id))
    if number is None:
        return _bad_request(f"unknown phone_number_id {phone_number_id}")
    results = await sim.customer_writes(number, request.path_params["key"], specs)
    if isinstance(payload, list):
        return JSONResponse(
            {"messages": [r.as_dict() for r in results], "status": results[-1].delivery.status}
        )
    return JSONResponse(results[0].as_dict())


async def outbox(request: Request) -> Response:
    """``GET /_sim/outbox[?to=…&phone_number_id=…]``: everything the business sent."""
    world = _sim(request).world
    to = request.query_params.get("to")
    number = request.query_params.get("phone_number_id")
    items = [
        m.as_dict()
        for m in world.outbox
        if (not to or m.to == customer_key(to)) and (not number or m.phone_number_id == number)
    ]
    return JSONResponse({"items": items})


async def inbound(request: Request) -> Response:
    """``GET /_sim/inbound``: every customer message the simulator has sent to Baton."""
    return JSONResponse({"items": _sim(request).world.inbound})


async def reads(request: Request) -> Response:
    """``GET /_sim/reads``: mark-as-read calls (with or without typing indicator)."""
    return JSONResponse({"items": _sim(request).world.read_receipts})


async def faults(request: Request) -> Response:
    """``POST`` queues faults for the next sends, ``GET`` lists them, ``DELETE`` clears."""
    world = _sim(request).world
    if request.method == "DELETE":
        world.faults.clear()
    elif request.method == "POST":
        try:
            payload = await _json(request, [])
        except ValueError:
            return _bad_request("body must be JSON")
        if isinstance(payload, dict) and "faults" in payload:
            payload = payload["faults"]
        specs = payload if isinstance(payload, list) else [payload]
        try:
            new = [Fault.from_spec(spec) for spec in specs if isinstance(spec, dict)]
        except (TypeError, ValueError) as exc:
            return _bad_request(str(exc))
        if len(new) != len(specs):
            return _bad_request("each fault must be an object")
        for fault in new:
            world.faults.add(fault)
    return JSONResponse({"faults": world.faults.pending()})


async def stats(request: Request) -> Response:
    sim = _sim(request)
    return JSONResponse(
        {
            **sim.world.stats.snapshot(),
            "outbox": len(sim.world.outbox),
            "pending_statuses": len(sim.emitters),
            "pending_faults": len(sim.world.faults.pending()),
            "active_customers": sim.crowd.active,
        }
    )


async def flush_statuses(request: Request) -> Response:
    """``POST /_sim/statuses/flush`` (optional ``{"wamid": …}``): emit pending statuses now."""
    try:
        payload = await _json(request, {})
    except ValueError:
        return _bad_request("body must be JSON")
    wamid = payload.get("wamid") if isinstance(payload, dict) else None
    flushed = await _sim(request).flush_statuses(wamid)
    return JSONResponse({"flushed": flushed})


def _tunables(config: SimulatorConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in TUNABLE_FIELDS}


def _coerce(name: str, value: Any) -> Any:
    kind = TUNABLE_FIELDS[name]
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if kind is tuple:
        low, high = (float(v) for v in value)
        if low > high:
            raise ValueError(f"{name} must be [low, high]")
        return (low, high)
    return kind(value)


async def config(request: Request) -> Response:
    """``GET`` the tunable settings; ``POST`` a subset of them to change a running simulator."""
    current = _sim(request).config
    if request.method == "POST":
        try:
            payload = await _json(request, {})
        except ValueError:
            return _bad_request("body must be JSON")
        if not isinstance(payload, dict):
            return _bad_request("body must be an object")
        unknown = sorted(set(payload) - set(TUNABLE_FIELDS))
        if unknown:
            return _bad_request(f"not tunable: {unknown}")
        try:
            changes = {name: _coerce(name, value) for name, value in payload.items()}
        except (TypeError, ValueError) as exc:
            return _bad_request(str(exc))
        for name, value in changes.items():
            setattr(current, name, value)
    return JSONResponse(_tunables(current))


async def reset(request: Request) -> Response:
    """``POST /_sim/reset``: forget outbox, windows, limits, media, faults and counters."""
    _sim(request).reset()
    return JSONResponse({"reset": True})


async def verify(request: Request) -> Response:
    """``POST /_sim/verify``: do Meta's subscription handshake against the webhook URL."""
    sim = _sim(request)
    try:
        payload = await _json(request, {})
    except ValueError:
        return _bad_request("body must be JSON")
    payload = payload if isinstance(payload, dict) else {}
    challenge = str(secrets.randbelow(9 * 10**9) + 10**9)
    params = {
        "hub.mode": "subscribe",
        "hub.challenge": challenge,
        "hub.verify_token": str(payload.get("verify_token", sim.config.verify_token)),
    }
    try:
        async with httpx.AsyncClient(timeout=sim.config.webhook_timeout_seconds) as client:
            answer = await client.get(sim.config.webhook_url, params=params)
    except httpx.HTTPError as exc:
        return JSONResponse({"verified": False, "status": 0, "error": repr(exc)})
    return JSONResponse(
        {
            "verified": answer.status_code == 200 and answer.text == challenge,
            "status": answer.status_code,
            "challenge": challenge,
            "body": answer.text[:200],
        }
    )


async def health(request: Request) -> Response:
    sim = _sim(request)
    return JSONResponse({"ok": True, "graph_base_url": sim.config.graph_base_url})


def control_routes() -> list[BaseRoute]:
    return [
        Route("/_sim/health", health, methods=["GET"]),
        Route("/_sim/customers/{key}/messages", customer_messages, methods=["POST"]),
        Route("/_sim/outbox", outbox, methods=["GET"]),
        Route("/_sim/inbound", inbound, methods=["GET"]),
        Route("/_sim/reads", reads, methods=["GET"]),
        Route("/_sim/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sim/stats", stats, methods=["GET"]),
        Route("/_sim/statuses/flush", flush_statuses, methods=["POST"]),
        Route("/_sim/config", config, methods=["GET", "POST"]),
        Route("/_sim/reset", reset, methods=["POST"]),
        Route("/_sim/verify", verify, methods=["POST"]),
    ]
