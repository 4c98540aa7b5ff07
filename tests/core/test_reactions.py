"""The in-transaction reaction pipeline and the registries apps fill in ready()."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from baton.agents.changes import PresenceChanged
from baton.assist.tasks import refresh_model
from baton.bots.tasks import fire_bot_timeouts
from baton.conversations.changes import ConversationCreated, ConversationMoved, MessageReceived
from baton.core import reactions
from baton.core.changes import ConfigurationChanged
from baton.core.periodic import periodic_jobs, thread_exit_hooks
from baton.core.reactions import Slot, dispatch, register, subscribers_of
from baton.routing.tasks import scan_routing, scan_stale_conversations
from baton.sla.tasks import predict_breaches, scan_sla
from baton.whatsapp.graph import close_thread_client
from baton.whatsapp.tasks import sweep_outbound


@dataclass(frozen=True)
class Happened:
    what: str


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(reactions, "_subscribers", {})


def test_subscribers_run_in_slot_order_then_registration_order(clean_registry):
    seen: list[str] = []
    register(Happened, lambda change: seen.append(f"sla {change.what}"), Slot.SLA)
    register(Happened, lambda change: seen.append(f"routing {change.what}"), Slot.ROUTING)
    register(Happened, lambda change: seen.append(f"bots {change.what}"), Slot.BOTS)
    register(Happened, lambda change: seen.append(f"routing again {change.what}"), Slot.ROUTING)

    dispatch(Happened("x"))

    assert seen == ["bots x", "routing x", "routing again x", "sla x"]


def test_registering_twice_keeps_one_subscriber(clean_registry):
    seen: list[object] = []
    register(Happened, seen.append, Slot.ROUTING)
    register(Happened, seen.append, Slot.ROUTING)

    dispatch(Happened("once"))

    assert seen == [Happened("once")]


def test_a_change_nobody_subscribed_to_is_a_no_op(clean_registry):
    dispatch(Happened("unheard"))


def test_a_subscriber_error_reaches_the_writer(clean_registry):
    """Reactions run in the writer's transaction: their failure rolls the change back."""

    def broken(change: Happened) -> None:
        raise RuntimeError(change.what)

    register(Happened, broken, Slot.ROUTING)
    with pytest.raises(RuntimeError, match="boom"):
        dispatch(Happened("boom"))


def test_apps_subscribe_in_ready():
    for change_type in (ConversationCreated, MessageReceived, ConversationMoved, PresenceChanged):
        assert any(s.__module__ == "baton.routing.reactions" for s in subscribers_of(change_type))
    assert [s.__module__ for s in subscribers_of(ConfigurationChanged)] == [
        "baton.conversations.audit"
    ]


def test_the_worker_gets_its_periodic_jobs_from_the_apps():
    jobs = {job: every for every, job in periodic_jobs()}
    assert jobs == {
        sweep_outbound.enqueue: 30.0,
        scan_stale_conversations.enqueue: 15.0,
        scan_routing.enqueue: 15.0,
        scan_sla.enqueue: 5.0,
        predict_breaches.enqueue: 15.0,
        fire_bot_timeouts.enqueue: 5.0,
        refresh_model.enqueue: 60.0,
    }
    assert close_thread_client in thread_exit_hooks()
