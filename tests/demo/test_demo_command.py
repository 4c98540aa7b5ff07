"""``baton demo`` on a busy port says so before printing anything, and exits cleanly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from baton.demo.management.commands.demo import choose_simulator_port
from tests.live import free_port

BATON = str(Path(sys.executable).with_name("baton"))


def run_demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BATON_DATA_DIR": str(tmp_path)}
    # The demo must stop before touching any database; should it not, a scratch one.
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    return subprocess.run(
        [BATON, "demo", *args], env=env, capture_output=True, text=True, timeout=90, check=False
    )


@pytest.fixture
def held_port():
    """A port another program listens on."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def test_a_busy_port_is_named_with_the_command_to_run_instead(tmp_path, held_port):
    result = run_demo(tmp_path, "--port", str(held_port))
    assert result.returncode != 0
    assert (
        f"Port {held_port} is already in use (another Baton or another program). "
        "Run: make demo PORT="
    ) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    # Nothing was printed before the refusal: no URL, no migration.
    assert result.stdout == ""
    assert not (tmp_path / "demo.sqlite3").exists()


def test_a_busy_simulator_port_asked_for_is_refused_the_same_way(tmp_path, held_port):
    result = run_demo(tmp_path, "--port", str(free_port()), "--simulator-port", str(held_port))
    assert result.returncode != 0
    assert f"Port {held_port} for the simulator is already in use" in result.stderr
    assert "Run: make demo SIM_PORT=" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


def test_without_a_choice_the_simulator_takes_a_free_port_not_batons():
    # PORT=8081 would collide with the simulator's default: it moves on by itself.
    port = choose_simulator_port(None, baton_port=8081)
    assert port != 8081
    with socket.create_server(("127.0.0.1", port)):
        pass  # and it is free
