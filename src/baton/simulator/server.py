"""Running the simulator: in this process (``baton simulate``) or in a thread (tests, demo)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, replace

import uvicorn

from baton.simulator.app import Simulator, create_app
from baton.simulator.config import SimulatorConfig


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class SimulatorHandle:
    """A simulator running in a background thread."""

    simulator: Simulator
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def base_url(self) -> str:
        return self.simulator.public_base_url

    @property
    def graph_base_url(self) -> str:
        """What Baton's WHATSAPP_API_BASE_URL should be."""
        return f"{self.base_url}/v23.0"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _server(config: SimulatorConfig) -> tuple[Simulator, uvicorn.Server]:
    simulator = Simulator(config)
    uv_config = uvicorn.Config(
        create_app(simulator),
        host=config.host,
        port=config.port,
        log_level="warning",
        lifespan="on",
    )
    return simulator, uvicorn.Server(uv_config)


def start_in_thread(config: SimulatorConfig) -> SimulatorHandle:
    """Start on ``config.port`` (0 = any free port) and return once it accepts requests."""
    if config.port == 0:
        config = replace(config, port=_free_port(config.host))
    simulator, server = _server(config)
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve()), name="simulator", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"simulator did not start on {config.host}:{config.port}")
        time.sleep(0.02)
    return SimulatorHandle(simulator, server, thread)


def run(config: SimulatorConfig) -> None:
    """Serve in the foreground until interrupted."""
    _, server = _server(config)
    server.run()
