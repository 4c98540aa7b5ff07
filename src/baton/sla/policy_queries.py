"""Reads behind the SLA configuration edges (the ``/sla/`` pages, API v1, the admin): who may
configure policies, the policies in order, the breaches a viewer may see, and the preview
"applies to N of the open conversations now".

Who may do what (one rule for the pages and the API): every signed-in user may read the
policies (an agent sees the targets they are held to); managers and admins may create,
change, reorder and delete them. Policies are not walled by team: a policy's conditions
are a tree over many fields and the configuration actions audit every write, so a manager
may change one that reaches another team, and the audit log says who did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Max, QuerySet

from baton.agents.models import Team
from baton.conversations.models import Conversation, ConversationStatus
from baton.conversations.queries import visible_conversations
from baton.core.errors import NotFound, PermissionDenied
from baton.sla.models import ConversationSla, RecordKind, SlaPolicy, SlaRecord
from baton.sla.policies import choose_policy
from baton.sla.queries import get_policy_facts

# The preview judges at most this many of the most recent open conversations: it runs as
# the manager types, so its cost must not grow with the backlog.
PREVIEW_LIMIT = 5000


def check_may_configure_policies(user: Any) -> None:
    """SLA policies are configuration: managers and admins only."""
    if not (user.is_authenticated and (user.is_manager or user.is_superuser)):
        raise PermissionDenied("Only managers and admins can change SLA policies.")


def get_policies() -> list[SlaPolicy]:
    """Every policy, enabled or not, in the order they are tried."""
    return list(SlaPolicy.objects.order_by("position", "id"))


def access_policy(policy_id: int) -> SlaPolicy:
    policy = SlaPolicy.objects.filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(f"SLA policy {policy_id} does not exist.")
    return policy


def get_next_policy_position() -> int:
    """Where a new policy goes: after every other one."""
    last = SlaPolicy.objects.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def get_team_names() -> set[str]:
    return set(Team.objects.values_list("name", flat=True))


# ------------------------------------------------------------------------------------------
# Breaches


def get_visible_breaches(
    user: Any, since: datetime, *, limit: int, before_id: int | None = None
) -> list[SlaRecord]:
    """Breach records since ``since`` of the conversations ``user`` may see (agents: their
    teams' and their own; managers: their teams'; admins: all), newest recorded first.

    Visibility is the conversation's as it is now (``conversations.queries``): whoever may
    open a conversation may see its breaches, in its timeline as here.
    """
    visible = visible_conversations(user).values("pk")
    qs = (
        SlaRecord.objects.filter(kind=RecordKind.BREACH, at__gte=since, conversation_id__in=visible)
        .select_related("team", "owner", "conversation__sla")
        .order_by("-id")
    )
    if before_id is not None:
        qs = qs.filter(id__lt=before_id)
    return list(qs[:limit])


def is_still_waiting(record: SlaRecord) -> bool:
    """Is the breached clock of ``record`` still unanswered now? Read from the conversation's
    live clocks (loaded with the record), not from the record, which keeps its own instant."""
    try:
        row: ConversationSla = record.conversation.sla
    except ConversationSla.DoesNotExist:
        return False
    return (
        row.state_of(record.metric) == "breached"
        and getattr(row, f"{record.metric}_started_at") == record.started_at
    )


# ------------------------------------------------------------------------------------------
# Preview


@dataclass(frozen=True)
class Preview:
    """How many of the open conversations looked at the candidate policy would apply to."""

    applies: int
    looked_at: int
    capped: bool  # only the latest ``PREVIEW_LIMIT`` open conversations were looked at


def _open_conversations() -> QuerySet[Conversation]:
    return (
        Conversation.objects.exclude(status=ConversationStatus.RESOLVED)
        .select_related("contact", "inbox", "team")
        .order_by("-id")
    )


def get_policy_preview(candidate: SlaPolicy, *, limit: int = PREVIEW_LIMIT) -> Preview:
    """Count the open conversations for which ``candidate`` (saved or not; judged as if
    enabled) would be the first matching policy, given the enabled policies tried before
    it: those earlier in the order ``(position, id)``; a new policy (no id) goes after
    those of its position. Changes nothing."""
    key = (candidate.position, candidate.pk if candidate.pk is not None else float("inf"))
    earlier = [
        policy
        for policy in SlaPolicy.objects.filter(enabled=True).order_by("position", "id")
        if policy.pk != candidate.pk and (policy.position, policy.pk) < key
    ]
    judged = SlaPolicy(
        pk=candidate.pk, position=candidate.position, enabled=True, conditions=candidate.conditions
    )
    rows = list(_open_conversations()[: limit + 1])
    capped = len(rows) > limit
    rows = rows[:limit]
    applies = sum(
        1 for c in rows if choose_policy([*earlier, judged], get_policy_facts(c)) is judged
    )
    return Preview(applies=applies, looked_at=len(rows), capped=capped)
