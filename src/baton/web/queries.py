"""Reads behind the agent inbox: views with counters, the paged list, alerts, the composer.

Every function runs a fixed number of queries whatever the number of conversations (the
list view's tests assert it), so a busy team's inbox costs the same as an empty one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from baton.agents.models import Team, User
from baton.agents.queries import get_handoff_candidates
from baton.conversations.models import (
    OPEN_STATUSES,
    Alert,
    AuditEvent,
    CannedResponse,
    Conversation,
    ConversationStatus,
    Handoff,
    HandoffStatus,
    Message,
)
from baton.conversations.queries import managed_team_ids, visible_conversations
from baton.dashboard import definitions
from baton.sla.models import OUTCOME_KINDS, ConversationSla, Metric, SlaRecord
from baton.web.http import InboxFilters
from baton.whatsapp.models import MessageTemplate, TemplateStatus

PAGE_SIZE = 50


@dataclass(frozen=True)
class InboxView:
    slug: str
    label: str
    managers_only: bool = False


INBOX_VIEWS = [
    InboxView("mine", "Mine"),
    InboxView("unassigned", "Unassigned"),
    InboxView("team", "Team"),
    InboxView("handoffs", "Handoffs for me"),
    InboxView("sla", "SLA risk"),
    InboxView("pending", "Pending"),
    InboxView("snoozed", "Snoozed"),
    InboxView("resolved", "Resolved"),
    InboxView("all", "All open", managers_only=True),
]
VIEW_SLUGS = {v.slug for v in INBOX_VIEWS}


def get_views_for(user: Any) -> list[InboxView]:
    return [v for v in INBOX_VIEWS if not v.managers_only or user.is_manager]


def default_view_for(user: Any) -> str:
    return "all" if user.is_manager else "mine"


def _handoffs_for(user: Any) -> QuerySet[Handoff]:
    return Handoff.objects.filter(to_user=user, status=HandoffStatus.PENDING)


def _view_filters(user: Any, team_ids: list[int]) -> dict[str, Q]:
    """One ``Q`` per view, over ``visible_conversations(user)``.

    ``team_ids`` are the user's teams (read once by the caller). Unassigned means the
    queues the user can pick from: their teams' and the team-less one (admins: all).
    """
    queue = Q(owner__isnull=True, status=ConversationStatus.QUEUED)
    if managed_team_ids(user) is not None:
        queue &= Q(team_id__in=team_ids) | Q(team__isnull=True)
    return {
        "mine": Q(owner=user, status=ConversationStatus.ASSIGNED),
        "unassigned": queue,
        "team": Q(team_id__in=team_ids, status__in=OPEN_STATUSES),
        "handoffs": Q(Exists(_handoffs_for(user).filter(conversation=OuterRef("pk")))),
        # An open deadline (running, due soon or passed unanswered): ``sla.actions`` keeps
        # ``nearest_due_at`` in the transaction of every change that moves a clock.
        "sla": Q(status__in=OPEN_STATUSES, sla__nearest_due_at__isnull=False),
        "pending": Q(status=ConversationStatus.PENDING),
        "snoozed": Q(status=ConversationStatus.SNOOZED),
        "resolved": Q(status=ConversationStatus.RESOLVED),
        "all": Q(status__in=OPEN_STATUSES),
    }


def _team_ids(user: Any) -> list[int]:
    return list(user.memberships.values_list("team_id", flat=True))


def get_view_counts(user: Any) -> dict[str, int]:
    """Every view's count in one aggregate query (plus the visibility look-ups)."""
    filters = _view_filters(user, _team_ids(user))
    counted = {slug: q for slug, q in filters.items() if slug not in ("resolved", "handoffs")}
    counts = visible_conversations(user).aggregate(
        **{slug: Count("pk", filter=q) for slug, q in counted.items()}
    )
    # Handoffs: a plain count is cheaper than an EXISTS per row, and a handoff to me is
    # visible to me by construction (the sender chose me).
    counts["handoffs"] = _handoffs_for(user).count()
    return counts


