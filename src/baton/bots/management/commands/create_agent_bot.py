"""``baton create_agent_bot NAME URL``: an external bot user, its signing secret and API
token (docs/agent-bot.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from baton.bots.actions import do_create_agent_bot
from baton.core.errors import InvalidInput
from baton.whatsapp.models import Inbox


class Command(BaseCommand):
    help = "Create an external agent bot: Baton POSTs it signed events of its conversations."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("webhook_url")
        parser.add_argument(
            "--greet", action="store_true", help="Greet new conversations no flow greets."
        )
        parser.add_argument("--inbox", help="Only this number's (phone_number_id) conversations.")

    def handle(self, *args, username, webhook_url, greet, inbox, **options):
        chosen = None
        if inbox:
            chosen = Inbox.objects.filter(phone_number_id=inbox).first()
            if chosen is None:
                raise CommandError(f"No inbox with phone_number_id {inbox}.")
        try:
            _, secret, token = do_create_agent_bot(
                username, webhook_url, None, greets_new_conversations=greet, inbox=chosen
            )
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"secret (X-Baton-Signature-256 key): {secret}")
        self.stdout.write(f"API token (Authorization: Token …): {token}")
        self.stdout.write("Both are shown once.")
