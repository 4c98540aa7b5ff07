"""The demo team and numbers that ``baton demo`` seeds (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from baton.agents.actions import do_create_user
from baton.agents.models import Team, User
from baton.core.demo_inbox import seed_inbox_catalogue
from baton.whatsapp.actions import do_ensure_inbox

DEMO_PASSWORD = "demo"  # noqa: S105 -- printed on screen for the local demo


@dataclass(frozen=True)
class DemoNumber:
    phone_number_id: str
    display_phone_number: str
    name: str
    access_token: str


DEMO_NUMBERS = [
    DemoNumber("100000000000001", "15550100001", "Demo Shop", "demo-token-shop"),
    DemoNumber("100000000000002", "15550100002", "Demo Support", "demo-token-support"),
]

# (username, role, team, display name)
DEMO_USERS = [
    ("maria", "manager", None, "Maria (manager)"),
    ("alice", "agent", "Support", "Alice"),
    ("bob", "agent", "Support", "Bob"),
    ("carlos", "agent", "Sales", "Carlos"),
    ("admin", "admin", None, "Admin"),
]


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo users, teams and inboxes. Returns (username, password, role) rows."""
    with transaction.atomic():
        Team.objects.get_or_create(name="Sales")
        for number in DEMO_NUMBERS:
            do_ensure_inbox(
                number.phone_number_id,
                number.access_token,
                name=number.name,
                display_phone_number=number.display_phone_number,
            )
        for username, role, team, display in DEMO_USERS:
            if not User.objects.filter(username=username).exists():
                do_create_user(
                    username, role, team_name=team, password=DEMO_PASSWORD, display_name=display
                )
        seed_inbox_catalogue()
    return [(username, DEMO_PASSWORD, role) for username, role, _, _ in DEMO_USERS]
