"""A reply racing the breach instant records exactly one outcome (real connections).

The scan and the reply both take the conversation's row lock before evaluating, so
whichever commits second sees the first: the reply came in time (met, and the scan then
finds nothing due) or the scan recorded the breach first (then the reply is "missed").
Never "met" with a breach, never two outcomes.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from baton.agents.actions import do_set_presence
from baton.conversations.models import AuditEvent, Conversation, Message
from baton.conversations.ownership import do_claim_conversation, lock_conversation
from baton.sla.actions import do_create_policy, do_refresh_sla, do_scan_sla
from baton.sla.models import ConversationSla, SlaRecord
from baton.whatsapp.actions import do_ingest_webhook
from baton.whatsapp.outbound import do_queue_outbound_message
from baton.whatsapp.parsing import parse_webhook
from tests.conftest import make_inbox, make_user
from tests.races.test_assignment_races import run_together
from tests.races.test_inbound_bursts import PNID, text_webhook

ROUNDS = 12
TARGET = 600


def _conversation_due_in(seconds: float, wa_id: str) -> Conversation:
    do_ingest_webhook(parse_webhook(json.loads(text_webhook(wa_id, f"wamid.race.{wa_id}", "help"))))
    conversation = Conversation.objects.get(contact__wa_id=wa_id)
    # Move its start so that the first response falls due ``seconds`` from now.
    shift = timedelta(seconds=TARGET - seconds)
    for model in (Message, AuditEvent):
        for row in model.objects.filter(conversation=conversation):
            model.objects.filter(pk=row.pk).update(created_at=row.created_at - shift)
    with transaction.atomic():
        do_refresh_sla(lock_conversation(conversation.pk))
    return conversation


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reply_racing_the_breach_records_one_outcome():
    make_inbox(phone_number_id=PNID)
    do_create_policy(None, {"name": "Race", "first_response_seconds": TARGET})
    alice = make_user("alice", team="Support")
    do_set_presence(alice, "away")  # nobody is auto-assigned: alice claims each one
    outcomes = []
    for n in range(ROUNDS):
        conversation = _conversation_due_in(0.3, f"3460000{n:04d}")
        do_claim_conversation(conversation.pk, alice)
        # The sample's timestamp is old: open the 24-hour window so the reply may be sent.
        Conversation.objects.filter(pk=conversation.pk).update(
            window_ends_at=timezone.now() + timedelta(hours=24)
        )
        due = ConversationSla.objects.get(pk=conversation.pk).first_response_due_at
        wait = (due - timezone.now()).total_seconds()

        # The reply leaves a little before or after the due instant, by turns.
        lead = 0.04 if n % 2 else -0.01

        def answer(conversation=conversation, wait=wait, lead=lead):
            import time

            time.sleep(max(0.0, wait - lead))
            conversation.refresh_from_db()
            return do_queue_outbound_message(conversation, alice, text="Here I am")

        def scan(due=due, wait=wait):
            import time

            time.sleep(max(0.0, wait))
            return do_scan_sla(now=max(timezone.now(), due))

        results = run_together([answer, scan])
        records = SlaRecord.objects.filter(conversation=conversation, metric="first_response")
        kinds = sorted(records.values_list("kind", flat=True))
        assert kinds in (["met"], ["breach", "missed"]), (kinds, results)
        state = ConversationSla.objects.get(pk=conversation.pk).first_response_state
        assert state == kinds[-1]
        outcomes.append(kinds[-1])
    # Not a proof of a race, but a check that both orders were exercised now and then.
    print("outcomes:", {kind: outcomes.count(kind) for kind in set(outcomes)})
