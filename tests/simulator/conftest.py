"""A real Baton over HTTP and simulators with customers writing to it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from baton.simulator.config import SimNumber
from baton.simulator.server import SimulatorHandle, start_in_thread
from tests.conftest import make_inbox, quiet_simulator_config
from tests.live import running_baton

NUMBER = SimNumber("1122334455667", "15550001111", "900000000000001", "test-token")


@pytest.fixture
def baton_url(transactional_db):
    make_inbox(NUMBER.phone_number_id, access_token=NUMBER.access_token)
    with running_baton() as url:
        yield url


@pytest.fixture
def start_simulator(baton_url, settings):
    """Start simulators whose customers write to Baton; all are stopped at the end."""
    started: list[SimulatorHandle] = []

    def start(**overrides) -> SimulatorHandle:
        config = quiet_simulator_config(
            f"{baton_url}/webhooks/whatsapp",
            numbers=[NUMBER],
            rate_per_minute=600,
            typing_seconds=(0.05, 0.1),
        )
        handle = start_in_thread(replace(config, **overrides))
        settings.WHATSAPP_API_BASE_URL = handle.graph_base_url
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()
