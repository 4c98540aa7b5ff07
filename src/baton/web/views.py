"""The agent's web page: thin views over the same queries and actions the API uses."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from baton.conversations.actions import (
    do_add_note,
    do_queue_outbound_message,
    do_requeue_failed_message,
)
from baton.conversations.models import Direction, Message
from baton.conversations.ownership import (
    do_claim_conversation,
    do_release_conversation,
    do_reopen_conversation,
    do_resolve_conversation,
    do_take_over_conversation,
)
from baton.conversations.queries import (
    access_conversation,
    get_events,
    get_timeline,
    is_manager_of,
    visible_conversations,
)
from baton.core.errors import DomainError, NotFound

LIST_LIMIT = 100


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def _list_context(request: HttpRequest, selected_id: int | None = None) -> dict:
    conversations = list(
        visible_conversations(request.user)
        .exclude(status="resolved")
        .order_by("-last_message_at", "-id")[:LIST_LIMIT]
    )
    return {"conversations": conversations, "selected_id": selected_id, "now": timezone.now()}


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "web/inbox.html", {**_list_context(request), "conversation": None})


@login_required
def conversation_list(request: HttpRequest) -> HttpResponse:
    selected = request.GET.get("selected")
    selected_id = int(selected) if selected and selected.isdigit() else None
    return render(request, "web/_conversation_list.html", _list_context(request, selected_id))


def _conversation_context(request: HttpRequest, conversation_id: int, error: str = "") -> dict:
    try:
        conversation = access_conversation(request.user, conversation_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    now = timezone.now()
    user = request.user
    return {
        "conversation": conversation,
        "is_owner": conversation.owner_id == user.pk,
        "can_manage": is_manager_of(user, conversation.team),
        "timeline": list(get_timeline(conversation)),
        "events": list(get_events(conversation)),
        "window_open": conversation.window_is_open(now),
        "error": error,
        "now": now,
    }


@login_required
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    context = _conversation_context(request, conversation_id)
    if request.htmx and request.GET.get("part") == "timeline":
        return render(request, "web/_timeline.html", context)
    if request.htmx:
        return render(request, "web/_conversation.html", context)
    return render(request, "web/inbox.html", {**_list_context(request, conversation_id), **context})


@login_required
@require_POST
def reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    context = _conversation_context(request, conversation_id)
    conv = context["conversation"]
    text = request.POST.get("text", "")
    upload = request.FILES.get("attachment")
    error = ""
    try:
        if request.POST.get("mode") == "note":
            do_add_note(conv, request.user, text)
        elif request.POST.get("template_name"):
            params = [
                p.strip() for p in request.POST.get("template_params", "").split("|") if p.strip()
            ]
            do_queue_outbound_message(
                conv,
                request.user,
                template={
                    "name": request.POST["template_name"],
                    "language": request.POST.get("template_language") or "en_US",
                    "parameters": params,
                },
            )
        else:
            media_type = None
            if upload is not None:
                media_type = (
                    "image" if (upload.content_type or "").startswith("image/") else "document"
                )
            do_queue_outbound_message(
                conv, request.user, text=text, media_file=upload, media_type=media_type
            )
    except DomainError as exc:
        error = exc.message
    if not request.htmx:
        return redirect("web:conversation", conversation_id=conversation_id)
    return render(
        request, "web/_conversation.html", _conversation_context(request, conversation_id, error)
    )


@login_required
@require_POST
def retry(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    conv = _conversation_context(request, conversation_id)["conversation"]
    message = Message.objects.filter(pk=message_id, conversation=conv).first()
    error = ""
    if message is None:
        raise Http404("No such message")
    try:
        do_requeue_failed_message(message, request.user)
    except DomainError as exc:
        error = exc.message
    return render(
        request, "web/_conversation.html", _conversation_context(request, conversation_id, error)
    )


OWNERSHIP_VERBS = {
    "claim": lambda cid, user, post: do_claim_conversation(cid, user),
    "release": lambda cid, user, post: do_release_conversation(cid, user, post.get("note", "")),
    "resolve": lambda cid, user, post: do_resolve_conversation(cid, user, post.get("note", "")),
    "reopen": lambda cid, user, post: do_reopen_conversation(cid, user, post.get("note", "")),
    "takeover": lambda cid, user, post: do_take_over_conversation(
        cid, user, post.get("reason", ""), post.get("note", "")
    ),
}


@login_required
@require_POST
def ownership(request: HttpRequest, conversation_id: int, verb: str) -> HttpResponse:
    action = OWNERSHIP_VERBS.get(verb)
    if action is None:
        raise Http404("Unknown action")
    _conversation_context(request, conversation_id)  # visibility check (404)
    error = ""
    try:
        action(conversation_id, request.user, request.POST)
    except DomainError as exc:
        error = exc.message
    if not request.htmx:
        return redirect("web:conversation", conversation_id=conversation_id)
    return render(
        request, "web/_conversation.html", _conversation_context(request, conversation_id, error)
    )


@login_required
def media(request: HttpRequest, message_id: int) -> HttpResponse:
    message = Message.objects.filter(pk=message_id).exclude(direction=Direction.ACTIVITY).first()
    if message is None or not message.media_file:
        raise Http404("No media")
    try:
        access_conversation(request.user, message.conversation_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return FileResponse(
        message.media_file.open("rb"),
        content_type=message.media_mime_type or "application/octet-stream",
        filename=message.media_filename or None,
    )
