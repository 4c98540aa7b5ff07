from django.core.management.base import BaseCommand, CommandError

from baton.agents.actions import do_create_api_token
from baton.agents.models import User


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (use as 'Authorization: Token <key>')."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        self.stdout.write(do_create_api_token(user))
