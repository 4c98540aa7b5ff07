"""A database that goes away mid-POST never earns Meta a 200 (issue #9, item 1).

PostgreSQL: a trigger terminates the inserting backend itself (``pg_terminate_backend`` of
``pg_backend_pid()``), a real connection loss at a known row, for a set number of inserts
(a sequence counts them: it is not rolled back with the killed transaction).
SQLite: another connection holds the write lock while Baton's busy timeout is short.
"""

from __future__ import annotations

import copy
import logging
import sqlite3
from collections.abc import Iterator

import pytest
from django.db import connection

from baton.conversations.models import Message
from baton.whatsapp.models import DeadLetter
from tests.conftest import load_sample, make_inbox, meta_bytes, post_webhook

POISON = "wamid.poison"


def three_messages() -> bytes:
    """One POST: a message before the poisoned one, the poisoned one, one after."""
    payload = load_sample("inbound_text.json")
    value = payload["entry"][0]["changes"][0]["value"]
    first = value["messages"][0]
    value["messages"] = []
    for offset, wamid in enumerate(["wamid.before", POISON, "wamid.after"]):
        message = copy.deepcopy(first)
        message.update(id=wamid, timestamp=str(int(first["timestamp"]) + offset))
        message["text"]["body"] = wamid
        value["messages"].append(message)
    return meta_bytes(payload)


@pytest.fixture
def kill_on_insert(transactional_db) -> Iterator:
    """``arm(times)``: the next ``times`` inserts of the poisoned wamid lose their connection."""

    def arm(times: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                CREATE OR REPLACE FUNCTION baton_test_kill() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                  IF NEW.wamid = '{POISON}' AND nextval('baton_test_kills') <= {int(times)} THEN
                    PERFORM pg_terminate_backend(pg_backend_pid());
                    PERFORM pg_sleep(10);
                  END IF;
                  RETURN NEW;
                END $$
                """
            )

    with connection.cursor() as cursor:
        cursor.execute("CREATE SEQUENCE IF NOT EXISTS baton_test_kills")
    arm(0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER baton_test_kill BEFORE INSERT ON conversations_message"
            " FOR EACH ROW EXECUTE FUNCTION baton_test_kill()"
        )
    yield arm
    connection.close()  # the last one may have been killed
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS baton_test_kill ON conversations_message")
        cursor.execute("DROP FUNCTION IF EXISTS baton_test_kill()")
        cursor.execute("DROP SEQUENCE IF EXISTS baton_test_kills")


@pytest.mark.postgres
def test_terminated_connections_are_retried_and_every_message_stored(client, kill_on_insert):
    make_inbox()
    kill_on_insert(2)
    response = post_webhook(client, three_messages())
    assert response.status_code == 200
    assert response.json()["stored"] == 3
    assert sorted(Message.objects.values_list("wamid", flat=True)) == sorted(
        ["wamid.before", POISON, "wamid.after"]
    )
    assert not DeadLetter.objects.exists()


@pytest.mark.postgres
def test_a_database_that_stays_away_answers_503_and_redelivery_completes(client, kill_on_insert):
    make_inbox()
    kill_on_insert(1000)
    body = three_messages()
    response = post_webhook(client, body)
    assert response.status_code == 503
    assert "redeliver" in response.json()["error"]
    assert response.json()["stored"] == 1
    # What was committed before the outage stays; nothing was dead-lettered for it.
    assert list(Message.objects.values_list("wamid", flat=True)) == ["wamid.before"]
    assert not DeadLetter.objects.exists()

    kill_on_insert(0)  # the database is back; Meta redelivers the same body
    again = post_webhook(client, body)
    assert again.status_code == 200
    assert (again.json()["stored"], again.json()["duplicates"]) == (2, 1)
    assert Message.objects.count() == 3
    assert not DeadLetter.objects.exists()


class WriteLock:
    """SQLite's write lock, held by a connection of its own (not Baton's in-process queue)."""

    def __init__(self, path: str) -> None:
        self.holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def take(self) -> None:
        self.holder.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.holder.execute("ROLLBACK")


@pytest.fixture
def sqlite_write_lock(transactional_db) -> Iterator[WriteLock]:
    """A second writer, and Baton waiting only 50 ms for it (30 s in production)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock")
    options = connection.settings_dict["OPTIONS"]
    saved_timeout = options["timeout"]
    options["timeout"] = 0.05
    connection.close()
    lock = WriteLock(connection.settings_dict["NAME"])
    try:
        yield lock
    finally:
        lock.holder.close()
        options["timeout"] = saved_timeout
        connection.close()


class ReleaseOnFirstLockError(logging.Handler):
    """Releases the lock the moment Baton first reports "database is locked" in its log:
    the outage ends while the POST is being handled, whatever the machine's speed."""

    def __init__(self, lock: WriteLock) -> None:
        super().__init__(level=logging.WARNING)
        self.write_lock = lock
        self.released = False

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + str(record.exc_info[1] if record.exc_info else "")
        if not self.released and "database is locked" in text:
            self.released = True
            self.write_lock.release()


def test_sqlite_busy_database_is_retried_until_the_lock_is_released(client, sqlite_write_lock):
    make_inbox()
    sqlite_write_lock.take()
    handler = ReleaseOnFirstLockError(sqlite_write_lock)
    baton_logger = logging.getLogger("baton")
    baton_logger.addHandler(handler)
    try:
        response = post_webhook(client, three_messages())
    finally:
        baton_logger.removeHandler(handler)
    assert handler.released
    assert response.status_code == 200
    assert response.json()["stored"] == 3
    assert not DeadLetter.objects.exists()


def test_sqlite_lock_held_throughout_answers_503_then_redelivery_stores(client, sqlite_write_lock):
    make_inbox()
    sqlite_write_lock.take()
    body = three_messages()
    response = post_webhook(client, body)
    assert response.status_code == 503
    assert response.json()["stored"] == 0
    sqlite_write_lock.release()
    again = post_webhook(client, body)
    assert again.status_code == 200
    assert again.json()["stored"] == 3
    assert not DeadLetter.objects.exists()
