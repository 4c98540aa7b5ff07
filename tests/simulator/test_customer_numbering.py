"""A restarted simulator's customers are new people, not customer #1 again."""

from __future__ import annotations

from baton.conversations.models import Contact, Conversation
from baton.simulator.customers import persona
from baton.simulator.state import load_last_customer, save_last_customer
from tests.live import wait_for


def test_a_restarted_simulator_continues_after_the_customers_it_created(start_simulator, tmp_path):
    state = tmp_path / "simulator-customers.json"
    first_run = start_simulator(customers=1, state_file=state)
    wait_for(lambda: Contact.objects.count() == 1, timeout=15)
    first_run.stop()
    second_run = start_simulator(customers=1, state_file=state)
    wait_for(lambda: Contact.objects.count() == 2, timeout=15)
    second_run.stop()
    # Customer #2 wrote in the second run, into a conversation of its own.
    assert set(Contact.objects.values_list("wa_id", flat=True)) == {
        persona(1).wa_id,
        persona(2).wa_id,
    }
    assert Conversation.objects.count() == 2
    assert load_last_customer(state) == 2


def test_an_unreadable_state_file_starts_afresh(tmp_path):
    state = tmp_path / "simulator-customers.json"
    assert load_last_customer(state) == 0  # no file yet
    state.write_text("not json", encoding="utf-8")
    assert load_last_customer(state) == 0
    save_last_customer(state, 41)
    assert load_last_customer(state) == 41
    assert [p.name for p in tmp_path.iterdir()] == ["simulator-customers.json"]
