"""``baton demo``: migrate, seed a demo team, start the simulator and serve, in one process."""

from __future__ import annotations

import socket

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from baton.assist.actions import do_retrain_model
from baton.assist.classifier import read_model
from baton.core.ports import first_free_port, port_is_free
from baton.demo.seed import DEMO_NUMBERS, seed_demo

DEFAULT_SIMULATOR_PORT = 8081
# The simulator listens on loopback only: Baton in this process is its one client.
SIMULATOR_HOST = "127.0.0.1"


class Command(BaseCommand):
    help = "Run Baton with a seeded demo team and simulated WhatsApp customers."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--simulator-port",
            type=int,
            default=None,
            help=f"The simulator's port (default {DEFAULT_SIMULATOR_PORT}, or a free one if busy).",
        )
        parser.add_argument("--customers", type=int, default=8, help="Simulated customers.")
        parser.add_argument(
            "--rate", type=float, default=6.0, help="New simulated conversations per minute."
        )

    def handle(self, *args, **options):
        # local import: the simulator is loaded only when the demo actually starts
        from baton.simulator.config import SimNumber, SimulatorConfig
        from baton.simulator.server import start_in_thread
        from baton.simulator.state import STATE_FILE_NAME

        # Before anything is printed: a newcomer must not be shown a URL that another
        # program answers, then a crash.
        check_port_free(options["host"], options["port"])
        simulator_port = choose_simulator_port(options["simulator_port"], options["port"])
        if options["simulator_port"] is None and simulator_port != DEFAULT_SIMULATOR_PORT:
            self.stdout.write(
                f"==> Port {DEFAULT_SIMULATOR_PORT} is in use; the simulator takes {simulator_port}"
            )
        self.stdout.write("==> Migrating the database")
        call_command("migrate", verbosity=0)
        self.stdout.write("==> Seeding the demo team and numbers")
        logins = seed_demo()
        if read_model() is None:
            self.stdout.write("==> Training the local intent model (once, offline)")
            do_retrain_model()
        # The demo runs without a Meta app: pick local secrets unless the env set them.
        settings.WHATSAPP_APP_SECRET = settings.WHATSAPP_APP_SECRET or "demo-app-secret"
        settings.WHATSAPP_VERIFY_TOKEN = settings.WHATSAPP_VERIFY_TOKEN or "demo-verify-token"
        config = SimulatorConfig(
            webhook_url=f"http://{loopback_for(options['host'])}:{options['port']}/webhooks/whatsapp",
            app_secret=settings.WHATSAPP_APP_SECRET,
            numbers=[
                SimNumber(
                    phone_number_id=n.phone_number_id,
                    display_phone_number=n.display_phone_number,
                    waba_id="900000000000001",
                    access_token=n.access_token,
                )
                for n in DEMO_NUMBERS
            ],
            host=SIMULATOR_HOST,
            port=simulator_port,
            customers=options["customers"],
            # A restarted demo's customers are new people, not #1 again in an old chat.
            state_file=settings.DATA_DIR / STATE_FILE_NAME,
            rate_per_minute=options["rate"],
        )
        self.stdout.write("==> Starting the WhatsApp simulator")
        simulator = start_in_thread(config)
        settings.WHATSAPP_API_BASE_URL = simulator.graph_base_url
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Baton demo: open {url}"))
        self.stdout.write(f"Simulated Graph API: {simulator.graph_base_url}")
        self.stdout.write("Logins (username / password):")
        for username, password, role in logins:
            self.stdout.write(f"  {username:<8} {password}   ({role})")
        self.stdout.write("Simulated customers start writing in a few seconds. Ctrl+C to stop.")
        self.stdout.write("")
        try:
            call_command("serve", host=options["host"], port=options["port"])
        finally:
            simulator.stop()


def check_port_free(host: str, port: int) -> None:
    """Refuse, in words and without a traceback, a port another program listens on."""
    try:
        free = port_is_free(host, port)
    except socket.gaierror as exc:
        raise CommandError(f"Cannot listen on host {host!r}: {exc.strerror}.") from None
    if free:
        return
    suggestion = first_free_port(host, max(8010, port + 1))
    other = str(suggestion) if suggestion else "<a free port>"
    raise CommandError(
        f"Port {port} is already in use (another Baton or another program). "
        f"Run: make demo PORT={other}  (or: baton demo --port {other})"
    )


def choose_simulator_port(requested: int | None, baton_port: int) -> int:
    """The port asked for, which must be free; else the default, or the next free one.

    Nobody types the simulator's address (this process wires Baton to it and prints it),
    so only an explicit choice is worth an error.
    """
    if requested is not None:
        if requested == baton_port or not port_is_free(SIMULATOR_HOST, requested):
            suggestion = first_free_port(SIMULATOR_HOST, requested + 1)
            raise CommandError(
                f"Port {requested} for the simulator is already in use (another Baton demo or "
                f"another program). Run: make demo SIM_PORT={suggestion or '<a free port>'}"
            )
        return requested
    for candidate in range(DEFAULT_SIMULATOR_PORT, DEFAULT_SIMULATOR_PORT + 50):
        if candidate != baton_port and port_is_free(SIMULATOR_HOST, candidate):
            return candidate
    raise CommandError("No free port for the simulator near 8081. Run: make demo SIM_PORT=<port>")


def loopback_for(host: str) -> str:
    """Where this process reaches its own server: a wildcard address is reached on loopback."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104 -- compared, not bound
