"""A real Baton server for tests: uvicorn + the ASGI app + the embedded worker, in threads."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from baton.core.worker import EmbeddedWorker
from baton.realtime.events import register_server_loop


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_baton(with_worker: bool = True, uvicorn_options: dict | None = None) -> Iterator[str]:
    """Serve Baton on a free loopback port; yields its base URL (no trailing slash)."""
    port = free_port()
    config = uvicorn.Config(
        "baton.asgi:application",
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        **(uvicorn_options or {}),
    )
    server = uvicorn.Server(config)
    worker = EmbeddedWorker() if with_worker else None

    def run() -> None:
        async def main() -> None:
            register_server_loop(asyncio.get_running_loop())
            await server.serve()

        asyncio.run(main())

    thread = threading.Thread(target=run, name="baton-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    if worker:
        worker.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        if worker:
            worker.stop()
        server.should_exit = True
        thread.join(timeout=10)


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05, message: str = ""):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or "condition not met in time")
        time.sleep(interval)
