"""Running the simulator: in the foreground (``baton simulate``) or in a thread (tests, demo)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from baton.simulator.config import SimulatorConfig
from baton.simulator.engine import Simulator
from baton.simulator.graph_api import TRANSPORT_EXTENSION, create_app

LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 15.0


class _TransportAwareProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol, also handing each request its connection's transport.

    ASGI has no way to drop a connection without answering; the "drop" fault needs exactly
    that to imitate a response lost after Graph accepted the message.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inner = self.app

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                scope.setdefault("extensions", {})[TRANSPORT_EXTENSION] = self.transport
            await inner(scope, receive, send)

        self.app = app


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 gets a free port, known before the server starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _server(simulator: Simulator, *, quiet_logging: bool) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(simulator),
        log_level="warning",
        # In a thread inside Django or pytest, leave the host process's logging alone.
        log_config=None if quiet_logging else uvicorn.config.LOGGING_CONFIG,
        lifespan="on",
        ws="none",
        http=_TransportAwareProtocol,
        access_log=False,
        # A "hang" fault must not hold a shutdown for its whole delay.
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


@dataclass
class SimulatorHandle:
    """A simulator serving from a background thread."""

    simulator: Simulator
    server: uvicorn.Server
    thread: threading.Thread
    sock: socket.socket

    @property
    def config(self) -> SimulatorConfig:
        return self.simulator.config

    @property
    def port(self) -> int:
        return self.simulator.config.port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: where the control API (``/_sim/…``) lives."""
        return self.simulator.config.base_url

    @property
    def graph_base_url(self) -> str:
        """What Baton's ``WHATSAPP_API_BASE_URL`` should be (``…/v23.0``)."""
        return self.simulator.config.graph_base_url

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=timeout)
        self.sock.close()

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_in_thread(
    config: SimulatorConfig, *, progress: Callable[[str], None] | None = None
) -> SimulatorHandle:
    """Serve on 127.0.0.1 from a daemon thread; return once it accepts requests.

    Always loopback, whatever ``config.host`` says: tests and the demo need no more, and
    a fake Graph API that accepts any token has no business on a network. ``port=0``
    picks a free port; the handle (and ``config.port``) report the one chosen.
    """
    sock = bind_socket(LOOPBACK, config.port)
    config = replace(config, host=LOOPBACK, port=sock.getsockname()[1])
    simulator = Simulator(config, progress=progress)
    server = _server(simulator, quiet_logging=True)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="baton-simulator", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"simulator did not start on {LOOPBACK}:{config.port}")
        time.sleep(0.01)
    return SimulatorHandle(simulator, server, thread, sock)


def run(config: SimulatorConfig, *, progress: Callable[[str], None] | None = None) -> None:
    """Serve in the foreground until interrupted (Ctrl+C is handled by uvicorn)."""
    sock = bind_socket(config.host, config.port)
    config.port = sock.getsockname()[1]
    simulator = Simulator(config, progress=progress)
    server = _server(simulator, quiet_logging=False)
    if progress is not None:
        progress(f"Simulated Graph API on {config.graph_base_url} (control API under /_sim/)")
        progress(f"Set WHATSAPP_API_BASE_URL={config.graph_base_url} for Baton.")
        progress(f"Webhooks go to {config.webhook_url}")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
