"""``baton worker``: a task worker on its own, for scale-out next to ``baton serve --no-worker``."""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand

from baton.core.worker import Ticker, make_worker, periodic_jobs


class Command(BaseCommand):
    help = "Run a background task worker (sends, retries, media downloads, timers)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=0.2, help="Seconds between polls when idle."
        )

    def handle(self, *args, **options):
        worker = make_worker(options["interval"])
        ticker = Ticker(periodic_jobs())

        def stop(signum, frame):
            worker.running = False
            ticker.stop()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"Baton worker {worker.worker_id} started; Ctrl+C to stop.")
        ticker.start()
        worker.run()
        self.stdout.write("Worker stopped.")
