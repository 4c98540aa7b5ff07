"""Serving customers' and agents' files so that none of them can run script as Baton.

Three walls, each enough on its own for the common case:

* only formats that cannot carry script are shown inline, and only when the bytes agree
  with the declared type (``baton.core.media_types``); everything else is a download typed
  ``application/octet-stream``;
* every response forbids sniffing and carries ``Content-Security-Policy: sandbox`` (an
  opaque origin, no script) with nothing loadable but the file itself;
* with ``BATON_MEDIA_ORIGIN`` set, the bytes come from another origin altogether: the app
  answers ``/media/<id>`` with a redirect to a short-lived link signed for the viewer, and
  the media origin serves nothing else (``MediaOriginMiddleware``).

Every path re-checks that the viewer may see the conversation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.utils.cache import patch_cache_control

from baton.agents.models import User
from baton.conversations.models import Direction, Message
from baton.conversations.queries import access_conversation
from baton.core.errors import NotFound
from baton.core.media_types import SNIFF_BYTES, inline_content_type

MEDIA_LINK_PARAM = "t"
# Separates these signatures from every other use of SECRET_KEY.
MEDIA_LINK_SALT = "baton.web.media-link"
# Long enough for a browser to follow the redirect it was just given; a page that stays
# open asks the app again, which signs a fresh link.
MEDIA_LINK_SECONDS = 300
# The file is the only thing its document may load: images and PDFs render, nothing runs.
MEDIA_CSP = (
    "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
)


def media_origin_host() -> str:
    """The host of ``BATON_MEDIA_ORIGIN`` ('' when media are served by the app itself)."""
    origin = settings.BATON_MEDIA_ORIGIN
    return urlsplit(origin).netloc.lower() if origin else ""


def is_media_origin_request(request: HttpRequest) -> bool:
    host = media_origin_host()
    return bool(host) and request.get_host().lower() == host


def sign_media_link(message_id: int, viewer: Any) -> str:
    """An absolute link under ``BATON_MEDIA_ORIGIN`` that lets ``viewer`` fetch one file."""
    token = signing.dumps({"m": message_id, "u": viewer.pk}, salt=MEDIA_LINK_SALT)
    path = reverse("web:media", args=[message_id])
    return f"{settings.BATON_MEDIA_ORIGIN.rstrip('/')}{path}?{urlencode({MEDIA_LINK_PARAM: token})}"


def get_media_link_viewer(token: str, message_id: int) -> User | None:
    """The active user a signed link was made for, if it is genuine, fresh and for this file."""
    try:
        claim = signing.loads(token, salt=MEDIA_LINK_SALT, max_age=MEDIA_LINK_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(claim, dict) or claim.get("m") != message_id:
        return None
    user_id = claim.get("u")
    if not isinstance(user_id, int):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def access_media_message(viewer: Any, message_id: int) -> Message:
    """The message with a stored file, if ``viewer`` may see its conversation; else 404."""
    message = Message.objects.filter(pk=message_id).exclude(direction=Direction.ACTIVITY).first()
    if message is None or not message.media_file:
        raise Http404("No media")
    try:
        access_conversation(viewer, message.conversation_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return message


def media_response(message: Message) -> FileResponse:
    """The stored file, inline only when its type is safe and its bytes agree."""
    handle = message.media_file.open("rb")
    head = handle.read(SNIFF_BYTES)
    handle.seek(0)
    inline_type = inline_content_type(message.media_mime_type, head)
    response = FileResponse(
        handle,
        as_attachment=inline_type is None,
        content_type=inline_type or "application/octet-stream",
        filename=message.media_filename,  # '' lets Django use the stored name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP
    patch_cache_control(response, private=True)
    return response
