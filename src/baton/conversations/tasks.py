"""Timers of the conversation lifecycle: handoff expiry and snooze wake-up."""

from __future__ import annotations

from django_tasks import task

from baton.conversations.ownership import do_expire_handoff, do_wake_up_conversation


@task()
def expire_handoff(handoff_id: int) -> bool:
    return do_expire_handoff(handoff_id)


@task()
def wake_up_conversation(conversation_id: int) -> bool:
    return do_wake_up_conversation(conversation_id)
