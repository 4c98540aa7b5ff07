"""The pane each caller sees in each state, compared with the recording of the templates
that decided the buttons themselves (see ``tests/web/pane_snapshots.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from baton.conversations.models import Conversation
from baton.conversations.ownership import do_set_pending, do_snooze_conversation
from tests.permission_world import make_world, prepare
from tests.web.pane_snapshots import check_snapshot, controls, mask_times, squeeze

VIEWERS = ["owner", "teammate", "manager", "admin"]
STATES = ["queued", "owned", "offered", "resolved", "pending", "snoozed", "window_closed"]


def put_in_state(conversation, people, state):
    prepare(conversation, people, "owned" if state in ("pending", "snoozed") else state)
    now = timezone.now()
    if state == "window_closed":
        prepare(conversation, people, "owned")
    if state == "pending":
        do_set_pending(conversation.pk, people["owner"])
    if state == "snoozed":
        do_snooze_conversation(conversation.pk, people["owner"], now + timedelta(hours=3))
    # Relative to now, so the sentences built from durations read the same on every run.
    window_ends = now - timedelta(hours=6) if state == "window_closed" else now + timedelta(days=1)
    Conversation.objects.filter(pk=conversation.pk).update(
        last_inbound_at=now - timedelta(hours=30) if state == "window_closed" else now,
        window_ends_at=window_ends,
        waiting_since=now - timedelta(minutes=5) if state == "queued" else None,
    )


def record_pane(client, conversation, person) -> dict:
    client.force_login(person)
    response = client.get(f"/c/{conversation.pk}/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    return {"controls": controls(mask_times(html)), "html": mask_times(squeeze(html))}


@pytest.fixture
def world(client, inbox):
    return make_world(client)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_every_viewer_sees_the_recorded_pane_in_every_state(client, world, state, viewer):
    conversation, people = world
    put_in_state(conversation, people, state)
    check_snapshot(
        "pane.json", f"{state}/{viewer}", record_pane(client, conversation, people[viewer])
    )
