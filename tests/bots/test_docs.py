"""The README's flow example is a valid flow, and runs as the README says."""

from __future__ import annotations

import json
import re
from pathlib import Path

from baton.agents.models import Team
from baton.bots.actions import do_create_flow
from baton.bots.definition import validate_flow
from baton.conversations.models import Conversation, ConversationStatus
from tests.bots.helpers import customer_taps, customer_writes

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_flow() -> dict:
    section = README.read_text().split("## Bots:", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```json\n(.*?)```", section, re.S)
    return json.loads(block)


def test_the_readme_flow_is_valid():
    assert validate_flow(readme_flow()) == []


def test_the_readme_flow_hands_off_with_the_order_number(client, inbox):
    for name in ("Support", "Sales"):
        Team.objects.get_or_create(name=name)
    do_create_flow(readme_flow(), None)
    customer_writes(client, "Hello")
    customer_taps(client, "track", "Track my order")
    customer_writes(client, "5551234")
    conversation = Conversation.objects.get()
    assert conversation.status == ConversationStatus.QUEUED
    assert conversation.team.name == "Support"
    assert conversation.attributes == {"order_number": "5551234"}
