"""ASGI entry point: HTTP through Django (WSGI handler), WebSockets through Channels.

HTTP goes through Django's WSGI handler behind a2wsgi's adapter rather than Django's ASGI
handler: with our (sync) middleware stack, the ASGI handler hops between the event loop and
worker threads for every middleware hook, and starts a thread (and a database connection)
per request. Measured on the 2-core dev machine, trivial view: 200 req/s through the ASGI
handler, 814 req/s through the WSGI handler; webhook ingest gains likewise (see
benchmarks/ingest.py). Requests run on a fixed pool of threads that keep their connections.
"""

import asyncio
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")

from django.core.wsgi import get_wsgi_application

django_wsgi_app = get_wsgi_application()

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.routing import Mount  # noqa: E402
from starlette.staticfiles import StaticFiles  # noqa: E402

from baton.core.request_limits import BufferedRequestBody  # noqa: E402
from baton.realtime.events import register_server_loop  # noqa: E402
from baton.realtime.origin import SameOriginValidator  # noqa: E402
from baton.web.socket_urls import websocket_urlpatterns  # noqa: E402

# Static files are served straight from the installed apps' static/ folders (no
# collectstatic step), outside Django's request cycle.
static_files = Starlette(
    routes=[
        Mount(
            settings.STATIC_URL.rstrip("/"),
            StaticFiles(
                packages=[
                    (app.name, "static")
                    for app in apps.get_app_configs()
                    if os.path.isdir(os.path.join(app.path, "static"))
                ]
            ),
        )
    ]
)
# A fixed pool of threads, each keeping its database connection between requests. A thread
# is taken only once the request body has arrived in full: a slow client waits on the event
# loop, not in the pool (see core.request_limits).
django_http = BufferedRequestBody(
    # Django's WSGIHandler returns its response object, an iterable of bytes.
    WSGIMiddleware(django_wsgi_app, workers=int(os.environ.get("BATON_HTTP_THREADS", "4")))  # type: ignore[arg-type]
)

router = ProtocolTypeRouter(
    {
        "http": django_http,
        # Not Channels' AllowedHostsOriginValidator: with ALLOWED_HOSTS="*" it lets any
        # site open a socket with the agent's cookie (see realtime.origin).
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

_registered_loop: asyncio.AbstractEventLoop | None = None


async def application(scope, receive, send):
    """Records this process's event loop (for live events from threads), then routes."""
    global _registered_loop
    loop = asyncio.get_running_loop()
    if _registered_loop is not loop:
        register_server_loop(loop)
        _registered_loop = loop
    if scope["type"] == "http" and scope["path"].startswith(settings.STATIC_URL):
        await static_files(scope, receive, send)
        return
    await router(scope, receive, send)
