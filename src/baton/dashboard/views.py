"""The manager's board page: one view for the page and its live fragment (NetBox's htmx
pattern), and ``/metrics`` for operators. Thin: the numbers come from ``dashboard.queries``
and ``dashboard.metrics``."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from baton.agents.http import AuthenticatedRequest
from baton.core.errors import PermissionDenied as DomainPermissionDenied
from baton.dashboard.metrics import render_metrics
from baton.dashboard.queries import HOUR_MARKS, get_board


class BoardRequest(AuthenticatedRequest):
    htmx: HtmxDetails


@login_required
@require_GET
def board(request: BoardRequest) -> HttpResponse:
    """The whole board, or (htmx, ``HX-Target: board``) just the numbers for a live refresh,
    or (``?agent=<username>``) one agent's day, item by item."""
    agent = request.GET.get("agent", "")[:150]
    try:
        data = get_board(request.user, agent=agent)
    except DomainPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    context = {"board": data, "now": data.generated_at, "hour_marks": HOUR_MARKS}
    if agent:
        if not data.agents:
            raise Http404("No such agent in your teams.")
        return render(request, "dashboard/_agent_day.html", {"agent": data.agents[0]})
    if request.htmx and request.htmx.target == "board":
        return render(request, "dashboard/_board.html", context)
    return render(request, "dashboard/board.html", context)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape: absent (404) unless ``BATON_METRICS_TOKEN`` is set, then only
    with ``Authorization: Bearer <token>`` (compared in constant time)."""
    token = settings.BATON_METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off (set BATON_METRICS_TOKEN).")
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not constant_time_compare(value.strip(), token):
        return HttpResponse(
            "bearer token required\n",
            status=401,
            content_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body, content_type = render_metrics()
    return HttpResponse(body, content_type=content_type)
