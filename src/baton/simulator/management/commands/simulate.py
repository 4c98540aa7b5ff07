"""``baton simulate``: the fake Graph API and simulated customers, in the foreground."""

from __future__ import annotations

import shlex
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from baton.core.ports import first_free_port, port_is_free
from baton.simulator.config import SimulatorConfig, baton_environment, from_env
from baton.simulator.server import start_in_thread
from baton.simulator.state import STATE_FILE_NAME


class Command(BaseCommand):
    help = "Run the WhatsApp simulator: a fake Graph API plus simulated customers."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=None)
        parser.add_argument("--port", type=int, default=None)
        parser.add_argument("--webhook-url", default=None, help="Baton's /webhooks/whatsapp URL.")
        parser.add_argument("--customers", type=int, default=8, help="Customers active at once.")
        parser.add_argument("--rate", type=float, default=6.0, help="New customers per minute.")
        parser.add_argument("--no-customers", action="store_true", help="Only the fake Graph API.")
        parser.add_argument("--duplicate-probability", type=float, default=None)
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, **options):
        config = from_env()
        if options["host"]:
            config.host = options["host"]
        if options["port"] is not None:
            config.port = options["port"]
        if options["webhook_url"]:
            config.webhook_url = options["webhook_url"]
        config.customers = 0 if options["no_customers"] else options["customers"]
        config.rate_per_minute = options["rate"]
        if options["duplicate_probability"] is not None:
            config.duplicate_probability = options["duplicate_probability"]
        config.seed = options["seed"]
        config.state_file = settings.DATA_DIR / STATE_FILE_NAME
        if config.port and not port_is_free(config.host, config.port):
            other = first_free_port(config.host, config.port + 1) or "<a free port>"
            raise CommandError(
                f"Port {config.port} is already in use (another simulator or another "
                f"program). Run: baton simulate --port {other}"
            )
        handle = start_in_thread(config)
        self.stdout.write(self.style.SUCCESS(f"Simulated Graph API on {handle.graph_base_url}"))
        customers = (
            f"{config.customers} customers at a time, {config.rate_per_minute:g} new per "
            f"minute, numbered from {handle.simulator.customer_seq + 1}"
            if config.customers
            else "no simulated customers (send messages through /_sim/customers/…)"
        )
        self.stdout.write(f"Webhooks go to {config.webhook_url}; {customers}.")
        self.stdout.write(baton_instructions(config, handle.graph_base_url))
        self.stdout.write("Ctrl+C to stop.")
        stop = threading.Event()
        try:
            while not stop.wait(10):
                stats = handle.simulator.world.counters
                self.stdout.write(
                    f"[{time.strftime('%H:%M:%S')}] "
                    f"customers active {handle.simulator.active_customers}, "
                    f"customer messages {stats.get('customer_messages', 0)}, "
                    f"replies accepted {stats.get('accepted', 0)}, "
                    f"webhooks delivered {stats.get('webhooks_delivered', 0)}, "
                    f"retries {stats.get('webhook_retries', 0)}"
                )
        except KeyboardInterrupt:
            pass
        finally:
            handle.stop()


def baton_instructions(config: SimulatorConfig, graph_base_url: str) -> str:
    """Ready-to-paste lines for the terminal that runs Baton: without the signing secret
    Baton refuses every webhook ("bad signature"), without the rest it cannot reply."""
    exports = [
        f"export {name}={shlex.quote(value)}"
        for name, value in baton_environment(config, graph_base_url).items()
    ]
    return "\n".join(
        [
            "",
            "Start Baton in another terminal with these variables, or it refuses every "
            "webhook (bad signature) and cannot reply:",
            "",
            *exports,
            "baton migrate && baton serve",
            "",
        ]
    )
