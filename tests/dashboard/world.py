"""A hand-counted week of work for the reports tests (Mon 3 to Sun 9 March 2025, UTC).

Every figure the tests expect is counted by hand from the rows below; the comments give the
count. Rows are created directly (SLA's writer is not on this branch): what matters is that
reports read exactly these records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from baton.agents.models import Role, Shift, Team, TeamMembership, TimeOff, User
from baton.conversations.audit import record_event
from baton.conversations.models import (
    Contact,
    Conversation,
    ConversationStatus,
    Direction,
    EventKind,
    Handoff,
    HandoffStatus,
    Message,
)
from baton.sla.models import SlaRecord
from tests.conftest import make_inbox, make_user

FIRST_DAY = date(2025, 3, 3)  # a Monday
LAST_DAY = date(2025, 3, 9)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant in March 2025, UTC."""
    return datetime(2025, 3, day, hour, minute, second, tzinfo=UTC)


@dataclass
class World:
    support: Team
    sales: Team
    maria: User  # manages Support
    sam: User  # manages Sales
    ada: User  # admin
    alice: User
    bob: User
    carl: User  # Sales
    botty: User
    main: object
    second: object
    conversations: dict[str, Conversation]


def _conversation(name, inbox, team, owner, created, status=ConversationStatus.ASSIGNED):
    contact = Contact.objects.create(wa_id=f"346000000{name[1:]}")
    conversation = Conversation.objects.create(
        inbox=inbox, contact=contact, team=team, owner=owner, status=status
    )
    Conversation.objects.filter(pk=conversation.pk).update(created_at=created)
    conversation.refresh_from_db()
    return conversation


def _message(conversation, direction, when, author=None):
    return Message.objects.create(
        conversation=conversation, direction=direction, author=author, text="…", timestamp=when
    )


def _resolved(conversation, by, when):
    record_event(
        EventKind.RESOLVED,
        conversation=conversation,
        actor=by,
        from_owner=by,
        to_owner=by,
        to_status=ConversationStatus.RESOLVED,
        created_at=when,
    )


def _record(conversation, metric, kind, at_, elapsed, owner, *, started=None, team=None):
    return SlaRecord.objects.create(
        conversation=conversation,
        cycle=1,
        metric=metric,
        kind=kind,
        started_at=started or at_ - timedelta(seconds=elapsed or 0),
        at=at_,
        elapsed_seconds=elapsed if kind in ("met", "missed", "stopped") else None,
        team=team or conversation.team,
        owner=owner,
        policy_name="Standard",
    )


def _handoff(conversation, sender, receiver, status, created, responded=None):
    return Handoff.objects.create(
        conversation=conversation,
        from_user=sender,
        to_user=receiver,
        requested_by=sender,
        reason="shift change",
        status=status,
        created_at=created,
        expires_at=created + timedelta(minutes=10),
        responded_at=responded,
    )


