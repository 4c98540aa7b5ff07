"""The agent inbox: thin views over the same queries and actions the API uses.

One view serves a full page and its htmx fragments (NetBox's pattern): the request's
``HX-Target`` says which part the page wants back.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import Resolver404
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views import defaults
from django.views.decorators.http import require_POST

from baton.agents.actions import do_set_presence
from baton.bots.actions import do_return_to_bot
from baton.bots.queries import get_returnable_flow_names, handoff_card
from baton.conversations.actions import do_add_note
from baton.conversations.models import Message
from baton.conversations.ownership import (
    do_accept_handoff,
    do_claim_conversation,
    do_decline_handoff,
    do_handoff_conversation,
    do_release_conversation,
    do_reopen_conversation,
    do_resolve_conversation,
    do_set_pending,
    do_snooze_conversation,
    do_take_over_conversation,
)
from baton.conversations.queries import access_conversation, is_manager_of, visible_conversations
from baton.core.errors import DomainError, InvalidInput, NotFound
from baton.core.inputs import whole_number
from baton.core.media_types import SNIFF_BYTES, upload_message_type
from baton.core.queries import get_worker_health
from baton.web import queries
from baton.web.actions_menu import available_actions
from baton.web.http import InboxRequest, parse_inbox_filters
from baton.web.media import (
    MEDIA_LINK_PARAM,
    access_media_message,
    get_media_link_viewer,
    is_media_origin_request,
    media_response,
    sign_media_link,
)
from baton.web.sla_display import header_clocks
from baton.whatsapp.delivery import do_requeue_failed_message
from baton.whatsapp.outbound import check_send_template, do_queue_outbound_message

logger = logging.getLogger("baton.web")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and people: 503 with a reason when Baton cannot work."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        health = get_worker_health()
    except DatabaseError:
        # The error text names hosts and users: it goes to the log, not to anonymous callers.
        logger.exception("/healthz: database unavailable")
        unavailable = {"ok": False, "database": "unavailable", "reason": "database unavailable"}
        return JsonResponse(unavailable, status=503)
    body: dict[str, Any] = {
        "ok": not health.stalled,
        "database": "ok",
        "workers": health.live_workers,
        "tasks_ready": health.ready_tasks,
        "queue_lag_seconds": (
            round(health.oldest_ready_seconds, 1)
            if health.oldest_ready_seconds is not None
            else None
        ),
    }
    if health.stalled:
        body["reason"] = (
            f"no task worker seen in the last {settings.BATON_WORKER_LEASE_SECONDS:g} s while "
            f"{health.ready_tasks} task(s) wait; start 'baton worker' or 'baton serve' "
            "without --no-worker"
        )
        return JsonResponse(body, status=503)
    return JsonResponse(body)


def permission_denied(request: InboxRequest, exception: Exception) -> HttpResponse:
    """403 in the app's look, with the way back to the inbox and the refusal's reason."""
    if request.htmx:
        # A fragment request: the page around it stays; Django's short answer as before.
        return defaults.permission_denied(request, exception)
    detail = str(exception) or "Your role does not give access to this page."
    return _error_page(request, 403, "You cannot open this page", detail)


def page_not_found(request: InboxRequest, exception: Exception) -> HttpResponse:
    """404 in the app's look. Only messages Baton wrote are shown (not the resolver's)."""
    if request.htmx:
        return defaults.page_not_found(request, exception)
    written = exception.args[0] if exception.args and isinstance(exception.args[0], str) else ""
    detail = "" if isinstance(exception, Resolver404) else written
    return _error_page(
        request, 404, "Nothing here", detail or "This page does not exist (any more)."
    )


def _error_page(request: InboxRequest, status: int, title: str, detail: str) -> HttpResponse:
    context = {"status": status, "title": title, "detail": detail}
    return render(request, "web/error.html", context, status=status)


# The list of a board link's filters: no view of the sidebar is the current one.
FILTERED_VIEW = "filtered"


def _view_slug(request: InboxRequest) -> str:
    view = request.GET.get("view") or request.POST.get("view") or ""
    if view not in queries.VIEW_SLUGS or (view == "all" and not request.user.is_manager):
        return queries.default_view_for(request.user)
    return view


def _page(request: InboxRequest) -> int:
    page = whole_number(request.GET.get("page", "1"))
    return page if page else 1


def _list_context(request: InboxRequest, selected_id: int | None = None) -> dict[str, Any]:
    user = request.user
    view = _view_slug(request)
    page = _page(request)
    # The manager's board links to filtered lists (/?team=3&status=queued): those replace
    # the view for this list, whatever ``view`` says.
    filters = parse_inbox_filters(request.GET)
    if filters:
        conversations, has_more = queries.get_filtered_page(user, filters, page)
    else:
        conversations, has_more = queries.get_view_page(user, view, page)
    counts = queries.get_view_counts(user)
    filtered = (
        {
            "view": FILTERED_VIEW,
            "view_label": f"Filtered: {queries.describe_filters(filters)}",
            "filter_query": filters.query(),
            "filtered_count": queries.count_filtered(user, filters),
        }
        if filters
        else {}
    )
    return {
        "view": view,
        "views": [(v, counts.get(v.slug, 0)) for v in queries.get_views_for(user)],
        "view_label": next(v.label for v in queries.INBOX_VIEWS if v.slug == view),
        "filter_query": "",
        **filtered,
        "conversations": conversations,
        "page": page,
        "next_page": page + 1 if has_more else None,
        "selected_id": selected_id,
        "alerts": queries.get_open_alerts(user) if user.is_manager else [],
        # The admin's own test (active staff), so the link is never a way to "not authorized".
        "can_open_admin": admin.site.has_permission(request),
        "now": timezone.now(),
    }


@login_required
def inbox(request: InboxRequest) -> HttpResponse:
    """The whole inbox, or (htmx) the list with its counters, or one more page of it."""
    selected = request.GET.get("selected", "")
    selected_id = whole_number(selected)
    context = _list_context(request, selected_id)
    if request.htmx and context["page"] > 1:
        return render(request, "web/_conversation_items.html", context)
    if request.htmx and request.htmx.target == "conversation-list":
        return render(request, "web/_conversation_list.html", {**context, "oob": True})
    return render(request, "web/inbox.html", {**context, "conversation": None})


def _access(request: InboxRequest, conversation_id: int):
    try:
        return access_conversation(request.user, conversation_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _conversation_context(
    request: InboxRequest, conversation_id: int, error: str = ""
) -> dict[str, Any]:
    conversation = _access(request, conversation_id)
    now = timezone.now()
    user = request.user
    handoff = queries.get_pending_handoff(conversation)
    actions = available_actions(
        conversation,
        user,
        can_manage=is_manager_of(user, conversation.team),
        handoff=handoff,
        now=now,
        bot_flows=get_returnable_flow_names(),
    )
    # Only the owner gets the handoff dialog: nobody else pays for its lists.
    offers_handoff = "handoff" in actions.offered
    agents, teams = (
        queries.get_handoff_targets(user, conversation.team) if offers_handoff else ([], [])
    )
    return {
        "conversation": conversation,
        "actions": actions,
        "is_owner": conversation.owner_id == user.pk,
        "items": queries.get_timeline_items(conversation),
        "handoff": handoff,
        "past_conversations": queries.get_past_conversations(user, conversation),
        "window_open": conversation.window_is_open(now),
        "canned": queries.get_canned_responses(user),
        "templates": queries.get_approved_templates(),
        "handoff_agents": agents,
        "handoff_teams": teams,
        "sla_header": header_clocks(conversation, queries.get_conversation_sla(conversation), now),
        "error": error,
        "now": now,
        "view": _view_slug(request),
        "bot_card": handoff_card(conversation),
    }


def _render_conversation(request: InboxRequest, conversation_id: int, error: str = ""):
    context = _conversation_context(request, conversation_id, error)
    return render(request, "web/_conversation.html", context)


@login_required
def conversation(request: InboxRequest, conversation_id: int) -> HttpResponse:
    if request.htmx and request.GET.get("part") == "sla":
        # The header's clocks alone, re-read when a live ``sla.changed`` arrives.
        conv = _access(request, conversation_id)
        now = timezone.now()
        clocks = header_clocks(conv, queries.get_conversation_sla(conv), now)
        return render(request, "web/_sla_clocks.html", {"sla_header": clocks, "now": now})
    context = _conversation_context(request, conversation_id)
    if request.htmx and request.GET.get("part") == "timeline":
        return render(request, "web/_timeline.html", context)
    if request.htmx:
        return render(request, "web/_conversation.html", context)
    return render(request, "web/inbox.html", {**_list_context(request, conversation_id), **context})


# After a write that took the conversation out of this person's sight (handed to a team they
# are not in): what the pane shows instead.
GONE = {
    "title": "Done — it is out of your hands",
    "detail": "The conversation moved to a team you are not in. Its timeline keeps the record.",
}


def _after_write(
    request: InboxRequest, conversation_id: int, refused: DomainError | None
) -> HttpResponse:
    """The conversation after a write. A refusal answers with its own status (409 for the
    lock, 403, 400…) and the pane showing why; htmx swaps those too (see base.html)."""
    if refused is None:
        if request.htmx:
            try:
                return _render_conversation(request, conversation_id)
            except Http404:
                return render(request, "web/_gone.html", GONE)
        still_visible = visible_conversations(request.user).filter(pk=conversation_id).exists()
        if still_visible:
            return redirect("web:conversation", conversation_id=conversation_id)
        return redirect("web:inbox")
    context = _conversation_context(request, conversation_id, refused.message)
    if request.htmx:
        return render(request, "web/_conversation.html", context, status=refused.status)
    page = {**_list_context(request, conversation_id), **context}
    return render(request, "web/inbox.html", page, status=refused.status)


@login_required
@require_POST
def reply(request: InboxRequest, conversation_id: int) -> HttpResponse:
    conv = _access(request, conversation_id)
    post = request.POST
    text = post.get("text", "")
    refused = None
    try:
        if post.get("mode") == "note":
            do_add_note(conv, request.user, text)
        elif post.get("template_id"):
            template_id = whole_number(post["template_id"])
            if template_id is None:
                raise InvalidInput("Choose an approved template.")
            check_send_template(conv, request.user, template_id, post.getlist("template_param"))
        else:
            upload = request.FILES.get("attachment")
            media_type = None
            if upload is not None:
                # The browser's type comes from the file name: the bytes decide "image".
                head = upload.read(SNIFF_BYTES)
                upload.seek(0)
                media_type = upload_message_type(upload.content_type or "", head)
            reply_to = None
            reply_to_id = whole_number(post.get("reply_to", ""))
            if reply_to_id is not None:
                reply_to = Message.objects.filter(pk=reply_to_id, conversation=conv).first()
            do_queue_outbound_message(
                conv,
                request.user,
                text=text,
                reply_to=reply_to,
                media_file=upload,
                media_type=media_type,
            )
    except DomainError as exc:
        refused = exc
    return _after_write(request, conversation_id, refused)


@login_required
@require_POST
def retry(request: InboxRequest, conversation_id: int, message_id: int) -> HttpResponse:
    conv = _access(request, conversation_id)
    message = Message.objects.filter(pk=message_id, conversation=conv).first()
    if message is None:
        raise Http404("No such message")
    refused = None
    try:
        do_requeue_failed_message(message, request.user)
    except DomainError as exc:
        refused = exc
    return _after_write(request, conversation_id, refused)


def _handoff(cid: int, user: Any, post: Any) -> Any:
    target = post.get("to", "")
    kind, _, name = target.partition(":")
    if kind not in ("agent", "team") or not name:
        raise InvalidInput("Choose an agent or a team to hand off to.")
    return do_handoff_conversation(
        cid,
        user,
        to_username=name if kind == "agent" else None,
        to_team_name=name if kind == "team" else None,
        reason=post.get("reason", ""),
        note=post.get("note", ""),
    )


def _snooze(cid: int, user: Any, post: Any) -> Any:
    hours = whole_number(post.get("hours", ""))
    if hours is None or not 0 < hours <= 24 * 30:
        raise InvalidInput("Choose how long to snooze.")
    until = timezone.now() + timedelta(hours=hours)
    return do_snooze_conversation(cid, user, until, post.get("note", ""))


OWNERSHIP_VERBS = {
    "claim": lambda cid, user, post: do_claim_conversation(cid, user),
    "release": lambda cid, user, post: do_release_conversation(cid, user, post.get("note", "")),
    "resolve": lambda cid, user, post: do_resolve_conversation(cid, user, post.get("note", "")),
    "reopen": lambda cid, user, post: do_reopen_conversation(cid, user, post.get("note", "")),
    "pending": lambda cid, user, post: do_set_pending(cid, user, post.get("note", "")),
    "takeover": lambda cid, user, post: do_take_over_conversation(
        cid, user, post.get("reason", "") or "manager take-over", post.get("note", "")
    ),
    "handoff": _handoff,
    "accept": lambda cid, user, post: do_accept_handoff(cid, user),
    "decline": lambda cid, user, post: do_decline_handoff(cid, user, post.get("reason", "")),
    "snooze": _snooze,
    "bot": lambda cid, user, post: do_return_to_bot(cid, user, post.get("flow", "")),
}


@login_required
@require_POST
def ownership(request: InboxRequest, conversation_id: int, verb: str) -> HttpResponse:
    action = OWNERSHIP_VERBS.get(verb)
    if action is None:
        raise Http404("Unknown action")
    _access(request, conversation_id)  # visibility first: an invisible conversation is a 404
    refused = None
    try:
        action(conversation_id, request.user, request.POST)
    except DomainError as exc:
        refused = exc
    return _after_write(request, conversation_id, refused)


@login_required
@require_POST
def presence(request: InboxRequest) -> HttpResponse:
    error = ""
    try:
        do_set_presence(request.user, request.POST.get("status", ""))
    except DomainError as exc:
        error = exc.message
    if not request.htmx:
        return redirect("web:inbox")
    return render(request, "web/_presence.html", {"error": error}, status=400 if error else 200)


def media(request: InboxRequest, message_id: int) -> HttpResponseBase:
    """A conversation's file, for someone who may see the conversation (see web.media).

    On the media origin the viewer comes from the signed link (that origin has no session);
    on the app's origin from the session, and with a media origin configured the answer is
    a redirect to a freshly signed link there.
    """
    if is_media_origin_request(request):
        viewer = get_media_link_viewer(request.GET.get(MEDIA_LINK_PARAM, ""), message_id)
        if viewer is None:
            raise Http404("No media")
        return media_response(access_media_message(viewer, message_id))
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    message = access_media_message(request.user, message_id)
    if settings.BATON_MEDIA_ORIGIN:
        response = redirect(sign_media_link(message.pk, request.user))
        add_never_cache_headers(response)
        return response
    return media_response(message)
