"""A bot's last words before it lets go (a handoff's text, a close step's) go out while no
person holds the conversation — and are refused once a person has taken it."""

from __future__ import annotations

import pytest

from baton.agents.models import Team
from baton.bots.actions import do_create_flow
from baton.conversations.models import Conversation, ConversationStatus, DeliveryStatus, Message
from baton.conversations.ownership import do_claim_conversation
from baton.whatsapp.delivery import do_start_send
from tests.bots.flows import front_desk
from tests.bots.helpers import customer_taps, customer_writes
from tests.conftest import make_user

HANDOFF_TEXT = "Thanks! A colleague takes over for order 1234."


@pytest.fixture
def handed_off(client, inbox):
    for name in ("Support", "Sales"):
        Team.objects.get_or_create(name=name)
    do_create_flow(front_desk(), None)
    customer_writes(client, "Hi")
    customer_taps(client, "track", "Track my order")
    customer_writes(client, "1234")
    conversation = Conversation.objects.get()
    assert (conversation.status, conversation.owner) == (ConversationStatus.QUEUED, None)
    return Message.objects.get(text=HANDOFF_TEXT, status=DeliveryStatus.QUEUED)


def test_the_handoff_text_goes_out_while_the_conversation_waits_in_the_queue(handed_off):
    claimed = do_start_send(handed_off.pk)
    assert claimed is not None
    assert claimed.status == DeliveryStatus.SENDING


def test_once_a_person_claimed_it_the_bots_text_is_refused(handed_off):
    alice = make_user("alice", team="Support")
    do_claim_conversation(handed_off.conversation_id, alice)
    assert do_start_send(handed_off.pk) is None
    handed_off.refresh_from_db()
    assert handed_off.status == DeliveryStatus.FAILED
