"""``baton worker``: a task worker on its own, for scale-out next to ``baton serve --no-worker``."""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand

from baton.core.worker import make_ticker, make_worker


class Command(BaseCommand):
    help = "Run a background task worker (sends, retries, media downloads, timers)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=0.2, help="Seconds between polls when idle."
        )

    def handle(self, *args, **options):
        worker = make_worker(options["interval"])
        ticker = make_ticker(worker)

        def stop(signum, frame):
            worker.stop()
            ticker.stop()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"Baton worker {worker.worker_id} started; Ctrl+C to stop.")
        self.stdout.flush()
        ticker.start()
        # Supervised: errors are logged and the loop restarts with back-off; it returns
        # only when stopped.
        worker.run()
        ticker.stop()
        self.stdout.write("Worker stopped.")
