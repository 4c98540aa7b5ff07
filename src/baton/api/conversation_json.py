"""A conversation as API v1 answers it: the domain's plain dict plus its ``sla`` object.

``conversations.serializers`` sits below SLA and cannot know it, so the edge adds it. Load
conversations with ``select_related("sla__policy")`` (``SLA_RELATED``): the ``sla`` object
then costs no query, in a list as for one conversation.
"""

from __future__ import annotations

from typing import Any

from baton.conversations.models import Conversation
from baton.conversations.serializers import conversation_dict
from baton.sla.models import ConversationSla
from baton.sla.queries import sla_dict

SLA_RELATED = "sla__policy"


def conversation_sla(conversation: Conversation) -> dict[str, Any]:
    try:
        row: ConversationSla | None = conversation.sla  # type: ignore[attr-defined]
    except ConversationSla.DoesNotExist:
        row = None  # never evaluated (no clock has run): every metric "none"
    policy = row.policy if row is not None and row.policy_id else None
    return sla_dict(row, policy.name if policy is not None else None)


def conversation_out(conversation: Conversation) -> dict[str, Any]:
    return {**conversation_dict(conversation), "sla": conversation_sla(conversation)}
