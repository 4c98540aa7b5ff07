"""Shared fixtures: real migrated schema, small factories, signed webhook posts, task runs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from channels.layers import channel_layers
from django.conf import settings
from django.test import Client

from baton.agents.actions import do_create_user
from baton.agents.models import Team, User
from baton.whatsapp.models import Inbox
from baton.whatsapp.signature import sign

# Threads of live test servers must not keep connections open past a request: the test
# database is flushed and finally dropped while those threads still exist.
settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
# Password hashing is deliberately slow (~0.3 s per user with PBKDF2); the suite creates
# hundreds of users and never tests the hasher itself.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

SAMPLES_DIR = Path(__file__).resolve().parent / "data" / "whatsapp-samples"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"


@pytest.fixture(autouse=True)
def _default_team(request):
    """The default team comes from a data migration; transactional tests flush it away."""
    if not {"db", "transactional_db"} & set(request.fixturenames):
        return
    request.getfixturevalue(
        "transactional_db" if "transactional_db" in request.fixturenames else "db"
    )
    Team.objects.get_or_create(is_default=True, defaults={"name": "Support"})


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test gets its own channel layer instance. Tests run consumers on several event
    loops in one process (in-process sockets, live servers in threads); a Redis layer left
    mid-receive on a finished test's loop refuses every other loop ("Two event loops are
    trying to receive() on one channel layer at once"). A server process has one loop."""
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _whatsapp_settings(settings, tmp_path):
    settings.WHATSAPP_APP_SECRET = APP_SECRET
    settings.WHATSAPP_VERIFY_TOKEN = VERIFY_TOKEN
    settings.BATON_SEND_RETRY_BASE_SECONDS = 0
    settings.MEDIA_ROOT = tmp_path / "media"
    # Training the intent model takes seconds of CPU: only the tests that ask for a model
    # (tests/assist's session fixture) get one, so no worker thread trains mid-test.
    settings.BATON_ASSIST_AUTOTRAIN = False


def load_sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES_DIR / name).read_text(encoding="utf-8"))


def meta_bytes(payload: Any) -> bytes:
    """Serialise as Meta does: compact, non-ASCII as \\uXXXX, '/' escaped as '\\/'."""
    return (
        json.dumps(payload, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode()
    )


def post_webhook(client: Client, body: bytes, secret: str = APP_SECRET, **headers: str):
    return client.post(
        "/webhooks/whatsapp",
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": sign(body, secret), **headers},
    )


def make_inbox(phone_number_id: str = "1122334455667", **kwargs: Any) -> Inbox:
    defaults = {"name": "Main", "display_phone_number": "15550001111", "access_token": "test-token"}
    defaults.update(kwargs)
    return Inbox.objects.create(phone_number_id=phone_number_id, **defaults)


def make_user(username: str, role: str = "agent", team: str | None = None) -> User:
    return do_create_user(username, role, team_name=team, password="pw")


def run_tasks(max_rounds: int = 50) -> int:
    """Run every task that is due, in this process, like ``baton worker`` would."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_rounds,
        worker_id="pytest",
        excluded_queue_names=[],
    )
    worker.run()
    return worker._run_tasks


@pytest.fixture
def inbox(db) -> Inbox:
    return make_inbox()


@pytest.fixture
def default_team(db) -> Team:
    return Team.objects.get(is_default=True)


@pytest.fixture
def conversation(client, inbox):
    """An open conversation from the text sample, with its 24-hour window open now."""
    from datetime import timedelta

    from django.utils import timezone

    from baton.conversations.models import Conversation

    post_webhook(client, meta_bytes(load_sample("inbound_text.json")))
    conv = Conversation.objects.get()
    # The sample's timestamp is from 2023: move the window so it is open now.
    Conversation.objects.filter(pk=conv.pk).update(
        last_inbound_at=timezone.now(), window_ends_at=timezone.now() + timedelta(hours=24)
    )
    conv.refresh_from_db()
    return conv


@pytest.fixture
def owned_conversation(conversation, agent):
    """The same conversation, claimed by ``agent``."""
    from baton.conversations.ownership import do_claim_conversation

    return do_claim_conversation(conversation.pk, agent)


@pytest.fixture
def agent(db) -> User:
    return make_user("alice")


def pytest_configure(config):
    # Django deletes an old SQLite test database file but not its -wal/-shm companions; a
    # stale write-ahead log from an interrupted run would replay into the new database.
    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if test_name and settings.DATABASES["default"]["ENGINE"].endswith("sqlite"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{test_name}{suffix}").unlink(missing_ok=True)


def pytest_collection_modifyitems(config, items):
    is_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and not is_postgres:
            item.add_marker(skip_pg)


def quiet_simulator_config(webhook_url: str, **overrides: Any):
    """A simulator for tests: no duplicates, reordering or skipped statuses, fast retries,
    statuses within tens of milliseconds, a fixed seed."""
    from baton.simulator.config import SimNumber, SimulatorConfig

    config = SimulatorConfig(
        webhook_url=webhook_url,
        app_secret=APP_SECRET,
        numbers=[SimNumber("1122334455667", "15550001111", "900000000000001", "test-token")],
        port=0,
        duplicate_probability=0.0,
        reorder_probability=0.0,
        skip_delivered_probability=0.0,
        status_delay_seconds=(0.01, 0.03),
        webhook_retry_base_seconds=0.05,
        webhook_max_attempts=3,
        seed=1,
    )
    return replace(config, **overrides)


@pytest.fixture
def simulator(settings):
    """The simulator over real HTTP (no customers), with Baton pointed at it.

    Webhooks go to ``simulator.webhook_target``; tests that need statuses applied set it
    to a running Baton (see ``baton_server``).
    """
    from baton.simulator.server import start_in_thread

    config = quiet_simulator_config("http://127.0.0.1:9/webhooks/whatsapp")
    handle = start_in_thread(config)
    settings.WHATSAPP_API_BASE_URL = handle.graph_base_url
    settings.WHATSAPP_HTTP_TIMEOUT = 2.0
    yield handle
    handle.stop()


@pytest.fixture
def baton_server(transactional_db, simulator):
    """Baton served over real HTTP (uvicorn + ASGI + embedded worker), wired to the simulator."""
    from tests.live import running_baton

    with running_baton() as url:
        simulator.simulator.config.webhook_url = f"{url}/webhooks/whatsapp"
        yield url


@pytest.fixture(scope="session", autouse=True)
def _drop_stray_connections(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end connections that server threads still hold.

    Live test servers run requests on a2wsgi's fixed thread pool, whose threads outlive the
    servers; PostgreSQL refuses to drop a database while any of them is connected.
    """
    yield
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
