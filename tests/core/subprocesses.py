"""Real Baton processes for tests: ``baton serve`` / ``baton worker`` on the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from django.conf import settings

REPO_ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, as a DATABASE_URL another process can open."""
    db = settings.DATABASES["default"]
    if settings.IS_POSTGRES:
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def baton_env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "BATON_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def start_baton(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``baton <args>`` from the repository root (test-only tasks import from there),
    its output going to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "baton", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until_serving(base_url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(f"{base_url}/login/", timeout=1)
            return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"baton exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError("baton did not start serving")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
