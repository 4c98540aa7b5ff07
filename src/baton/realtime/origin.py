"""Which pages may open Baton's WebSocket: Baton's own, whatever ``ALLOWED_HOSTS`` says.

The socket is authenticated by the session cookie, which the browser attaches to a socket
opened by *any* page (WebSockets are not covered by the same-origin policy). Channels'
``AllowedHostsOriginValidator`` compares the Origin with ``ALLOWED_HOSTS``, which is ``*``
by default: then any web page an agent visits could open a socket in their name and read
the customers' messages live (cross-site WebSocket hijacking). So the Origin must name the
host the browser connected to (the ``Host`` header, as Django's CSRF check does for
forms), or be listed in ``CSRF_TRUSTED_ORIGINS`` (e.g. behind a proxy that rewrites Host).

The Host header carries no scheme, so a page on the same host through a TLS proxy
(``https://`` in front of Baton's plain ``ws://``) counts as the same origin; a missing port
means the default port of the Origin's scheme.

A socket without an Origin header is refused: browsers always send one, and a
cookie-authenticated socket has no use for clients that do not (scripts use the API).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _host_port(netloc: str, scheme: str) -> tuple[str, str]:
    host, port = split_domain_port(netloc.lower())
    return host, port or DEFAULT_PORTS.get(scheme, "")


def is_trusted_origin(origin: str, host_header: str) -> bool:
    """True when a browser page at ``origin`` may use the socket reached as ``host_header``."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    netloc = parts.netloc.lower()
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        allowed = urlsplit(trusted.lower())
        if allowed.scheme != parts.scheme:
            continue
        # As Django's CSRF check: exact, or "https://*.example.com" for any subdomain.
        if netloc == allowed.netloc or (
            allowed.netloc.startswith("*.") and is_same_domain(netloc, allowed.netloc[1:])
        ):
            return True
    if not host_header:
        return False
    origin_host, origin_port = _host_port(parts.netloc, parts.scheme)
    host, port = _host_port(host_header, parts.scheme)
    if not host or not validate_host(host, settings.ALLOWED_HOSTS):
        return False
    return (origin_host, origin_port) == (host, port)


class SameOriginValidator:
    """ASGI middleware: refuse (HTTP 403 at the handshake) sockets from other origins."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket":
            host = _header(scope, b"host")
            if settings.USE_X_FORWARDED_HOST:
                host = _header(scope, b"x-forwarded-host").split(",")[0].strip() or host
            if not is_trusted_origin(_header(scope, b"origin"), host):
                denier = WebsocketDenier()
                return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
