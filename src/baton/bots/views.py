"""Manager pages for bot flows: the list (enable, delete), the editor (JSON with per-step
errors, an SVG diagram of the steps) and its test run (the pure engine plays a customer
conversation: nothing is sent, nothing stored).

Thin: reads come from ``bots.queries``, writes go through ``bots.actions`` (validated and
audited there). Managers and admins only; an agent gets the app's 403 page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from baton.bots.actions import do_create_flow, do_delete_flow, do_set_flow_enabled, do_update_flow
from baton.bots.definition import FlowDefinition, parse_flow
from baton.bots.diagram import flow_svg
from baton.bots.engine import Context
from baton.bots.forms import EXAMPLE, FlowForm, TrialForm
from baton.bots.models import Flow
from baton.bots.queries import access_flow, check_may_configure_flows, current_definition, get_flows
from baton.bots.trial import play
from baton.core.errors import DomainError, InvalidInput, NotFound
from baton.core.errors import PermissionDenied as DomainPermissionDenied


def manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the login page; logged-in agents get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            check_may_configure_flows(request.user)
        except DomainPermissionDenied as exc:
            raise PermissionDenied(exc.message) from exc
        return view(request, *args, **kwargs)

    return wrapper


def _flow(flow_id: int) -> Flow:
    try:
        return access_flow(flow_id)
    except NotFound as exc:
        raise Http404("No such bot flow.") from exc


def diagram(definition: FlowDefinition | None) -> str | None:
    """The steps as SVG markup; ``flow_svg`` escapes every value taken from the flow."""
    return mark_safe(flow_svg(definition)) if definition is not None else None  # noqa: S308


@manager_required
def flow_list(request: HttpRequest) -> HttpResponse:
    return render(request, "bots/flows.html", {"flows": get_flows()})


def _edit(request: HttpRequest, flow: Flow | None) -> HttpResponse:
    definition = current_definition(flow) if flow is not None else None
    if request.method == "POST":
        form = FlowForm(request.POST)
    else:
        raw = flow.current_version.definition if flow and flow.current_version else EXAMPLE
        form = FlowForm(initial={"definition": raw, "inbox": flow.inbox_id if flow else None})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if flow is None:
                saved = do_create_flow(data["definition"], request.user, inbox=data["inbox"])  # type: ignore[arg-type]
                note = f"Created “{saved.name}”."
            else:
                version = do_update_flow(
                    flow.pk,
                    data["definition"],
                    request.user,  # type: ignore[arg-type]
                    inbox=data["inbox"],
                )
                note = f"Saved “{data['definition']['name']}” as version {version.number}."
        except InvalidInput as exc:
            for error in exc.details.get("errors") or [exc.message]:
                form.add_error("definition", error)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, note)
            return redirect("bots:flows")
    if request.method == "POST" and "definition" in form.cleaned_data:
        definition = parse_flow(form.cleaned_data["definition"])  # valid: draw what was sent
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "flow": flow, "diagram": diagram(definition)}
    return render(request, "bots/edit.html", context, status=status)


@manager_required
def flow_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@manager_required
def flow_edit(request: HttpRequest, flow_id: int) -> HttpResponse:
    return _edit(request, _flow(flow_id))


@manager_required
@require_POST
def flow_toggle(request: HttpRequest, flow_id: int) -> HttpResponse:
    flow = _flow(flow_id)
    do_set_flow_enabled(flow.pk, not flow.enabled, request.user)  # type: ignore[arg-type]
    return redirect("bots:flows")


@manager_required
@require_POST
def flow_delete(request: HttpRequest, flow_id: int) -> HttpResponse:
    flow = _flow(flow_id)
    try:
        do_delete_flow(flow.pk, request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Deleted “{flow.name}”.")
    return redirect("bots:flows")


@manager_required
@require_POST
def trial(request: HttpRequest) -> HttpResponse:
    """The test run fragment: replays the moves so far plus this one, from the start."""
    form = TrialForm(request.POST)
    if not form.is_valid():
        return render(request, "bots/_trial.html", {"form": form}, status=400)
    definition = parse_flow(form.cleaned_data["definition"])
    moves = form.moves()
    facts = {"time.within_business_hours": bool(form.cleaned_data.get("within_business_hours"))}
    run = play(definition, moves, Context(facts=facts, now=timezone.now()))
    context = {
        "form": form,
        "run": run,
        "history": json.dumps([m.as_dict() for m in moves]),
        "within_business_hours": facts["time.within_business_hours"],
    }
    return render(request, "bots/_trial.html", context)
