"""Behind a TLS-terminating proxy: the documented production configuration, for real.

Each test runs `baton` in a subprocess, because these settings are read once at start-up.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

HOST = "inbox.example.com"
PORT = 8124  # this worktree's range of ports for servers started by tests (8121-8129)


def production_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """README's "Running it safely" configuration."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BATON_", "DJANGO_")) and k not in ("SECRET_KEY", "ALLOWED_HOSTS")
    }
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        BATON_BEHIND_TLS_PROXY="true",
        BATON_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'baton.sqlite3'}",
    )
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def baton(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "baton", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_check_deploy_is_clean_in_the_production_configuration(tmp_path):
    result = baton(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_it_refuses_to_start_with_the_public_development_key(tmp_path):
    env = production_env(tmp_path)
    env.pop("SECRET_KEY")
    result = baton(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.fixture
def production_server(tmp_path):
    env = production_env(tmp_path)
    for step in (("migrate", "-v0"), ("createuser", "alice", "--password", "pw")):
        done = baton(env, *step)
        assert done.returncode == 0, done.stdout + done.stderr
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "baton", "serve", "--port", str(PORT), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{PORT}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", headers={"Host": HOST}, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("baton serve did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


def test_behind_the_proxy_cookies_are_secure_and_plain_http_is_redirected(production_server):
    # What the proxy adds to every request it forwards over HTTPS.
    via_proxy = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"}
    with httpx.Client(base_url=production_server, headers=via_proxy, timeout=10) as http:
        page = http.get("/login/")
        assert page.status_code == 200
        assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "same-origin"
        assert re.search(r"csrftoken=[^;]+;.*\bSecure\b", page.headers["Set-Cookie"])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        # A Secure cookie is never sent over the plain HTTP between proxy and Baton by a
        # browser-like client, so it is passed on by hand, as the proxy does.
        cookie = page.headers["Set-Cookie"].split(";", 1)[0]
        # The CSRF check compares Origin with the request's scheme: https, from the proxy.
        signed_in = http.post(
            "/login/",
            data={"username": "alice", "password": "pw", "csrfmiddlewaretoken": token},
            headers={
                "Origin": f"https://{HOST}",
                "Referer": f"https://{HOST}/login/",
                "Cookie": cookie,
            },
        )
        assert signed_in.status_code == 302, signed_in.text[:300]
        session_cookie = next(
            c for c in signed_in.headers.get_list("Set-Cookie") if c.startswith("sessionid=")
        )
        assert "Secure" in session_cookie
        assert "HttpOnly" in session_cookie
    # Plain HTTP reaching Baton (not through the proxy) goes to HTTPS, except the probes and
    # Meta's webhook.
    plain = httpx.get(f"{production_server}/login/", headers={"Host": HOST}, timeout=10)
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://{HOST}/login/"
    health = httpx.get(f"{production_server}/healthz", headers={"Host": HOST}, timeout=10)
    assert health.status_code == 200
    webhook = httpx.post(
        f"{production_server}/webhooks/whatsapp", headers={"Host": HOST}, content=b"{}", timeout=10
    )
    assert webhook.status_code != 301
