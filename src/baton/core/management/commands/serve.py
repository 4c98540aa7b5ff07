"""``baton serve``: the ASGI server (HTTP + WebSockets), by default with the task worker."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from baton.core.request_limits import HTTP_PROTOCOL
from baton.core.worker import EmbeddedWorker
from baton.realtime.events import register_server_loop
from baton.whatsapp.actions import ensure_inbox_from_settings


def proxy_options() -> dict[str, Any]:
    """Whether uvicorn takes the client's address and scheme from X-Forwarded-For/-Proto.

    Only in TLS-proxy mode and only from BATON_TRUSTED_PROXIES: otherwise anyone could pick
    the address that sign-in throttling counts against.
    """
    if not settings.BATON_BEHIND_TLS_PROXY:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": settings.BATON_TRUSTED_PROXIES}


class Command(BaseCommand):
    help = "Run Baton's web server (and, unless --no-worker, the background worker)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not run the task worker in this process (run 'baton worker' separately).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="HTTP worker processes (more than 1 needs REDIS_URL so live events reach all).",
        )
        parser.add_argument(
            "--log-level", default="warning", help="uvicorn's access/error log level"
        )

    def handle(self, *args, **options):
        ensure_inbox_from_settings()
        if options["workers"] > 1:
            self._serve_multiprocess(options)
            return
        embedded = None if options["no_worker"] else EmbeddedWorker()
        config = uvicorn.Config(
            "baton.asgi:application",
            host=options["host"],
            port=options["port"],
            lifespan="off",
            log_level=options["log_level"],
            ws_ping_interval=20,
            **proxy_options(),
            http=HTTP_PROTOCOL,
        )
        server = uvicorn.Server(config)
        layer = "Redis" if settings.REDIS_URL else "in-memory"
        db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(
            f"Baton on http://{options['host']}:{options['port']}/  "
            f"(database: {db}, live events: {layer}, "
            f"worker: {'embedded' if embedded else 'separate'})"
        )

        async def main() -> None:
            register_server_loop(asyncio.get_running_loop())
            if embedded:
                embedded.start()
            await server.serve()

        try:
            asyncio.run(main())
        finally:
            if embedded:
                embedded.stop()

    def _serve_multiprocess(self, options):
        if not settings.REDIS_URL:
            raise CommandError(
                "--workers > 1 needs REDIS_URL: live events must reach every process."
            )
        # The task worker runs in this supervising process; HTTP runs in the children.
        embedded = None if options["no_worker"] else EmbeddedWorker()
        self.stdout.write(
            f"Baton on http://{options['host']}:{options['port']}/  "
            f"({options['workers']} HTTP processes, live events: Redis, "
            f"worker: {'embedded' if embedded else 'separate'})"
        )
        if embedded:
            embedded.start()
        try:
            uvicorn.run(
                "baton.asgi:application",
                host=options["host"],
                port=options["port"],
                workers=options["workers"],
                lifespan="off",
                log_level=options["log_level"],
                ws_ping_interval=20,
                **proxy_options(),
                http=HTTP_PROTOCOL,
            )
        finally:
            if embedded:
                embedded.stop()
