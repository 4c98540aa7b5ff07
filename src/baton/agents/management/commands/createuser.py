from django.core.management.base import BaseCommand, CommandError

from baton.agents.actions import do_create_user
from baton.agents.models import Role
from baton.core.errors import DomainError


class Command(BaseCommand):
    help = "Create a Baton user: baton createuser USERNAME --role agent|manager|admin [--team NAME]"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--role", choices=[Role.AGENT, Role.MANAGER, Role.ADMIN, Role.BOT], default=Role.AGENT
        )
        parser.add_argument("--team", help="Team to join (created if it does not exist).")
        parser.add_argument("--password", help="Password; without it the user cannot log in yet.")
        parser.add_argument("--name", default="", help="Display name.")

    def handle(self, *args, **options):
        try:
            user = do_create_user(
                options["username"],
                options["role"],
                team_name=options["team"],
                password=options["password"],
                display_name=options["name"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        teams = ", ".join(user.memberships.values_list("team__name", flat=True)) or "no team"
        self.stdout.write(self.style.SUCCESS(f"Created {user.role} {user.username} ({teams})."))
