"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from starlette.staticfiles import StaticFiles  # noqa: E402

from baton.realtime.routing import websocket_urlpatterns  # noqa: E402

# Static files are served straight from the installed packages, outside Django's request
# cycle (no collectstatic step, and no sync/async hops per request as with a middleware).
static_files = StaticFiles(packages=[("django.contrib.admin", "static"), ("baton.web", "static")])

router = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)


async def application(scope, receive, send):
    """Records this process's event loop (for live events from threads), then routes."""
    if not _loop_registered:
        _register_loop()
    if scope["type"] == "http" and scope["path"].startswith("/static/"):
        await static_files({**scope, "path": scope["path"].removeprefix("/static")}, receive, send)
        return
    await router(scope, receive, send)


_loop_registered = False


def _register_loop() -> None:
    global _loop_registered
    import asyncio

    from baton.realtime.events import register_server_loop

    register_server_loop(asyncio.get_running_loop())
    _loop_registered = True
