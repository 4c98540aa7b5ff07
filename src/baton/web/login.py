"""What a locked-out sign-in sees (django-axes calls this instead of its plain 429 text)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def locked_out_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The sign-in page again, saying why it refuses and what to do (429 Too Many Requests)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"locked_out": True, "cooloff_minutes": minutes, "next": request.POST.get("next", "")}
    return render(request, "web/login.html", context, status=429)
