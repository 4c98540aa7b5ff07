"""A WebSocket client for ASGI applications, in process (no server, no network).

Channels ships one (``channels.testing.WebsocketCommunicator``), but importing
``channels.testing`` needs daphne, which Baton does not use; this is the same idea on
asgiref's ``ApplicationCommunicator``, with only what our tests need.
"""

from __future__ import annotations

import json
from typing import Any

from asgiref.testing import ApplicationCommunicator


class SocketClient(ApplicationCommunicator):
    def __init__(self, application: Any, path: str, headers: list[tuple[bytes, bytes]]):
        super().__init__(
            application,
            {
                "type": "websocket",
                "path": path,
                "raw_path": path.encode(),
                "query_string": b"",
                "headers": headers,
                "scheme": "ws",
                "server": ("testserver", 80),
                "client": ("127.0.0.1", 50000),
                "subprotocols": [],
            },
        )

    async def connect(self, timeout: float = 5) -> bool:
        """True when the application accepted the handshake, False when it refused it."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        return response["type"] == "websocket.accept"

    async def receive_json_from(self, timeout: float = 5) -> Any:
        message = await self.receive_output(timeout)
        assert message["type"] == "websocket.send", message
        return json.loads(message["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 5) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)
