"""``baton simulate``: the fake Graph API and simulated customers, in the foreground."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from baton.simulator.config import SimNumber, from_env
from baton.simulator.server import run


class Command(BaseCommand):
    """Run the WhatsApp simulator until Ctrl+C, printing what the customers do."""

    help = (
        "Run the WhatsApp Cloud API simulator: a fake Graph API for Baton to call and "
        "simulated customers who write to Baton through signed webhooks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=None, help="Bind address (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=None, help="Port (default 8081; 0=any).")
        parser.add_argument("--webhook-url", default=None, help="Baton's /webhooks/whatsapp URL.")
        parser.add_argument("--customers", type=int, default=8, help="Simulated customers.")
        parser.add_argument("--rate", type=float, default=6.0, help="New conversations per minute.")
        parser.add_argument("--no-customers", action="store_true", help="Only the fake Graph API.")
        parser.add_argument("--duplicate-probability", type=float, default=None)
        parser.add_argument("--seed", type=int, default=None, help="Make runs repeatable.")

    def handle(self, *args: Any, **options: Any) -> None:
        config = from_env()
        # Baton's own settings win over the simulator's defaults, so both sides agree on
        # the secret that signs webhooks and the token that authorises sends.
        config.app_secret = settings.WHATSAPP_APP_SECRET or config.app_secret
        config.verify_token = settings.WHATSAPP_VERIFY_TOKEN or config.verify_token
        number = config.numbers[0]
        config.numbers = [
            SimNumber(
                phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID or number.phone_number_id,
                display_phone_number=number.display_phone_number,
                waba_id=number.waba_id,
                access_token=settings.WHATSAPP_ACCESS_TOKEN or number.access_token,
            )
        ]
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
        if options["seed"] is not None:
            config.seed = options["seed"]
        self.stdout.write(
            f"Number {config.numbers[0].phone_number_id} (token from WHATSAPP_ACCESS_TOKEN), "
            f"{config.customers} customers, {config.rate_per_minute:g} new conversations/min. "
            "Ctrl+C to stop."
        )
        run(config, progress=self.stdout.write)
