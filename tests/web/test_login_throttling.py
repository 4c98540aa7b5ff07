"""Sign-in throttling (django-axes): five wrong passwords lock a username from an address."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import httpx
import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core.management import call_command

from baton.core.management.commands.serve import proxy_options
from tests.conftest import make_user
from tests.live import running_baton

LOCKED = "Too many failed attempts. Try again in 15 minutes or ask an admin to unlock you."


@pytest.fixture
def alice(db):
    return make_user("alice")


def sign_in(client, password: str, username: str = "alice", **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def fail(client, times: int, **extra) -> None:
    for _ in range(times):
        response = sign_in(client, "wrong", **extra)
        assert "Wrong username or password." in response.content.decode()


def test_five_failures_lock_out_even_the_right_password(client, alice, caplog):
    caplog.set_level(logging.WARNING, logger="axes")
    fail(client, 4)
    fifth = sign_in(client, "wrong")
    assert fifth.status_code == 429
    right = sign_in(client, "pw")
    assert right.status_code == 429
    assert LOCKED in right.content.decode()
    assert not signed_in(client)
    # Every failure is on record, with who and from where, and in the log.
    failures = AccessFailureLog.objects.filter(username="alice")
    assert failures.count() >= 5
    assert {f.ip_address for f in failures} == {"127.0.0.1"}
    assert (
        sum("AXES:" in r.getMessage() and "failure" in r.getMessage() for r in caplog.records) >= 5
    )
    assert not any("pw" in r.getMessage().split("password")[-1][:8] for r in caplog.records)


def test_after_the_cool_off_the_right_password_works(client, alice):
    fail(client, 4)
    assert sign_in(client, "wrong").status_code == 429
    # Fifteen minutes (and a bit) pass.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    response = sign_in(client, "pw")
    assert response.status_code == 302
    assert signed_in(client)


def test_a_success_resets_the_count(client, alice):
    fail(client, 4)
    assert sign_in(client, "pw").status_code == 302
    client.logout()
    fail(client, 4)
    assert sign_in(client, "pw").status_code == 302


def test_a_guesser_elsewhere_does_not_lock_alice_out(client, alice):
    for _ in range(6):
        sign_in(client, "wrong", REMOTE_ADDR="203.0.113.9")
    assert sign_in(client, "wrong", REMOTE_ADDR="203.0.113.9").status_code == 429
    assert sign_in(client, "pw").status_code == 302


def test_an_admin_unlocks_from_the_command_line(client, alice):
    fail(client, 4)
    assert sign_in(client, "wrong").status_code == 429
    call_command("axes_reset_username", "alice")
    assert sign_in(client, "pw").status_code == 302


def test_the_admin_sign_in_is_throttled_too(client, db):
    make_user("root", role="admin")
    for _ in range(5):
        client.post("/admin/login/", {"username": "root", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "root", "password": "pw"})
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_the_api_takes_no_passwords(client, alice):
    """API tokens are the only API credential: there is no password to guess there."""
    basic = httpx.BasicAuth("alice", "pw")._auth_header
    assert client.get("/api/v1/me", headers={"Authorization": basic}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Token pw"}).status_code == 401


# --- The address that is counted --------------------------------------------------------------


def failed_over_http(base_url: str, forwarded_for: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as http:
        page = http.get("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = http.post(
            "/login/",
            data={"username": "alice", "password": "wrong", "csrfmiddlewaretoken": token},
            headers={"X-Forwarded-For": forwarded_for},
        )
        assert response.status_code == 200


@pytest.mark.parametrize(("proxy_mode", "counted"), [(False, "127.0.0.1"), (True, "198.51.100.4")])
def test_the_forwarded_address_counts_only_in_tls_proxy_mode(
    transactional_db, settings, proxy_mode, counted
):
    make_user("alice")
    settings.BATON_BEHIND_TLS_PROXY = proxy_mode
    with running_baton(with_worker=False, uvicorn_options=proxy_options()) as url:
        failed_over_http(url, "198.51.100.4")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [counted]
