"""Is a TCP port free to listen on? Asked before a server prints its address."""

from __future__ import annotations

import socket


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on ``host:port`` now (a bind test, released at once).

    ``socket.create_server`` sets ``SO_REUSEADDR`` like uvicorn does, so a port left in
    TIME_WAIT by a server that just stopped counts as free, as it is for uvicorn.
    An unknown host name raises ``socket.gaierror``: that is not a busy port.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    for family, *_ in infos:
        try:
            with socket.create_server((host, port), family=family):
                pass
        except OSError:
            return False
    return True


def first_free_port(host: str, start: int, tries: int = 50) -> int | None:
    """The first port from ``start`` upwards that ``port_is_free``; None if all are taken."""
    return next((p for p in range(start, start + tries) if port_is_free(host, p)), None)
