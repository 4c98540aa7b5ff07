"""The README's two terminals: ``baton simulate`` prints what ``baton serve`` needs, and with
exactly those lines Baton accepts the simulator's webhooks; refused, the simulator says why."""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
from django.db import connection

from baton.conversations.models import Message
from tests.live import free_port, wait_for

BATON = str(Path(sys.executable).with_name("baton"))
BATON_NEEDS = {
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_API_BASE_URL",
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_ACCESS_TOKEN",
}


def database_url_of_this_test() -> str:
    """The test database as a DATABASE_URL, so a subprocess writes where this test reads."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def newcomer_env(tmp_path: Path) -> dict[str, str]:
    """A shell with none of Baton's WhatsApp variables set, output unbuffered."""
    env = {k: v for k, v in os.environ.items() if k not in BATON_NEEDS}
    return {**env, "BATON_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}


def read_until(process: subprocess.Popen, marker: str, timeout: float = 60) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break  # exited
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError(f"{marker!r} not printed; got {lines}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def test_the_printed_lines_make_baton_serve_accept_the_simulated_customer(
    transactional_db, tmp_path
):
    sim_port, baton_port = free_port(), free_port()
    env = newcomer_env(tmp_path)
    simulate = subprocess.Popen(
        [
            BATON,
            "simulate",
            "--no-customers",
            "--port",
            str(sim_port),
            "--webhook-url",
            f"http://127.0.0.1:{baton_port}/webhooks/whatsapp",
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    serve = None
    try:
        printed = read_until(simulate, "Ctrl+C to stop.")
        exports = [line for line in printed if line.startswith("export ")]
        assert "baton migrate && baton serve" in printed
        # Pasted verbatim: the shell's own parsing of each line, nothing else.
        variables = dict(shlex.split(line)[1].split("=", 1) for line in exports)
        assert set(variables) == BATON_NEEDS
        assert variables["WHATSAPP_API_BASE_URL"] == f"http://127.0.0.1:{sim_port}/v23.0"
        serve = subprocess.Popen(
            [BATON, "serve", "--no-worker", "--port", str(baton_port)],
            env={**env, **variables, "DATABASE_URL": database_url_of_this_test()},
            stdout=subprocess.DEVNULL,
        )
        health = f"http://127.0.0.1:{baton_port}/healthz"
        wait_for(lambda: _answers(health), timeout=60, interval=0.2, message="no baton serve")
        sent = httpx.post(
            f"http://127.0.0.1:{sim_port}/_sim/customers/34600123456/messages",
            json={"text": "Hola, ¿tenéis la talla M?", "name": "Marta"},
            timeout=30,
        ).json()
        assert sent["status"] == 200
        message = Message.objects.get(wamid=sent["wamid"])
        assert message.text == "Hola, ¿tenéis la talla M?"
        assert message.conversation.inbox.phone_number_id == variables["WHATSAPP_PHONE_NUMBER_ID"]
    finally:
        if serve is not None:
            stop(serve)
        stop(simulate)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_refused_webhook_is_explained_in_the_simulators_log(start_simulator, caplog):
    """Baton was started without the simulator's secret: its answer is 403, bad signature."""
    caplog.set_level(logging.WARNING, logger="baton.simulator")
    simulator = start_simulator(app_secret="not-batons-secret", webhook_max_attempts=2)
    sent = httpx.post(
        f"{simulator.base_url}/_sim/customers/34600123456/messages",
        json={"text": "Hello?"},
        timeout=30,
    ).json()
    assert sent["status"] == 403
    [advice] = [r.getMessage() for r in caplog.records if "refused the webhook" in r.getMessage()]
    assert advice.startswith("Baton refused the webhook: bad signature — start baton serve with")
    assert "WHATSAPP_APP_SECRET=not-batons-secret" in advice
    assert not Message.objects.exists()
