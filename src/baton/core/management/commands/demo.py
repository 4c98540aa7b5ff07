"""``baton demo``: migrate, seed a demo team, start the simulator and serve, in one process."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from baton.core.demo import DEMO_NUMBERS, seed_demo


class Command(BaseCommand):
    help = "Run Baton with a seeded demo team and simulated WhatsApp customers."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--simulator-port", type=int, default=8081)
        parser.add_argument("--customers", type=int, default=8, help="Simulated customers.")
        parser.add_argument(
            "--rate", type=float, default=6.0, help="New simulated conversations per minute."
        )

    def handle(self, *args, **options):
        from baton.simulator.config import SimNumber, SimulatorConfig
        from baton.simulator.server import start_in_thread

        self.stdout.write("==> Migrating the database")
        call_command("migrate", verbosity=0)
        self.stdout.write("==> Seeding the demo team and numbers")
        logins = seed_demo()
        # The demo runs without a Meta app: pick local secrets unless the env set them.
        settings.WHATSAPP_APP_SECRET = settings.WHATSAPP_APP_SECRET or "demo-app-secret"
        settings.WHATSAPP_VERIFY_TOKEN = settings.WHATSAPP_VERIFY_TOKEN or "demo-verify-token"
        config = SimulatorConfig(
            webhook_url=f"http://127.0.0.1:{options['port']}/webhooks/whatsapp",
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
            host="127.0.0.1",
            port=options["simulator_port"],
            customers=options["customers"],
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
