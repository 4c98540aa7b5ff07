"""Every SLA write: keeping a conversation's clocks current, the scan, and policy configuration.

``do_refresh_sla`` runs inside the transaction of each change that can move a clock (an
inbound message, a human reply, a lifecycle move, a priority or label change; see
``sla.reactions``) with the conversation's row locked by that change, so the deadline
columns are never behind what the timeline says. Time alone moves a state only at a
warning or due instant; ``next_check_at`` holds the earliest, and the scan
(``do_scan_sla``) re-evaluates exactly the rows whose instant has come.

Warnings, breaches and outcomes are ``SlaRecord`` rows, each unique per clock run: a reply
racing the breach instant serialises on the conversation's row lock with the scan, and
whichever comes second sees the other's result (met, or breached then missed), never both.
The policy's actions for a new warning or breach run in a task (``sla.escalation``) queued
in the same transaction, so that they take their locks in the assignment engine's order.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from baton.agents.models import Team, User
from baton.conversations.audit import record_config_change, record_event
from baton.conversations.models import Conversation, ConversationStatus, Message, MessageType
from baton.conversations.models import EventKind as Timeline
from baton.conversations.notify import conversation_audience
from baton.conversations.ownership import lock_conversation
from baton.core.errors import InvalidInput, NotFound
from baton.realtime.event_types import SlaChanged, SlaData
from baton.realtime.events import send_event_on_commit
from baton.sla.acknowledgements import needs_no_answer
from baton.sla.clock import (
    ClockEvent,
    EventKind,
    SlaSnapshot,
    State,
    Targets,
    evaluate,
)
from baton.sla.clock import MetricState as ClockMetric
from baton.sla.escalation import run_sla_actions
from baton.sla.models import (
    METRICS,
    OPEN_STATES,
    ConversationSla,
    MetricState,
    RecordKind,
    SlaPolicy,
    SlaRecord,
)
from baton.sla.policies import TARGETS, choose_policy, validate_policy
from baton.sla.queries import (
    NOT_CUSTOMER_WRITING,
    get_calendar,
    get_clock_events,
    get_enabled_policies,
    get_policy_facts,
    sla_dict,
)

# Columns of one metric on ConversationSla, after the metric's name.
_COLUMNS = ("state", "started_at", "warn_at", "due_at", "stopped_at")
SCAN_BATCH = 200


def targets_of(policy: SlaPolicy | None) -> Targets:
    if policy is None:
        return Targets()
    return Targets(
        first_response_seconds=policy.first_response_seconds,
        next_response_seconds=policy.next_response_seconds,
        resolution_seconds=policy.resolution_seconds,
        warn_before_seconds=policy.warn_before_seconds,
        pause_resolution_when_pending=policy.pause_resolution_when_pending,
    )


def _columns(snapshot: SlaSnapshot, now: datetime) -> dict[str, Any]:
    fields: dict[str, Any] = {"cycle": snapshot.cycle}
    nearest: list[datetime] = []
    checks: list[datetime] = []
    for metric in METRICS:
        state: ClockMetric = getattr(snapshot, metric)
        fields[f"{metric}_state"] = state.state.value
        fields[f"{metric}_started_at"] = state.started_at
        fields[f"{metric}_warn_at"] = state.warn_at
        fields[f"{metric}_stopped_at"] = state.stopped_at
        # A paused clock's due instant moves on while the pause lasts: not a deadline yet.
        due = state.due_at if state.state is not State.PAUSED else None
        fields[f"{metric}_due_at"] = due
        if state.state.value in OPEN_STATES and due is not None:
            nearest.append(due)
        if state.state is State.RUNNING and state.warn_at is not None and state.warn_at > now:
            checks.append(state.warn_at)
        elif state.state in (State.RUNNING, State.WARNING) and due is not None:
            checks.append(due)
    fields["nearest_due_at"] = min(nearest, default=None)
    fields["next_check_at"] = min(checks, default=None)
    return fields


def do_refresh_sla(
    conversation: Conversation,
    *,
    now: datetime | None = None,
    policies: list[SlaPolicy] | None = None,
) -> ConversationSla:
    """Re-choose the policy and re-evaluate every clock of ``conversation`` at ``now``.

    Precondition: inside a transaction that holds the conversation's row lock (every change
    that dispatches to ``sla.reactions`` does; the scan takes it). Writes only what changed.
    """
    row = ConversationSla.objects.filter(pk=conversation.pk).first()
    return _refresh(conversation, row, now or timezone.now(), policies)


def _refresh(
    conversation: Conversation,
    row: ConversationSla | None,
    now: datetime,
    policies: list[SlaPolicy] | None = None,
) -> ConversationSla:
    cycle, events = get_clock_events(conversation.pk)
    return _evaluate_and_store(conversation, row, cycle, events, now, policies)


def do_start_sla(conversation: Conversation, message: Message) -> ConversationSla:
    """The clocks of a conversation ``message`` has just created (ingest's hot path: what
    the full refresh would read from the database is known here)."""
    if (
        conversation.status != ConversationStatus.QUEUED
        or ConversationSla.objects.filter(pk=conversation.pk).exists()
    ):
        # Moved in this same transaction (a bot flow took it, and may have handed it on at
        # once): the move's reaction already stored the clocks, so read everything afresh.
        return do_refresh_sla(conversation)
    now = timezone.now()
    events = []
    if conversation.status != ConversationStatus.BOT:  # a bot took it: nobody owes yet
        events.append(
            ClockEvent(
                message.created_at,
                EventKind.CUSTOMER_MESSAGE,
                acknowledgement=needs_no_answer(
                    message.text, is_reaction=message.type == MessageType.REACTION
                ),
            )
        )
    return _evaluate_and_store(conversation, None, 1, events, now, None)


def do_refresh_sla_on_message(conversation: Conversation, message: Message) -> None:
    """An inbound message to an open conversation: most change no clock (the customer
    writes again while waiting, or only says thanks); then one read is all it costs."""
    row = ConversationSla.objects.filter(pk=conversation.pk).first()
    if row is not None and message_changes_no_clock(row, conversation, message):
        return
    _refresh(conversation, row, timezone.now())  # the row just read: not read again


def message_changes_no_clock(
    row: ConversationSla, conversation: Conversation, message: Message
) -> bool:
    """Can a customer's message to this (not reopened) conversation move no clock? True
    only when certain; anything else takes the full refresh."""
    if message.type in NOT_CUSTOMER_WRITING:
        return True
    if conversation.status == ConversationStatus.BOT:
        return row.first_response_started_at is None  # the bot holds it: nobody owes yet
    if row.resolution_state == MetricState.PAUSED:
        return False  # the customer's answer resumed a pending conversation
    first_waiting = row.first_response_started_at and row.first_response_stopped_at is None
    next_waiting = row.next_response_started_at and row.next_response_stopped_at is None
    if first_waiting or next_waiting:
        return True  # the oldest unanswered message already set the clock
    if row.first_response_stopped_at is not None:
        # Answered before: only an acknowledgement starts nothing.
        return needs_no_answer(message.text, is_reaction=message.type == MessageType.REACTION)
    return False


def _evaluate_and_store(
    conversation: Conversation,
    row: ConversationSla | None,
    cycle: int,
    events: list[ClockEvent],
    now: datetime,
    policies: list[SlaPolicy] | None,
) -> ConversationSla:
    if policies is None:
        policies = get_enabled_policies()
    policy = choose_policy(policies, get_policy_facts(conversation))
    snapshot = evaluate(events, targets_of(policy), get_calendar(conversation, policy), now)
    # The events start at the latest reopen; the cycle number counts every reopen.
    snapshot = replace(snapshot, cycle=cycle)
    fields = _columns(snapshot, now)
    fields["policy_id"] = policy.pk if policy else None
    if row is None:
        row = ConversationSla(conversation=conversation, **fields)
        row.save(force_insert=True)
        # A new conversation's own created event follows and shows its clocks: one event.
        changed = row_existed = False
        before_policy = None
    else:
        row_existed = True
        changed = any(getattr(row, key) != value for key, value in fields.items())
        before_policy = row.policy_id
        if changed:
            for key, value in fields.items():
                setattr(row, key, value)
            row.save()
    if row_existed and (policy.pk if policy else None) != before_policy:
        _record_policy_choice(conversation, before_policy, policy)
    _record_crossings(conversation, row, snapshot, policy, now)
    if changed:
        data = sla_dict(row, policy.name if policy else None)
        send_event_on_commit(
            SlaChanged(conversation_id=conversation.pk, sla=SlaData.model_validate(data)),
            conversation_audience(conversation),
        )
    return row


def _record_policy_choice(
    conversation: Conversation, before_id: int | None, policy: SlaPolicy | None
) -> None:
    before = (
        SlaPolicy.objects.filter(pk=before_id).values_list("name", flat=True).first()
        if before_id is not None
        else None
    )
    if policy is None:
        reason = f"SLA policy {before} no longer applies" if before else "no SLA policy applies"
    elif before:
        reason = f"SLA policy {before} → {policy.name}"
    else:
        reason = f"SLA policy {policy.name} applies"
    record_event(
        Timeline.SLA_POLICY,
        conversation=conversation,
        reason=reason,
        data={"policy": policy.name if policy else None, "before": before},
    )


def _record_crossings(
    conversation: Conversation,
    row: ConversationSla,
    snapshot: SlaSnapshot,
    policy: SlaPolicy | None,
    now: datetime,
) -> None:
    """Write the warnings, breaches and outcomes this snapshot shows and no record has yet.

    New warnings and breaches of clocks still waiting for the team get the policy's actions
    (a task); one found only once the clock had stopped (the scan was late) is recorded as
    it happened, without escalating a conversation that was answered meanwhile.
    """
    wanted: list[tuple[str, ClockMetric, RecordKind, datetime, float | None]] = []
    for metric in METRICS:
        state: ClockMetric = getattr(snapshot, metric)
        if state.started_at is None:
            continue
        if (
            state.warn_at is not None
            and state.warn_at <= now
            and state.state
            in (
                State.WARNING,
                State.BREACHED,
            )
        ):
            wanted.append((metric, state, RecordKind.WARNING, state.warn_at, None))
        if state.state in (State.BREACHED, State.MISSED) and state.breached_at is not None:
            wanted.append((metric, state, RecordKind.BREACH, state.breached_at, None))
        if state.stopped_at is not None and state.state in (State.MET, State.MISSED, State.NONE):
            kind = {State.MET: RecordKind.MET, State.MISSED: RecordKind.MISSED}.get(
                state.state, RecordKind.STOPPED
            )
            wanted.append((metric, state, kind, state.stopped_at, state.elapsed_seconds))
    if not wanted:
        return
    have = set(
        SlaRecord.objects.filter(
            conversation_id=conversation.pk,
            started_at__in={state.started_at for _, state, _, _, _ in wanted},
        ).values_list("metric", "started_at", "kind")
    )
    owner = conversation.owner if conversation.owner_id else None
    new = [
        SlaRecord(
            conversation=conversation,
            cycle=snapshot.cycle,
            metric=metric,
            started_at=state.started_at,  # type: ignore[misc]  # checked when wanted
            kind=kind,
            at=at,
            due_at=state.due_at,
            elapsed_seconds=elapsed,
            policy=policy,
            policy_name=policy.name if policy else "",
            team_id=conversation.team_id,
            owner=_answered_by(conversation, state, kind, owner),
            data={"still_waiting": state.state.value in OPEN_STATES},
        )
        for metric, state, kind, at, elapsed in wanted
        if (metric, state.started_at, kind) not in have
    ]
    if not new:
        return
    # The conversation's row lock makes these the only writers of its records; the unique
    # constraints stay the backstop (a conflicting row is skipped, never written twice).
    SlaRecord.objects.bulk_create(new, ignore_conflicts=True)
    alerts = [r for r in new if r.kind in (RecordKind.WARNING, RecordKind.BREACH)]
    if alerts:
        keys = {(r.metric, r.started_at, r.kind) for r in alerts}
        ids = [
            pk
            for pk, *key in SlaRecord.objects.filter(
                conversation_id=conversation.pk,
                kind__in=[RecordKind.WARNING, RecordKind.BREACH],
                started_at__in={r.started_at for r in alerts},
            ).values_list("pk", "metric", "started_at", "kind")
            if tuple(key) in keys
        ]
        for record_id in sorted(ids):
            run_sla_actions.enqueue(record_id)


def _answered_by(
    conversation: Conversation, state: ClockMetric, kind: RecordKind, owner: User | None
) -> User | None:
    # Outcomes of response clocks belong to whoever owned the conversation when it was
    # answered: the owner now, as the reply that stopped it is the change being recorded.
    # A resolution outcome keeps the last owner (resolving clears the owner).
    if kind in (RecordKind.WARNING, RecordKind.BREACH):
        return owner
    return owner or conversation.last_owner


# ------------------------------------------------------------------------------------------
# The scan


def do_scan_sla(
    now: datetime | None = None, *, batch: int = SCAN_BATCH, max_seconds: float | None = None
) -> int:
    """Re-evaluate every conversation whose warning or due instant has come (the most
    overdue first), for at most ``max_seconds``. Idempotent: safe to run any number of times,
    in any number of workers. Returns the rows looked at.
    """
    now = now or timezone.now()
    started = time.monotonic()
    due_ids = list(
        ConversationSla.objects.filter(next_check_at__lte=now)
        .order_by("next_check_at")
        .values_list("pk", flat=True)[:batch]
    )
    policies = get_enabled_policies() if due_ids else []
    looked_at = 0
    for conversation_id in due_ids:
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            break  # the rest wait for the next tick (queued at once by sla.tasks)
        looked_at += 1
        with transaction.atomic():
            try:
                conversation = lock_conversation(conversation_id)
            except NotFound:
                continue
            # Read the clock once the lock is ours: a reply that held it meanwhile is
            # then in the past, never "after now" (which would read as unanswered).
            do_refresh_sla(conversation, now=max(now, timezone.now()), policies=policies)
    return looked_at


def do_refresh_open_conversations(policy_ids: set[int | None] | None = None) -> int:
    """Re-evaluate open conversations after the policies changed (all, or those on
    ``policy_ids``); in batches of short transactions."""
    open_ids = Conversation.objects.exclude(status="resolved").order_by("pk")
    if policy_ids is not None:
        open_ids = open_ids.filter(sla__policy_id__in=[p for p in policy_ids if p is not None])
    count = 0
    # The ids first: each refresh writes, and a cursor held open across writes is fragile.
    for conversation_id in list(open_ids.values_list("pk", flat=True)):
        with transaction.atomic():
            try:
                conversation = lock_conversation(conversation_id)
            except NotFound:
                continue
            do_refresh_sla(conversation)
        count += 1
    return count


# ------------------------------------------------------------------------------------------
# Configuration

POLICY_FIELDS = (
    "name",
    "position",
    "enabled",
    "conditions",
    *TARGETS,
    "warn_before_seconds",
    "business_hours",
    "pause_resolution_when_pending",
    "on_warning",
    "on_breach",
)


def policy_snapshot(policy: SlaPolicy) -> dict[str, Any]:
    return {"id": policy.pk, **{field: getattr(policy, field) for field in POLICY_FIELDS}}


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    teams = set(Team.objects.values_list("name", flat=True))
    errors = validate_policy(values, teams=teams)
    if errors:
        flat = [f"{field}: {problem}" for field, problems in errors.items() for problem in problems]
        raise InvalidInput("The SLA policy is not valid: " + " ".join(flat), errors=errors)
    clean = {field: values[field] for field in POLICY_FIELDS if field in values}
    clean["conditions"] = clean.get("conditions") or {"all": []}
    clean["on_warning"] = clean.get("on_warning") or []
    clean["on_breach"] = clean.get("on_breach") or []
    return clean


def do_create_policy(actor: User | None, values: dict[str, Any]) -> SlaPolicy:
    clean = _checked(values)
    with transaction.atomic():
        if SlaPolicy.objects.filter(name=clean["name"]).exists():
            taken = f"A policy named {clean['name']!r} exists."
            raise InvalidInput(taken, errors={"name": [taken]})
        policy = SlaPolicy.objects.create(**clean)
        record_config_change(actor, policy, "created", {"after": policy_snapshot(policy)})
        transaction.on_commit(refresh_after_policy_change.enqueue)
    return policy


def do_update_policy(actor: User | None, policy_id: int, values: dict[str, Any]) -> SlaPolicy:
    with transaction.atomic():
        policy = SlaPolicy.objects.select_for_update().filter(pk=policy_id).first()
        if policy is None:
            raise NotFound(f"SLA policy {policy_id} does not exist.")
        before = policy_snapshot(policy)
        clean = _checked({**before, **values})
        if SlaPolicy.objects.filter(name=clean["name"]).exclude(pk=policy_id).exists():
            taken = f"A policy named {clean['name']!r} exists."
            raise InvalidInput(taken, errors={"name": [taken]})
        for field, value in clean.items():
            setattr(policy, field, value)
        policy.save()
        record_config_change(
            actor, policy, "changed", {"before": before, "after": policy_snapshot(policy)}
        )
        transaction.on_commit(refresh_after_policy_change.enqueue)
    return policy


def do_delete_policy(actor: User | None, policy_id: int) -> None:
    with transaction.atomic():
        policy = SlaPolicy.objects.select_for_update().filter(pk=policy_id).first()
        if policy is None:
            raise NotFound(f"SLA policy {policy_id} does not exist.")
        record_config_change(actor, policy, "deleted", {"before": policy_snapshot(policy)})
        policy.delete()
        transaction.on_commit(refresh_after_policy_change.enqueue)


# The task lives here (not in sla.tasks) because the configuration actions queue it.
@task()
def refresh_after_policy_change() -> int:
    return do_refresh_open_conversations()
