"""``kill -9`` of a real ``baton worker`` in the middle of a task.

The task is a media download from a deliberately slow fake Graph API on 127.0.0.1: the first
download of the file stalls half-way, the worker is killed there, and a second worker must
find the task (its lease ran out), run it again and store the media exactly once.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from baton.conversations.models import MediaState, Message
from baton.whatsapp.tasks import download_media
from tests.conftest import load_sample, make_inbox, meta_bytes, post_webhook
from tests.core import worker_tasks
from tests.core.subprocesses import baton_env, start_baton, stop
from tests.live import wait_for

IMAGE = bytes(range(256)) * 400  # 100 kB


class SlowGraph(ThreadingHTTPServer):
    """Media metadata answers at once; the file's first download stalls after half."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _GraphHandler)
        self.downloads = 0
        self.first_download_stalled = threading.Event()
        self.release = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _GraphHandler(BaseHTTPRequestHandler):
    server: SlowGraph

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/files/"):
            self.server.downloads += 1
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(IMAGE)))
            self.end_headers()
            if self.server.downloads == 1:
                self.wfile.write(IMAGE[: len(IMAGE) // 2])
                self.wfile.flush()
                self.server.first_download_stalled.set()
                self.server.release.wait(30)
                return
            self.wfile.write(IMAGE)
            return
        media_id = self.path.split("?")[0].strip("/")
        self._json(
            {
                "messaging_product": "whatsapp",
                "id": media_id,
                "url": f"{self.server.base_url}/files/{media_id}",
                "mime_type": "image/jpeg",
                "sha256": hashlib.sha256(IMAGE).hexdigest(),
                "file_size": len(IMAGE),
            }
        )

    def do_POST(self):  # mark-as-read and friends
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._json({"success": True})

    def _json(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def slow_graph(settings) -> Iterator[SlowGraph]:
    server = SlowGraph()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WHATSAPP_API_BASE_URL = server.base_url
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def start_worker(tmp_path, settings):
    """Start real ``baton worker`` processes on the test database (short lease)."""
    processes: list[subprocess.Popen] = []
    env = baton_env(
        tmp_path,
        WHATSAPP_API_BASE_URL=settings.WHATSAPP_API_BASE_URL,
        WHATSAPP_HTTP_TIMEOUT="20",
        BATON_WORKER_HEARTBEAT_SECONDS="0.5",
        BATON_WORKER_LEASE_SECONDS="2",
    )

    def start() -> subprocess.Popen:
        process = start_baton(["worker", "--interval", "0.05"], env, tmp_path / "worker.log")
        processes.append(process)
        return process

    yield start
    for process in processes:
        stop(process)


@contextmanager
def _stopped(process: subprocess.Popen) -> Iterator[None]:
    yield
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0


def _task(pk) -> DBTaskResult:
    return DBTaskResult.objects.get(pk=pk)


def test_download_of_a_killed_worker_is_requeued_and_completed_once(
    transactional_db, client, slow_graph, start_worker, tmp_path
):
    make_inbox()
    post_webhook(client, meta_bytes(load_sample("inbound_image.json")))
    message = Message.objects.get(type="image")
    download = DBTaskResult.objects.get(task_path=download_media.module_path)

    first = start_worker()
    assert slow_graph.first_download_stalled.wait(60), "the download never started"
    running = _task(download.pk)
    assert running.status == TaskResultStatus.RUNNING
    first.kill()  # SIGKILL, in the middle of the download
    assert first.wait(timeout=10) == -signal.SIGKILL
    assert _task(download.pk).status == TaskResultStatus.RUNNING  # nobody else moves it

    second = start_worker()
    with _stopped(second):
        wait_for(
            lambda: _task(download.pk).status == TaskResultStatus.SUCCESSFUL,
            timeout=60,
            message="the download was never re-run",
        )
    row = _task(download.pk)
    assert len(row.worker_ids) == 2
    assert row.worker_ids[0] == running.worker_ids[0] != row.worker_ids[1]
    message.refresh_from_db()
    assert message.media_state == MediaState.READY
    assert slow_graph.downloads == 2
    # Exactly once in effect: one complete file, the stalled half left nothing behind.
    stored = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert len(stored) == 1
    assert stored[0].read_bytes() == IMAGE
    assert message.media_file.name == str(stored[0].relative_to(tmp_path / "media"))


def test_task_that_kills_every_worker_is_failed_after_the_cap(transactional_db, start_worker):
    doomed = worker_tasks.kill_own_worker.enqueue()
    deaths = 0
    while deaths < settings.BATON_TASK_MAX_ATTEMPTS:
        process = start_worker()
        assert process.wait(timeout=60) == -signal.SIGKILL
        deaths += 1
    survivor = start_worker()
    with _stopped(survivor):
        wait_for(
            lambda: _task(doomed.id).status == TaskResultStatus.FAILED,
            timeout=30,
            message="the task was not given up",
        )
        assert survivor.poll() is None  # the next worker lives on
    row = _task(doomed.id)
    assert len(row.worker_ids) == settings.BATON_TASK_MAX_ATTEMPTS
    assert row.exception_class_path == "baton.core.actions.WorkerLost"