def build_world() -> World:
    support = Team.objects.get(is_default=True)  # "Support", UTC
    sales = Team.objects.create(name="Sales")
    maria = make_user("maria", Role.MANAGER, team="Support")
    sam = make_user("sam", Role.MANAGER, team="Sales")
    ada = make_user("ada", Role.ADMIN)
    alice = make_user("alice", Role.AGENT, team="Support")
    bob = make_user("bob", Role.AGENT, team="Support")
    carl = make_user("carl", Role.AGENT, team="Sales")
    botty = User.objects.create(username="botty", role=Role.BOT)
    TeamMembership.objects.create(team=support, user=botty)
    main = make_inbox()
    second = make_inbox("9988776655", name="Second")

    # Support's conversations. Created in range: c1 c2 c3 c7 (4). Resolved in range:
    # c1 c3 c4 c7 (4); contained by the bot: c3 only (c7 had alice's reply first).
    c1 = _conversation("c1", main, support, alice, at(3, 9, 10))
    c2 = _conversation("c2", main, support, bob, at(4, 14, 20))
    c3 = _conversation("c3", main, support, botty, at(5, 9, 40))
    c4 = _conversation("c4", main, support, alice, at(2, 23, 0))  # the Sunday before
    c7 = _conversation("c7", second, support, botty, at(6, 16, 0))
    # Sales: c5, in range. After the range: c6.
    c5 = _conversation("c5", main, sales, carl, at(4, 10, 0))
    c6 = _conversation("c6", main, support, alice, at(10, 0, 30))

    for conversation in (c1, c2, c3, c7, c5, c6):
        _message(conversation, Direction.INBOUND, conversation.created_at)
    _message(c4, Direction.INBOUND, c4.created_at)
    # Replies: alice 3 (c1 twice, c7), bob 1 (c2); the bot's and carl's (Sales) elsewhere.
    _message(c1, Direction.OUTBOUND, at(3, 9, 11), alice)
    _message(c1, Direction.OUTBOUND, at(3, 9, 30), alice)
    _message(c2, Direction.OUTBOUND, at(4, 14, 30), bob)
    _message(c3, Direction.OUTBOUND, at(5, 9, 41), botty)
    _message(c7, Direction.OUTBOUND, at(6, 16, 0, 30), alice)
    _message(c5, Direction.OUTBOUND, at(4, 10, 0, 10), carl)
    _message(c1, Direction.NOTE, at(3, 9, 40), alice)  # a note is no reply

    _resolved(c1, alice, at(3, 10, 0))
    _resolved(c4, alice, at(3, 8, 0))
    _resolved(c3, botty, at(5, 9, 50))
    _resolved(c7, botty, at(6, 18, 0))
    _resolved(c5, carl, at(4, 11, 0))
    _resolved(c6, alice, at(10, 1, 0))  # after the range

    # First response outcomes (Support): 30 60 300 600 s -> median 180, p90 510;
    # met 2 (c1, c7), missed 1 (c2), no target 1 (c4).
    _record(c1, "first_response", "met", at(3, 9, 11), 60, alice)
    _record(c2, "first_response", "missed", at(4, 14, 30), 600, bob)
    _record(c4, "first_response", "stopped", at(3, 7, 0), 300, alice)
    _record(c7, "first_response", "met", at(6, 16, 0, 30), 30, alice)
    _record(c2, "first_response", "warning", at(4, 14, 25), None, bob, started=at(4, 14, 20))
    _record(c2, "first_response", "breach", at(4, 14, 28), None, bob, started=at(4, 14, 20))
    # Next response: met 1, missed 1.
    _record(c1, "next_response", "met", at(3, 9, 30), 45, alice)
    _record(c2, "next_response", "missed", at(4, 16, 0), 900, bob)
    # Resolution: 3000 32400 90000 s -> median 32400, p90 78480; met 1, missed 1, stopped 1.
    _record(c1, "resolution", "met", at(3, 10, 0), 3000, alice)
    _record(c4, "resolution", "stopped", at(3, 8, 0), 32400, alice)
    _record(c7, "resolution", "missed", at(6, 18, 0), 90000, alice)
    _record(c7, "resolution", "breach", at(6, 17, 0), None, alice, started=at(5, 16, 0))
    # Sales: seen by sam and ada only.
    _record(c5, "first_response", "met", at(4, 10, 0, 10), 10, carl)
    _record(c5, "resolution", "met", at(4, 11, 0), 3600, carl)
    # After the range.
    _record(c6, "first_response", "met", at(10, 0, 31), 5, alice)

    # Handoffs (Support): 4 requested; accepted 2 in 120 s and 300 s (median 210, p90 282).
    _handoff(c1, alice, bob, HandoffStatus.ACCEPTED, at(3, 9, 20), at(3, 9, 22))
    _handoff(c2, bob, alice, HandoffStatus.DECLINED, at(4, 15, 0), at(4, 15, 1))
    _handoff(c2, bob, alice, HandoffStatus.EXPIRED, at(5, 8, 0))
    _handoff(c7, alice, bob, HandoffStatus.ACCEPTED, at(6, 16, 10), at(6, 16, 15))
    _handoff(c5, carl, sam, HandoffStatus.DECLINED, at(4, 10, 5), at(4, 10, 6))

    # Shifts: alice Mon–Fri 09–17 in Support, off on Wednesday 5 March; bob has none (so is
    # always on shift, routing's rule).
    for weekday in range(5):
        Shift.objects.create(user=alice, team=support, weekday=weekday, start=time(9), end=time(17))
    TimeOff.objects.create(user=alice, first_day=date(2025, 3, 5), last_day=date(2025, 3, 5))

    return World(
        support, sales, maria, sam, ada, alice, bob, carl, botty, main, second,
        {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5, "c6": c6, "c7": c7},
    )  # fmt: skip
