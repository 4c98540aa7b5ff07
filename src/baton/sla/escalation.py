"""What a policy does when a clock warns or breaches: its actions, the timeline line that
says what was done, and the live alert to the owner and the team's managers.

Runs in a task queued in the transaction that recorded the warning or breach (so a crash
can never lose it), once per record: the record's row lock and its ``done`` mark make a
retried task a no-op. Actions that move the conversation take their locks the way the
assignment engine does (agents, then the conversation), which the scan, holding the
conversation's lock already, could not.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from baton.agents.models import Team, User
from baton.conversations.actions import do_add_labels, do_set_priority
from baton.conversations.audit import record_event
from baton.conversations.lifecycle import Action, is_allowed
from baton.conversations.models import Conversation, ConversationStatus, EventKind
from baton.conversations.ownership import apply_move, lock_conversation
from baton.realtime.event_types import SlaAlert
from baton.realtime.events import (
    ADMINS_GROUP,
    MANAGERS_GROUP,
    send_event_on_commit,
    team_managers_group,
    user_group,
)
from baton.routing.actions import do_route_conversation
from baton.routing.alerts import do_reassign_to_teammate
from baton.routing.conditions import normalise_priority
from baton.sla.models import OPEN_STATES, ConversationSla, Metric, RecordKind, SlaRecord

WORDS = {RecordKind.WARNING: "due soon", RecordKind.BREACH: "breached"}


def metric_label(metric: str) -> str:
    return Metric(metric).label.lower()


@task()
def run_sla_actions(record_id: int) -> list[str]:
    return do_run_sla_actions(record_id)


def do_run_sla_actions(record_id: int) -> list[str]:
    """Apply the policy's actions for one warning or breach record; returns what was done."""
    with transaction.atomic():
        record = (
            SlaRecord.objects.select_for_update(of=("self",))
            .select_related("policy", "conversation")
            .filter(pk=record_id)
            .first()
        )
        if record is None or record.data.get("done") is not None:
            return []
        conversation = record.conversation
        policy = record.policy
        actions: list[dict[str, Any]] = []
        if policy is not None:
            actions = policy.on_warning if record.kind == RecordKind.WARNING else policy.on_breach
        # A clock answered or stopped meanwhile needs no escalation (it is still recorded).
        if not _still_waiting(record):
            actions = []
        done: list[str] = []
        # Moves first: they lock agents before the conversation, as the assignment engine
        # does; a priority or label change locks the conversation until commit.
        ordered = sorted(
            (a for a in (actions if isinstance(actions, list) else []) if isinstance(a, dict)),
            key=lambda a: a.get("action") not in ("reassign", "hand_to_team"),
        )
        for action in ordered:
            outcome = _apply(action, record, conversation)
            if outcome:
                done.append(outcome)
        conversation.refresh_from_db()
        text = f"{metric_label(record.metric)} {WORDS[RecordKind(record.kind)]}"
        if done:
            text += " → " + ", ".join(done)
        if record.policy_name:
            text += f" (policy {record.policy_name})"
        record_event(
            EventKind.SLA_WARNING if record.kind == RecordKind.WARNING else EventKind.SLA_BREACH,
            conversation=conversation,
            reason=text,
            data={
                "metric": record.metric,
                "record_id": record.pk,
                "policy": record.policy_name,
                "due_at": record.due_at.isoformat() if record.due_at else None,
                "actions": done,
            },
        )
        record.data = {**record.data, "done": done, "text": text}
        record.save(update_fields=["data"])
        groups = [ADMINS_GROUP]
        groups.append(
            team_managers_group(conversation.team_id) if conversation.team_id else MANAGERS_GROUP
        )
        if conversation.owner_id:
            groups.append(user_group(conversation.owner_id))
        send_event_on_commit(
            SlaAlert(
                conversation_id=conversation.pk,
                kind="warning" if record.kind == RecordKind.WARNING else "breach",
                metric=Metric(record.metric).value,  # type: ignore[arg-type]
                due_at=(record.due_at or record.at).isoformat(),
                text=text,
            ),
            groups,
        )
        return done


def _still_waiting(record: SlaRecord) -> bool:
    row = ConversationSla.objects.filter(pk=record.conversation_id).first()
    if row is None:
        return False
    return (
        getattr(row, f"{record.metric}_started_at") == record.started_at
        and getattr(row, f"{record.metric}_state") in OPEN_STATES
    )


def _apply(action: dict[str, Any], record: SlaRecord, conversation: Conversation) -> str:
    name = action.get("action")
    why = f"{metric_label(record.metric)} {WORDS[RecordKind(record.kind)]}"
    if record.policy_name:
        why += f" (policy {record.policy_name})"
    if name == "notify_owner":
        return "owner notified" if conversation.owner_id else ""
    if name == "notify_managers":
        return "managers notified"
    if name == "set_priority":
        priority = normalise_priority(action.get("priority"))
        if priority is None or conversation.priority == priority:
            return ""
        do_set_priority(conversation.pk, priority, actor=None, reason=why)
        return f"priority {Conversation(priority=priority).get_priority_display().lower()}"
    if name == "add_label":
        label = str(action.get("label") or "").strip()
        if not label or label in (conversation.labels or []):
            return ""
        do_add_labels(conversation.pk, [label], actor=None, reason=why)
        return f"label {label}"
    if name == "reassign":
        return _reassign(conversation, why)
    if name == "hand_to_team":
        return _hand_to_team(conversation, str(action.get("team") or ""), why)
    return ""


def _reassign(conversation: Conversation, why: str) -> str:
    conversation.refresh_from_db(fields=["status", "owner"])
    if conversation.status == ConversationStatus.QUEUED:
        agent = do_route_conversation(conversation.pk, rule=why)
        return f"assigned to {agent.name}" if agent else "nobody available to take it"
    if conversation.status != ConversationStatus.ASSIGNED:
        return ""
    teammate: User | None = do_reassign_to_teammate(
        conversation.pk, why=why, data={"sla": True}, now=timezone.now()
    )
    return f"reassigned to {teammate.name}" if teammate else "no teammate available to reassign"


def _hand_to_team(conversation: Conversation, team_name: str, why: str) -> str:
    team = Team.objects.filter(name=team_name).first()
    if team is None:
        return f"team {team_name} no longer exists"
    locked = lock_conversation(conversation.pk)
    if locked.team_id == team.pk or not is_allowed(locked.status, Action.HAND_TO_TEAM):
        return ""
    apply_move(
        locked,
        Action.HAND_TO_TEAM,
        actor=None,
        kind=EventKind.HANDED_TO_TEAM,
        owner=None,
        team=team,
        reason=why,
        extra={"last_owner": locked.owner} if locked.owner_id else None,
    )
    return f"handed to {team.name}"
