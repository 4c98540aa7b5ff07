"""A person taking over from the bot, racing the bot's step and its timeout (issue 13).

Three things at once on each conversation the bot holds: the customer taps a button (the
ingest runs the bot's step and queues its answer), a manager takes the conversation over,
and the worker fires the session's timeout. Whatever the order, once the take-over has
committed the bot writes nothing: every bot message was created before the take-over's
record, the session is cancelled with no pending timeout, and the manager owns it. Real
threads and connections; meant for PostgreSQL (row locks), correct on SQLite.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

from django.utils import timezone

from baton.agents.models import Team
from baton.bots.actions import BOT_USERNAME, do_create_flow, do_fire_bot_timeout
from baton.bots.models import BotSession, SessionState
from baton.conversations.models import (
    AuditEvent,
    Conversation,
    ConversationStatus,
    EventKind,
    Message,
)
from baton.conversations.ownership import do_take_over_conversation
from baton.whatsapp.actions import do_ingest_webhook
from baton.whatsapp.parsing import parse_webhook
from tests.bots.flows import front_desk
from tests.conftest import make_user
from tests.races.test_inbound_bursts import text_webhook
from tests.races.test_ownership_races import open_conversations, race

ROUNDS = 12
# (tap, take-over, timeout) head starts in seconds: every order and the dead heat happen.
HEAD_STARTS = [
    (0, 0, 0),
    (0, 0.05, 0.1),
    (0.05, 0, 0.1),
    (0.1, 0.05, 0),
    (0, 0.2, 0.1),
    (0.2, 0, 0.05),
]


def tap(conversation: Conversation, index: int, delay: float) -> object:
    time.sleep(delay)
    wa_id = conversation.contact.wa_id
    body = text_webhook(wa_id, f"wamid.bot-race-{index}", "Track my order")
    return do_ingest_webhook(parse_webhook(json.loads(body)))


def take_over(conversation_id: int, manager, delay: float) -> object:
    time.sleep(delay)
    return do_take_over_conversation(conversation_id, manager, "I'll handle this one")


def fire(session_id: int, delay: float) -> object:
    time.sleep(delay)
    return do_fire_bot_timeout(session_id)


def test_take_over_racing_the_bot_step_and_its_timeout(transactional_db):
    for name in ("Support", "Sales"):
        Team.objects.get_or_create(name=name)
    do_create_flow(front_desk(), None)
    # Sent now: with their windows closed the bot could not greet them and would hand off.
    conversations = open_conversations(ROUNDS, sent_now=True)
    manager = make_user("maria", role="manager")
    assert all(c.status == ConversationStatus.BOT for c in conversations)
    # The samples are dated in the past: open their 24-hour windows so the bot may answer,
    # and make every session's wait over: the timeout is due the moment the race starts.
    Conversation.objects.update(window_ends_at=timezone.now() + timedelta(hours=24))
    BotSession.objects.update(waiting_until=timezone.now() - timedelta(seconds=1))

    outcomes = []
    for index, conversation in enumerate(conversations):
        session = BotSession.objects.get(conversation=conversation)
        tap_delay, take_delay, fire_delay = HEAD_STARTS[index % len(HEAD_STARTS)]
        race(
            [
                lambda c=conversation, i=index, d=tap_delay: tap(c, i, d),
                lambda c=conversation, d=take_delay: take_over(c.pk, manager, d),
                lambda s=session, d=fire_delay: fire(s.pk, d),
            ]
        )
        conversation.refresh_from_db()
        assert conversation.owner == manager
        taken = AuditEvent.objects.get(conversation=conversation, kind=EventKind.TAKEN_OVER)
        bot_messages = Message.objects.filter(
            conversation=conversation, author__username=BOT_USERNAME
        )
        assert all(m.created_at < taken.created_at for m in bot_messages), "bot wrote after"
        session.refresh_from_db()
        # Cancelled by the take-over, or the timeout's branch handed it off just before.
        assert session.state in (SessionState.CANCELLED, SessionState.HANDED_OFF)
        assert session.waiting_until is None
        # The customer's message is always stored, whoever won.
        assert Message.objects.filter(wamid=f"wamid.bot-race-{index}").exists()
        outcomes.append((bot_messages.count(), session.state))
    # Some rounds the bot answered (the tap, the timeout) before the take-over, some not.
    assert any(count > 0 for count, _ in outcomes)
    assert {state for _, state in outcomes} <= {SessionState.CANCELLED, SessionState.HANDED_OFF}
