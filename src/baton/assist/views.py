"""Assist's pages and fragments: the intent select in the pane, the suggestion chips, the
draft button, and the manager page /assist/.

Thin: reads come from ``assist.queries``, writes go through ``assist.actions``; a domain
refusal becomes the HTTP status it means.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from baton.assist import llm
from baton.assist.actions import do_correct_intent, do_record_suggestions
from baton.assist.models import SuggestionKind
from baton.assist.queries import get_draft_history, get_report, get_suggestions, intent_choices
from baton.conversations.queries import access_conversation
from baton.core.errors import InvalidInput, NotFound
from baton.core.errors import PermissionDenied as DomainPermissionDenied


@login_required
@require_POST
def correct_intent(request: HttpRequest, conversation_id: int) -> HttpResponse:
    try:
        conversation = do_correct_intent(
            request.user, conversation_id, request.POST.get("intent", "")
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except InvalidInput as exc:
        return HttpResponse(exc.message, status=422)
    return render(
        request,
        "assist/_intent.html",
        {"conversation": conversation, "intent_choices": intent_choices(), "saved": True},
    )


@login_required
@require_GET
def suggestions(request: HttpRequest, conversation_id: int) -> HttpResponse:
    try:
        items = get_suggestions(request.user, conversation_id)
        conversation = access_conversation(request.user, conversation_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if items:
        do_record_suggestions(request.user, conversation, SuggestionKind.SHOWN)
    return render(
        request,
        "assist/_suggestions.html",
        {"conversation": conversation, "items": items, "can_draft": llm.is_configured()},
    )


@login_required
@require_POST
def suggestion_used(request: HttpRequest, conversation_id: int) -> HttpResponse:
    try:
        conversation = access_conversation(request.user, conversation_id)
        do_record_suggestions(
            request.user, conversation, SuggestionKind.USED, request.POST.get("source", "")[:16]
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return HttpResponse(status=204)


@login_required
@require_POST
def draft(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """A draft from the configured provider, as JSON for the composer (never sent)."""
    try:
        history = get_draft_history(request.user, conversation_id)
        text = llm.draft_reply(history)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except InvalidInput as exc:
        return JsonResponse({"error": exc.message}, status=404)
    except llm.ProviderError as exc:
        return JsonResponse({"error": str(exc)}, status=502)
    return JsonResponse({"text": text})


@login_required
def report(request: HttpRequest) -> HttpResponse:
    try:
        context = get_report(request.user)
    except DomainPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    return render(request, "assist/report.html", context)
