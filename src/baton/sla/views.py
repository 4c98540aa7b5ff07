"""Manager pages for SLA policies: the list in order (move, enable, delete), the edit form,
and its live preview "applies to N of the open conversations now".

Thin: reads come from ``sla.policy_queries``, writes go through ``sla.actions`` (create,
change, delete: validated and audited there) and ``sla.policy_actions`` (order). Managers
and admins only; an agent gets the app's 403 page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from baton.core.errors import DomainError, InvalidInput, NotFound
from baton.core.errors import PermissionDenied as DomainPermissionDenied
from baton.sla.actions import do_create_policy, do_delete_policy, do_update_policy
from baton.sla.forms import PolicyPreviewForm, SlaPolicyForm
from baton.sla.models import SlaPolicy
from baton.sla.policies import describe_action
from baton.sla.policy_actions import do_move_policy
from baton.sla.policy_queries import (
    PREVIEW_LIMIT,
    access_policy,
    check_may_configure_policies,
    get_next_policy_position,
    get_policies,
    get_policy_preview,
)

TARGET_LABELS = (
    ("first_response_seconds", "First response"),
    ("next_response_seconds", "Next response"),
    ("resolution_seconds", "Resolution"),
)


def manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the login page; logged-in agents get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            check_may_configure_policies(request.user)
        except DomainPermissionDenied as exc:
            raise PermissionDenied(exc.message) from exc
        return view(request, *args, **kwargs)

    return wrapper


def _policy(policy_id: int) -> SlaPolicy:
    try:
        return access_policy(policy_id)
    except NotFound as exc:
        raise Http404("No such SLA policy.") from exc


def duration(seconds: int | None) -> str:
    """``90`` → "1 min 30 s", ``5400`` → "1 h 30 min"; None → "—"."""
    if seconds is None:
        return "—"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    return " ".join(f"{n} {unit}" for n, unit in parts if n) or "0 s"


def _row(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "policy": policy,
        "targets": [(label, duration(getattr(policy, field))) for field, label in TARGET_LABELS],
        "warn": duration(policy.warn_before_seconds) if policy.warn_before_seconds else None,
        "matches_everything": policy.conditions in ({}, {"all": []}, None),
        "on_warning": [describe_action(a) for a in policy.on_warning or []],
        "on_breach": [describe_action(a) for a in policy.on_breach or []],
    }


@manager_required
def policy_list(request: HttpRequest) -> HttpResponse:
    rows = [_row(p) for p in get_policies()]
    return render(request, "sla/policies.html", {"rows": rows})


def _edit(request: HttpRequest, policy: SlaPolicy | None) -> HttpResponse:
    if request.method == "POST":
        form = SlaPolicyForm(request.POST)
    else:
        initial = SlaPolicyForm.initial_for(policy) if policy else None
        form = SlaPolicyForm(initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.policy_values()
        try:
            if policy is None:
                values["position"] = get_next_policy_position()
                saved = do_create_policy(request.user, values)  # type: ignore[arg-type]
            else:
                saved = do_update_policy(request.user, policy.pk, values)  # type: ignore[arg-type]
        except InvalidInput as exc:
            errors = exc.details.get("errors")
            if isinstance(errors, dict):
                form.add_policy_errors(errors)
            else:
                form.add_error(None, exc.message)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Saved “{saved.name}”.")
            return redirect("sla:policies")
    status = 400 if request.method == "POST" else 200
    preview_url = (
        reverse("sla:preview") if policy is None else reverse("sla:edit-preview", args=[policy.pk])
    )
    context = {"form": form, "policy": policy, "preview_url": preview_url}
    return render(request, "sla/edit.html", context, status=status)


@manager_required
def policy_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@manager_required
def policy_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    return _edit(request, _policy(policy_id))


@manager_required
@require_POST
def policy_move(request: HttpRequest, policy_id: int, direction: str) -> HttpResponse:
    if direction not in ("up", "down"):
        raise Http404("Move up or down.")
    try:
        do_move_policy(request.user, policy_id, -1 if direction == "up" else 1)  # type: ignore[arg-type]
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return redirect("sla:policies")


@manager_required
@require_POST
def policy_toggle(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = _policy(policy_id)
    try:
        do_update_policy(request.user, policy.pk, {"enabled": not policy.enabled})  # type: ignore[arg-type]
    except DomainError as exc:
        # A policy whose escalation team was deleted cannot be saved again until fixed.
        messages.error(request, exc.message)
    return redirect("sla:policies")


@manager_required
@require_POST
def policy_delete(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = _policy(policy_id)
    try:
        do_delete_policy(request.user, policy.pk)  # type: ignore[arg-type]
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, f"Deleted “{policy.name}”.")
    return redirect("sla:policies")


def _preview(request: HttpRequest, policy: SlaPolicy | None) -> HttpResponse:
    """The preview fragment for the conditions being edited (htmx, as the user types)."""
    form = PolicyPreviewForm(request.POST)
    context: dict[str, Any] = {"form": form, "limit": PREVIEW_LIMIT, "preview": None}
    if form.is_valid():
        candidate = SlaPolicy(
            pk=policy.pk if policy else None,
            position=policy.position if policy else get_next_policy_position(),
            conditions=form.cleaned_data["conditions"],
        )
        context["preview"] = get_policy_preview(candidate, limit=PREVIEW_LIMIT)
        context["disabled"] = policy is not None and not policy.enabled
    return render(request, "sla/_preview.html", context)


@manager_required
@require_POST
def preview_new(request: HttpRequest) -> HttpResponse:
    return _preview(request, None)


@manager_required
@require_POST
def preview_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    return _preview(request, _policy(policy_id))
