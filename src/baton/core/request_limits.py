"""Slow and oversized clients are dealt with on the event loop, never on a request thread.

Django runs on a small fixed pool of threads (see ``baton.asgi``). A thread that reads the
request body blocks until the client has sent it, so six clients trickling a body held
every thread and the webhook, the login page and ``/healthz`` all timed out. Here the whole
body is read on the event loop first — up to a size cap (413 beyond), within an idle and a
total deadline (408 beyond) — and the Django thread is taken only once it is complete.

Headers are bounded too: uvicorn keeps waiting for a request whose headers never end (no
setting for it), which costs a socket, not a thread; ``HeaderDeadlineHttpToolsProtocol``
closes such connections after a deadline.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from django.conf import settings
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from baton.core.errors import error_body

ASGIApp = Any  # (scope, receive, send) -> awaitable; Channels and a2wsgi type it loosely


class BufferedRequestBody:
    """ASGI middleware: hands the app a request whose body has already arrived in full."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @property
    def max_bytes(self) -> int:
        return int(settings.BATON_MAX_REQUEST_BYTES)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _refuse(send, 413, "too_large", self._too_large())
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(settings.BATON_REQUEST_BODY_TIMEOUT_SECONDS):
                while True:
                    message = await asyncio.wait_for(
                        receive(), settings.BATON_REQUEST_BODY_IDLE_SECONDS
                    )
                    if message["type"] == "http.disconnect":
                        return  # the client left: nobody to answer
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_bytes:
                        await _refuse(send, 413, "too_large", self._too_large())
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await _refuse(send, 408, "timeout", "The request body arrived too slowly.")
            return
        body = b"".join(chunks)
        delivered = False

        async def replay() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: the disconnect, whenever it comes

        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return f"The request body is larger than {self.max_bytes} bytes."


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body may still be on its way: do not read it, hang up.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class HeaderDeadlineHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing connections whose headers take too long."""

    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_deadline()  # the next request on a kept-alive connection

    def on_headers_complete(self) -> None:
        self._disarm_header_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(
                settings.BATON_HTTP_HEADER_TIMEOUT_SECONDS, self._headers_too_slow
            )

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


# uvicorn's ``http`` option takes an import string (also for --workers > 1).
HTTP_PROTOCOL = f"{__name__}:{HeaderDeadlineHttpToolsProtocol.__qualname__}"
