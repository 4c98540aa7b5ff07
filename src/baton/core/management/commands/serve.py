"""``baton serve``: the ASGI server (HTTP + WebSockets), by default with the task worker."""

from __future__ import annotations

import asyncio

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand

from baton.core.worker import EmbeddedWorker
from baton.realtime.events import register_server_loop


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
            "--log-level", default="warning", help="uvicorn's access/error log level"
        )

    def handle(self, *args, **options):
        embedded = None if options["no_worker"] else EmbeddedWorker()
        config = uvicorn.Config(
            "baton.asgi:application",
            host=options["host"],
            port=options["port"],
            lifespan="off",
            log_level=options["log_level"],
            ws_ping_interval=20,
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
