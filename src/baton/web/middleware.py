"""Keeps the media origin (``BATON_MEDIA_ORIGIN``) from ever serving the app.

A login page or inbox answered under the media host would give a customer's file, opened
there, a logged-in session next to it: exactly what the separate origin is for avoiding.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from baton.web.media import is_media_origin_request


class MediaOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_media_origin_request(request):
            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
            if match is None or match.view_name != "web:media":
                raise Http404("Only files are served here")
        return self.get_response(request)
