import re

from django.core.management.base import BaseCommand, CommandError

from baton.agents.actions import do_create_user
from baton.agents.models import Role
from baton.core.errors import DomainError


def name_from_username(username: str) -> str:
    """ "maria.lopez" → "Maria Lopez": what colleagues see until someone sets a real name."""
    words = [w for w in re.split(r"[._\-\s]+", username) if w]
    return " ".join(w[:1].upper() + w[1:] for w in words) or username


class Command(BaseCommand):
    help = "Create a Baton user: baton createuser USERNAME --role agent|manager|admin [--team NAME]"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--role", choices=[Role.AGENT, Role.MANAGER, Role.ADMIN, Role.BOT], default=Role.AGENT
        )
        parser.add_argument("--team", help="Team to join (created if it does not exist).")
        parser.add_argument("--password", help="Password; without it the user cannot log in yet.")
        parser.add_argument(
            "--name",
            default="",
            help="Display name (default: from the username, maria.lopez → Maria Lopez).",
        )

    def handle(self, *args, **options):
        try:
            user = do_create_user(
                options["username"],
                options["role"],
                team_name=options["team"],
                password=options["password"],
                display_name=options["name"] or name_from_username(options["username"]),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        teams = ", ".join(user.memberships.values_list("team__name", flat=True)) or "no team"
        self.stdout.write(
            self.style.SUCCESS(f"Created {user.role} {user.username}, “{user.name}” ({teams}).")
        )
