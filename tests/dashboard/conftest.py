"""A hand-counted world for the board: two teams, their managers, agents and conversations.

Support (maria manages it): three queued (waited 10, 5 and 1 minutes), one with a bot, alice
owns two assigned (one customer unanswered for 4 minutes) and one pending, bob owns one he
offered to alice (a pending handoff), one resolved. SLA: queued #1 and #3 running (#3
predicted to breach), queued #2 due soon, alice's unanswered one breached (its resolution
clock running too: counted once, as breached). Sales (max manages it): two queued, sam owns
one (breached). Capacity: Support's default 5, alice's override 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from baton.agents.models import Team, TeamMembership, User
from baton.conversations.models import (
    Conversation,
    Direction,
    Handoff,
    Message,
)
from baton.dashboard.queries import day_start
from baton.sla.models import ConversationSla, SlaRecord
from tests.conftest import make_user
from tests.routing.factories import make_agent, make_team, queue_conversation


@dataclass
class World:
    now: datetime
    today: datetime  # an instant surely within today (UTC), after midnight
    support: Team
    sales: Team
    maria: User
    max: User
    admin: User
    alice: User
    bob: User
    sam: User
    queued: list[Conversation]
    alice_waiting: Conversation
    alice_other: Conversation
    bob_offered: Conversation
    bot_conversation: Conversation
    resolved: Conversation
    sales_queued: list[Conversation]
    sam_conversation: Conversation


def own(conv: Conversation, user: User, status: str = "assigned", **fields) -> Conversation:
    Conversation.objects.filter(pk=conv.pk).update(owner=user, status=status, **fields)
    conv.refresh_from_db()
    return conv


def sla(conv: Conversation, **states) -> ConversationSla:
    return ConversationSla.objects.create(conversation=conv, **states)


def reply(conv: Conversation, author: User, at: datetime) -> Message:
    return Message.objects.create(
        conversation=conv, direction=Direction.OUTBOUND, author=author, text="hi", timestamp=at
    )


def first_response(conv: Conversation, owner: User, at: datetime, kind: str, elapsed: float):
    return SlaRecord.objects.create(
        conversation=conv,
        cycle=1,
        metric="first_response",
        started_at=at - timedelta(seconds=elapsed),
        kind=kind,
        at=at,
        elapsed_seconds=elapsed,
        team=conv.team,
        owner=owner,
    )


@pytest.fixture
def world(db) -> World:
    now = timezone.now()
    midnight = day_start(now, "UTC")
    today = midnight + (now - midnight) / 2
    support = make_team("Support", default_capacity=5)
    sales = make_team("Sales", default_capacity=4)
    maria = make_user("maria", role="manager", team="Support")
    max_ = make_user("max", role="manager", team="Sales")
    admin = make_user("root", role="admin", team="Support")
    alice = make_agent("alice", support, override=3)
    bob = make_agent("bob", support, presence="away")
    sam = make_agent("sam", sales)
    minutes = [10, 5, 1]
    queued = [queue_conversation(support, now - timedelta(minutes=m)) for m in minutes]
    bot_conversation = queue_conversation(support, now)
    Conversation.objects.filter(pk=bot_conversation.pk).update(status="bot")
    alice_waiting = own(
        queue_conversation(support, now - timedelta(minutes=4)), alice
    )  # waiting_since stays: the customer is unanswered
    alice_other = own(queue_conversation(support, now), alice, waiting_since=None)
    own(queue_conversation(support, now), alice, status="pending", waiting_since=None)
    bob_offered = own(queue_conversation(support, now), bob, waiting_since=None)
    Handoff.objects.create(
        conversation=bob_offered,
        from_user=bob,
        to_user=alice,
        requested_by=bob,
        reason="billing",
        expires_at=now + timedelta(minutes=10),
    )
    resolved = queue_conversation(support, now - timedelta(hours=1))
    Conversation.objects.filter(pk=resolved.pk).update(status="resolved", waiting_since=None)
    sla(queued[0], first_response_state="running")
    sla(queued[1], first_response_state="warning")
    sla(queued[2], first_response_state="running", predicted_to_breach=True)
    sla(alice_waiting, first_response_state="breached", resolution_state="running")
    sla(resolved, first_response_state="breached")  # resolved: not "now"
    sales_queued = [queue_conversation(sales, now - timedelta(minutes=m)) for m in (30, 2)]
    sam_conversation = own(queue_conversation(sales, now - timedelta(minutes=20)), sam)
    sla(sam_conversation, first_response_state="breached")
    # Replies: alice two today (and one yesterday), bob one today; a note is not a reply.
    reply(alice_other, alice, today)
    reply(alice_other, alice, today + timedelta(seconds=1))
    reply(alice_other, alice, midnight - timedelta(hours=1))
    reply(bob_offered, bob, today)
    Message.objects.create(
        conversation=alice_other, direction=Direction.NOTE, author=alice, text="n", timestamp=today
    )
    # First responses: alice met 60 s, missed 300 s, stopped 120 s today; 10 s yesterday.
    first_response(alice_other, alice, today, "met", 60)
    first_response(alice_waiting, alice, today, "missed", 300)
    first_response(queued[0], alice, today, "stopped", 120)
    first_response(queued[1], alice, midnight - timedelta(hours=2), "met", 10)
    # A breach is not an answer.
    SlaRecord.objects.create(
        conversation=bob_offered,
        cycle=1,
        metric="first_response",
        started_at=today - timedelta(minutes=9),
        kind="breach",
        at=today,
        team=support,
        owner=bob,
    )
    first_response(sam_conversation, sam, today, "met", 30)
    return World(
        now=now,
        today=today,
        support=support,
        sales=sales,
        maria=maria,
        max=max_,
        admin=admin,
        alice=alice,
        bob=bob,
        sam=sam,
        queued=queued,
        alice_waiting=alice_waiting,
        alice_other=alice_other,
        bob_offered=bob_offered,
        bot_conversation=bot_conversation,
        resolved=resolved,
        sales_queued=sales_queued,
        sam_conversation=sam_conversation,
    )


def members(team: Team) -> list[str]:
    return sorted(TeamMembership.objects.filter(team=team).values_list("user__username", flat=True))
