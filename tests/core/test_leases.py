"""The reaper: tasks of dead workers go back to the queue, or fail past the retry cap."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from baton.conversations.models import MediaState, Message
from baton.core.actions import do_reap_abandoned_tasks, do_record_worker_heartbeat
from baton.core.models import WorkerHeartbeat
from baton.whatsapp.tasks import download_media
from tests.conftest import load_sample, meta_bytes, post_webhook
from tests.core import worker_tasks


def _claimed(result, worker_ids: list[str], seconds_ago: float) -> DBTaskResult:
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING,
        worker_ids=worker_ids,
        started_at=timezone.now() - timedelta(seconds=seconds_ago),
    )
    return DBTaskResult.objects.get(pk=result.id)


def _beat(worker_id: str, seconds_ago: float) -> None:
    when = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(worker_id=worker_id, started_at=when, last_seen=when)


def test_task_of_a_live_worker_is_left_alone(db, settings):
    settings.BATON_WORKER_LEASE_SECONDS = 30
    do_record_worker_heartbeat("alive", timezone.now())
    task = _claimed(worker_tasks.echo.enqueue("x"), ["alive"], seconds_ago=600)
    assert do_reap_abandoned_tasks().requeued == 0
    assert DBTaskResult.objects.get(pk=task.pk).status == TaskResultStatus.RUNNING


def test_task_of_a_silent_worker_is_requeued(db, settings):
    settings.BATON_WORKER_LEASE_SECONDS = 30
    _beat("dead", seconds_ago=31)
    task = _claimed(worker_tasks.echo.enqueue("x"), ["dead"], seconds_ago=60)
    reaped = do_reap_abandoned_tasks()
    assert (reaped.requeued, reaped.failed) == (1, 0)
    row = DBTaskResult.objects.get(pk=task.pk)
    assert row.status == TaskResultStatus.READY
    assert row.worker_ids == ["dead"]  # the claim history counts the attempts
    assert DBTaskResult.objects.ready().filter(pk=task.pk).exists()


def test_recent_claim_of_a_worker_without_heartbeat_keeps_its_lease(db, settings):
    settings.BATON_WORKER_LEASE_SECONDS = 30
    recent = _claimed(worker_tasks.echo.enqueue("x"), ["db_worker-1"], seconds_ago=5)
    old = _claimed(worker_tasks.echo.enqueue("y"), ["db_worker-2"], seconds_ago=60)
    assert do_reap_abandoned_tasks().requeued == 1
    assert DBTaskResult.objects.get(pk=recent.pk).status == TaskResultStatus.RUNNING
    assert DBTaskResult.objects.get(pk=old.pk).status == TaskResultStatus.READY


def test_restarting_loop_takes_back_its_own_interrupted_task(db, settings):
    settings.BATON_WORKER_LEASE_SECONDS = 30
    do_record_worker_heartbeat("me", timezone.now())
    task = _claimed(worker_tasks.echo.enqueue("x"), ["me"], seconds_ago=1)
    assert do_reap_abandoned_tasks().requeued == 0
    assert do_reap_abandoned_tasks(own_worker_id="me").requeued == 1
    assert DBTaskResult.objects.get(pk=task.pk).status == TaskResultStatus.READY


def test_download_that_kills_its_worker_every_time_fails_visibly(client, inbox, settings):
    settings.BATON_WORKER_LEASE_SECONDS = 30
    settings.BATON_TASK_MAX_ATTEMPTS = 3
    post_webhook(client, meta_bytes(load_sample("inbound_image.json")))
    message = Message.objects.get(type="image")
    assert message.media_state == MediaState.PENDING
    download = DBTaskResult.objects.get(task_path=download_media.module_path)
    _claimed(download, ["w1", "w2", "w3"], seconds_ago=60)

    reaped = do_reap_abandoned_tasks()

    assert (reaped.requeued, reaped.failed) == (0, 1)
    row = DBTaskResult.objects.get(pk=download.pk)
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == "baton.core.actions.WorkerLost"
    assert "stopped 3 times" in row.traceback
    message.refresh_from_db()
    assert message.media_state == MediaState.FAILED  # not "Downloading…" for ever
    assert "stopped the task worker" in message.content["media_error"]
