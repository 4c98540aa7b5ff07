"""Timers of the conversation lifecycle: handoff expiry, snooze wake-up, stale scans."""

from __future__ import annotations

from django_tasks import task

from baton.conversations.ownership import do_expire_handoff, do_wake_up_conversation


@task()
def expire_handoff(handoff_id: int) -> bool:
    return do_expire_handoff(handoff_id)


@task()
def wake_up_conversation(conversation_id: int) -> bool:
    return do_wake_up_conversation(conversation_id)


@task()
def scan_stale_conversations() -> int:
    from baton.conversations.alerts import do_scan_stale_conversations

    return do_scan_stale_conversations()
