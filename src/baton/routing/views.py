"""Manager pages for routing rules: list in order, edit, enable, delete, and a dry run.

Thin: reads come from ``routing.queries``, every write goes through ``routing.rule_actions``.
Team walls are enforced there (a manager sees and changes only rules within their teams);
the pages turn a refusal into a 403 that says why.
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
from django.utils import timezone
from django.views.decorators.http import require_POST

from baton.core.errors import DomainError, NotFound
from baton.core.errors import PermissionDenied as DomainPermissionDenied
from baton.core.inputs import whole_number
from baton.routing.forms import DryRunForm, RoutingRuleForm
from baton.routing.models import RoutingRule
from baton.routing.queries import (
    access_rule,
    check_manager,
    check_may_try_sample,
    get_configurable_rules,
    get_dry_run,
    get_sample_decision,
    get_team_walls,
)
from baton.routing.rule_actions import (
    do_delete_routing_rule,
    do_move_routing_rule,
    do_save_routing_rule,
    do_set_routing_rule_enabled,
)
from baton.whatsapp.models import Inbox


def manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the login page; logged-in non-managers get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            check_manager(request.user)
        except DomainPermissionDenied as exc:
            raise PermissionDenied(exc.message) from exc
        return view(request, *args, **kwargs)

    return wrapper


def walled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A rule outside the user's teams answers 403 with the reason (``routing.queries``)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainPermissionDenied as exc:
            return render(request, "routing/forbidden.html", {"message": exc.message}, status=403)

    return wrapper


def _rule(request: HttpRequest, rule_id: int) -> RoutingRule:
    try:
        return access_rule(request.user, rule_id)
    except NotFound as exc:
        raise Http404("No such routing rule.") from exc


@manager_required
def rule_list(request: HttpRequest) -> HttpResponse:
    walls = get_team_walls()
    rules = get_configurable_rules(request.user, walls)
    sections = [
        {"inbox": inbox, "rules": [r for r in rules if r.inbox_id == inbox.pk]}
        for inbox in Inbox.objects.order_by("name")
        if walls.may_configure(request.user, inbox.pk, {})
    ]
    if walls.may_configure(request.user, None, {}):
        sections.append({"inbox": None, "rules": [r for r in rules if r.inbox_id is None]})
    return render(request, "routing/rules.html", {"sections": sections})


def _edit(request: HttpRequest, rule: RoutingRule | None) -> HttpResponse:
    initial = {}
    inbox_id = whole_number(request.GET.get("inbox", ""))
    if rule is None and inbox_id is not None:
        initial["inbox"] = inbox_id
    form = RoutingRuleForm(request.POST or None, instance=rule, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = do_save_routing_rule(form.instance, request.user)  # type: ignore[arg-type]
        except DomainPermissionDenied:
            raise
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Saved “{saved.name}”.")
            return redirect("routing:rules")
    status = 400 if request.method == "POST" else 200
    return render(request, "routing/edit.html", {"form": form, "rule": rule}, status=status)


@manager_required
@walled
def rule_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@manager_required
@walled
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    return _edit(request, _rule(request, rule_id))


@manager_required
@require_POST
@walled
def rule_move(request: HttpRequest, rule_id: int, direction: str) -> HttpResponse:
    if direction not in ("up", "down"):
        raise Http404("Move up or down.")
    do_move_routing_rule(_rule(request, rule_id), request.user, -1 if direction == "up" else 1)  # type: ignore[arg-type]
    return redirect("routing:rules")


@manager_required
@require_POST
@walled
def rule_toggle(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _rule(request, rule_id)
    try:
        do_set_routing_rule_enabled(rule, request.user, not rule.enabled)  # type: ignore[arg-type]
    except DomainPermissionDenied:
        raise
    except DomainError as exc:
        # A rule saved before its team was deleted cannot be re-enabled until fixed.
        messages.error(request, exc.message)
    return redirect("routing:rules")


@manager_required
@require_POST
@walled
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _rule(request, rule_id)
    do_delete_routing_rule(rule, request.user)  # type: ignore[arg-type]
    messages.success(request, f"Deleted “{rule.name}”.")
    return redirect("routing:rules")


@manager_required
@walled
def dry_run(request: HttpRequest) -> HttpResponse:
    form = DryRunForm(request.GET or None)
    results: list[dict[str, Any]] = []
    sample: dict[str, Any] | None = None
    if form.is_bound and not form.is_valid():
        return render(request, "routing/dry_run.html", {"form": form}, status=400)
    data = form.cleaned_data if form.is_bound else {}
    inbox = data.get("inbox")
    results = get_dry_run(request.user, data.get("limit") or 20, inbox.pk if inbox else None)
    if form.is_bound and form.has_sample():
        check_may_try_sample(request.user, inbox.pk if inbox else None)
        decision, facts = get_sample_decision(
            inbox=inbox,
            text=data.get("text") or "",
            reply_id=data.get("reply_id") or "",
            reply_title=data.get("reply_title") or "",
            contact_labels=form.labels(),
            is_returning=bool(data.get("is_returning")),
            now=timezone.now(),
        )
        sample = {"decision": decision, "facts": facts}
    return render(
        request, "routing/dry_run.html", {"form": form, "results": results, "sample": sample}
    )