def get_view_page(user: Any, view: str, page: int = 1) -> tuple[list[Any], bool]:
    """One page of a view's conversations, with a flag for whether more follow.

    Queue views show the longest-waiting first; SLA risk the nearest deadline first (so
    the breached, the oldest deadlines, lead); the others the latest activity first. Each
    row comes with its SLA clocks (``sla``, one join) for the list badge.
    """
    if view not in VIEW_SLUGS or (view == "all" and not user.is_manager):
        view = default_view_for(user)
    qs = visible_conversations(user).filter(_view_filters(user, _team_ids(user))[view])
    qs = qs.select_related("sla").annotate(
        has_alert=Exists(Alert.objects.filter(conversation=OuterRef("pk"), cleared_at__isnull=True))
    )
    if view == "unassigned":
        qs = qs.order_by("waiting_since", "last_message_at", "id")
    elif view == "sla":
        qs = qs.order_by("sla__nearest_due_at", "id")
    else:
        qs = qs.order_by("-last_message_at", "-id")
    start = (max(page, 1) - 1) * PAGE_SIZE
    rows = list(qs[start : start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def get_conversation_sla(conversation: Conversation) -> ConversationSla | None:
    """The conversation's current SLA clocks with their policy, for its header."""
    return ConversationSla.objects.select_related("policy").filter(pk=conversation.pk).first()


NOTHING = Q(pk__in=[])


def _filter_q(filters: InboxFilters) -> Q:
    """The board's numbers as inbox filters, each with the board's own definition
    (``dashboard.definitions``), so the list behind a number is the number."""
    q = Q()
    if filters.team is not None:
        q &= Q(team_id=filters.team)
    if filters.status == "owned":
        q &= definitions.OWNED_OPEN
    elif filters.status == "queued":
        q &= definitions.QUEUED
    elif filters.status:
        q &= Q(status=filters.status) if filters.status in ConversationStatus.values else NOTHING
    if filters.owner:
        q &= definitions.OWNED_OPEN & Q(owner__username=filters.owner)
    if filters.waiting:
        q &= definitions.UNANSWERED
    if filters.sla:
        sla = definitions.sla_filter(filters.sla)
        q &= Q(status__in=OPEN_STATUSES) & sla if sla is not None else NOTHING
    if filters.handoff:
        q &= definitions.handoff_waiting() if filters.handoff == "pending" else NOTHING
    if filters.replied_by:
        replies = Message.objects.filter(
            conversation=OuterRef("pk"), direction="outbound", author__username=filters.replied_by
        )
        if filters.since is not None:
            replies = replies.filter(timestamp__gte=filters.since)
        q &= Q(Exists(replies))
    if filters.answered_by:
        answers = SlaRecord.objects.filter(
            conversation=OuterRef("pk"),
            metric=Metric.FIRST_RESPONSE,
            kind__in=OUTCOME_KINDS,
            owner__username=filters.answered_by,
        )
        if filters.since is not None:
            answers = answers.filter(at__gte=filters.since)
        q &= Q(Exists(answers))
    return q


def get_filtered_page(user: Any, filters: InboxFilters, page: int = 1) -> tuple[list[Any], bool]:
    """One page of the conversations ``user`` may see that match ``filters`` (any status;
    the longest-waiting first, then the latest activity)."""
    qs = visible_conversations(user).filter(_filter_q(filters))
    qs = qs.annotate(
        has_alert=Exists(Alert.objects.filter(conversation=OuterRef("pk"), cleared_at__isnull=True))
    ).order_by(F("waiting_since").asc(nulls_last=True), "-last_message_at", "-id")
    start = (max(page, 1) - 1) * PAGE_SIZE
    rows = list(qs[start : start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def count_filtered(user: Any, filters: InboxFilters) -> int:
    return visible_conversations(user).filter(_filter_q(filters)).count()


FILTER_WORDS = {
    "status": {"queued": "waiting for a human", "owned": "open and owned", "bot": "with a bot"},
    "sla": {
        "running": "SLA running",
        "warning": "SLA due soon",
        "breached": "SLA breached",
        "predicted": "predicted to breach",
    },
}


def describe_filters(filters: InboxFilters) -> str:
    """The list's heading for a filtered view: "Support · waiting for a human"."""
    parts: list[str] = []
    if filters.team is not None:
        team = Team.objects.filter(pk=filters.team).values_list("name", flat=True).first()
        parts.append(team or "no such team")
    if filters.status:
        parts.append(FILTER_WORDS["status"].get(filters.status, filters.status))
    if filters.owner:
        parts.append(f"open, owned by @{filters.owner}")
    if filters.waiting:
        parts.append("customer waiting for an answer")
    if filters.sla:
        parts.append(FILTER_WORDS["sla"].get(filters.sla, filters.sla))
    if filters.handoff:
        parts.append("handoff waiting for acceptance")
    if filters.replied_by:
        parts.append(f"replied to by @{filters.replied_by}")
    if filters.answered_by:
        parts.append(f"first answered by @{filters.answered_by}")
    if filters.since is not None:
        parts.append(f"since {filters.since:%Y-%m-%d %H:%M %z}")
    return " · ".join(parts)


def get_open_alerts(user: Any, limit: int = 20) -> list[Alert]:
    """Open stale alerts on conversations ``user`` may see: managers', or the owner's own."""
    visible = visible_conversations(user)
    if not user.is_manager:
        visible = visible.filter(owner=user)
    return list(
        Alert.objects.filter(cleared_at__isnull=True, conversation__in=visible.values("pk"))
        .select_related("conversation__contact", "conversation__owner")
        .order_by("-level", "waiting_since")[:limit]
    )


@dataclass(frozen=True)
class TimelineItem:
    """A message or an activity (audit event), in one time-ordered stream."""

    kind: str  # "message" | "event"
    at: Any
    message: Message | None = None
    event: AuditEvent | None = None


def get_timeline_items(conversation: Conversation) -> list[TimelineItem]:
    messages = (
        Message.objects.filter(conversation=conversation)
        .select_related("author", "reply_to")
        .order_by("timestamp", "id")
    )
    events = (
        AuditEvent.objects.filter(conversation=conversation)
        .select_related("actor", "from_owner", "to_owner", "to_team")
        .order_by("created_at", "id")
    )
    items = [TimelineItem("message", m.timestamp, message=m) for m in messages]
    items += [TimelineItem("event", e.created_at, event=e) for e in events]
    # Stable sort: a message and the activity it caused keep their order of creation.
    items.sort(key=lambda item: item.at)
    return items


def get_pending_handoff(conversation: Conversation) -> Handoff | None:
    return (
        Handoff.objects.filter(conversation=conversation, status=HandoffStatus.PENDING)
        .select_related("from_user", "to_user")
        .first()
    )


def get_past_conversations(user: Any, conversation: Conversation, limit: int = 8) -> list:
    return list(
        visible_conversations(user)
        .filter(contact_id=conversation.contact_id)
        .exclude(pk=conversation.pk)
        .select_related("last_owner")
        .order_by("-created_at")[:limit]
    )


def get_canned_responses(user: Any) -> list[CannedResponse]:
    """The shortcuts offered to ``user``: the global ones and their teams'."""
    return list(
        CannedResponse.objects.filter(Q(team__isnull=True) | Q(team_id__in=_team_ids(user)))
        .order_by("shortcut")
        .only("shortcut", "title", "text")
    )


def get_approved_templates() -> list[MessageTemplate]:
    return list(MessageTemplate.objects.filter(status=TemplateStatus.APPROVED))


def get_handoff_targets(user: Any, team: Team | None) -> tuple[list[User], list[Team]]:
    """People (with presence) and teams the owner can hand a conversation of ``team`` to."""
    return get_handoff_candidates(user, team), list(Team.objects.order_by("name"))
