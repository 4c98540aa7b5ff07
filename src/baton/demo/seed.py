"""The demo team and numbers that ``baton demo`` seeds (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from baton.agents.actions import do_create_user, do_set_presence
from baton.agents.models import Shift, Team, User
from baton.bots.actions import do_create_flow, do_set_on_resolve_flow
from baton.bots.models import Flow
from baton.demo.inbox import seed_inbox_catalogue
from baton.routing.availability import ShiftWindow, is_on_shift
from baton.routing.models import RoutingRule
from baton.routing.rule_actions import do_save_routing_rule
from baton.sla.actions import do_create_policy
from baton.sla.models import SlaPolicy
from baton.whatsapp.actions import do_ensure_inbox
from baton.whatsapp.models import Inbox

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

# Routing, configured once: (team, strategy, capacity per agent, end of shift).
DEMO_TEAMS = [
    ("Support", "least_loaded", 3, "hand_off"),
    ("Sales", "round_robin", 4, "return_to_queue"),
]
# Which team each number's new conversations go to.
DEMO_INBOX_TEAMS = {"Demo Shop": "Sales", "Demo Support": "Support"}
# Agents who are available with a shift running now (hours before and after start-up).
DEMO_SHIFTS = {"alice": (1, 8), "bob": (1, 8), "carlos": (1, 8)}

# What makes a message a billing problem: the routing rule's words, and the bot's.
BILLING_WORDS = ["charged twice", "refund", "payment"]
# Routing rules for every number, first match wins (see docs/routing-rules.md).
DEMO_RULES = [
    (
        "Billing problems",
        {
            "field": "message.text",
            "op": "contains_any",
            "value": BILLING_WORDS,
        },
        {"team": "Support", "priority": "urgent", "labels": ["billing"]},
    ),
    (
        # Assist's intent (a local model, see docs/assist.md): refunds in any language,
        # worded as no keyword list foresees.
        "Refunds by intent",
        {"field": "conversation.intent", "op": "equals", "value": "refund_return"},
        {"team": "Support", "labels": ["refund"]},
    ),
    (
        "Stock and shipping questions",
        {"field": "message.text", "op": "contains_any", "value": ["in stock", "ship", "shipping"]},
        {"team": "Sales", "labels": ["presales"], "strategy": "round_robin"},
    ),
]

# SLA, configured once: urgent conversations get a 2-minute first response, the rest 10, so
# a visitor sees badges count down, a warning and an escalation within minutes.
DEMO_SLA_POLICIES = [
    {
        "name": "Urgent",
        "position": 0,
        "conditions": {"field": "conversation.priority", "op": "equals", "value": "urgent"},
        "first_response_seconds": 120,
        "next_response_seconds": 300,
        "resolution_seconds": 4 * 3600,
        "warn_before_seconds": 60,
        "on_warning": [{"action": "notify_owner"}, {"action": "notify_managers"}],
        "on_breach": [{"action": "notify_managers"}, {"action": "reassign"}],
    },
    {
        "name": "Standard",
        "position": 1,
        "first_response_seconds": 600,
        "next_response_seconds": 900,
        "resolution_seconds": 24 * 3600,
        "warn_before_seconds": 180,
        "on_warning": [{"action": "notify_owner"}],
        "on_breach": [
            {"action": "set_priority", "priority": "high"},
            {"action": "add_label", "label": "sla-breached"},
            {"action": "notify_managers"},
        ],
    },
]

# Bots, configured once. The front desk greets every new conversation: the routing rules
# have already run (a billing problem is Support's and urgent), the bot holds the
# conversation (no SLA clock runs) and its handoff starts the clock of the policy that
# matches — Urgent for billing, Standard for the rest. After hours it says when the shop
# opens and hands off anyway (the team's queue keeps it). Without business hours
# configured (/routing/), the shop is always open.
FRONT_DESK_FLOW = {
    "name": "Front desk",
    "description": "Greets new conversations: order tracking to Support, sales to Sales.",
    "start_on": "new_conversation",
    "start": "hours",
    "steps": [
        {
            "id": "hours",
            "type": "branch",
            "branches": [
                {"when": {"field": "time.within_business_hours", "op": "is_true"}, "next": "triage"}
            ],
            "default": "after_hours",
        },
        {
            "id": "triage",
            "type": "branch",
            "branches": [
                {
                    "when": {"field": "message.text", "op": "contains_any", "value": BILLING_WORDS},
                    "next": "to_billing",
                }
            ],
            "default": "menu",
        },
        {
            "id": "menu",
            "type": "message",
            "text": "Hi! 👋 I am the shop's assistant. What can we do for you?",
            "buttons": [
                {"id": "track", "title": "Track my order", "next": "order_no"},
                {"id": "sales", "title": "Talk to sales", "next": "to_sales"},
            ],
            "retry_text": "Please tap one of the buttons.",
            "timeout_seconds": 300,
            "on_timeout": "to_team",
        },
        {
            "id": "order_no",
            "type": "ask",
            "text": "What is your order number?",
            "save_as": "order_number",
            "validate": "^[0-9]{4,10}$",
            "retry_text": "Only digits, please: what is your order number?",
            "next": "to_support",
            "timeout_seconds": 300,
            "on_timeout": "to_team",
        },
        {
            "id": "to_support",
            "type": "handoff",
            "team": "Support",
            "note": "Order {{order_number}}",
            "text": "Thanks! A colleague from Support takes over for order {{order_number}}.",
        },
        {
            "id": "to_sales",
            "type": "handoff",
            "team": "Sales",
            "text": "A colleague from Sales will be with you in a moment.",
        },
        {
            "id": "to_billing",
            "type": "handoff",
            "team": "Support",
            "note": "Billing problem",
            "text": "Sorry about that! A colleague from Support looks into it right away.",
        },
        {
            "id": "after_hours",
            "type": "message",
            "text": "Thanks for writing! We are closed now: we open Monday to Friday at 9:00, "
            "and a colleague answers you then.",
            "next": "to_team",
        },
        {"id": "to_team", "type": "handoff", "note": "From the front desk"},
    ],
}
# Support's on-resolve flow: the agent resolves, the bot asks for a rating and closes.
CLOSING_FLOW = {
    "name": "Closing",
    "description": "After an agent resolves: a 1-5 rating, then goodbye.",
    "start_on": "manual",
    "start": "rate",
    "steps": [
        {
            "id": "rate",
            "type": "csat",
            "text": "Thanks for talking to us! How would you rate our help?",
            "timeout_seconds": 600,
            "on_timeout": "bye",
            "next": "bye",
        },
        {"id": "bye", "type": "close", "text": "Have a nice day! 👋"},
    ],
}
DEMO_FLOWS = [FRONT_DESK_FLOW, CLOSING_FLOW]
# (team, flow its conversations go to when an agent resolves them)
DEMO_ON_RESOLVE_FLOWS = [("Support", "Closing")]

# (username, role, team, display name)
DEMO_USERS = [
    ("maria", "manager", None, "Maria (manager)"),
    ("alice", "agent", "Support", "Alice"),
    ("bob", "agent", "Support", "Bob"),
    ("carlos", "agent", "Sales", "Carlos"),
    ("admin", "admin", None, "Admin"),
]


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo users, teams and inboxes. Returns (username, password, role) rows.

    Every start runs it: what is missing is created, what exists is kept (a manager's
    changes to teams, shifts, rules and inboxes survive a restart).
    """
    with transaction.atomic():
        # The demo's numbers exist once the demo has been seeded: the routing set-up of
        # teams and inboxes is the first start's, later edits win.
        first_start = not Inbox.objects.filter(
            phone_number_id__in=[number.phone_number_id for number in DEMO_NUMBERS]
        ).exists()
        for name, strategy, capacity, end_of_shift in DEMO_TEAMS:
            routed, created = Team.objects.get_or_create(name=name)
            if created or first_start:
                Team.objects.filter(pk=routed.pk).update(
                    assignment_strategy=strategy,
                    default_capacity=capacity,
                    end_of_shift=end_of_shift,
                )
        for number in DEMO_NUMBERS:
            do_ensure_inbox(
                number.phone_number_id,
                number.access_token,
                name=number.name,
                display_phone_number=number.display_phone_number,
            )
            if first_start:
                Inbox.objects.filter(phone_number_id=number.phone_number_id).update(
                    default_team=Team.objects.get(name=DEMO_INBOX_TEAMS[number.name])
                )
        for username, role, team, display in DEMO_USERS:
            if not User.objects.filter(username=username).exists():
                do_create_user(
                    username, role, team_name=team, password=DEMO_PASSWORD, display_name=display
                )
        seed_demo_shifts(timezone.now())
        seed_demo_rules()
        seed_demo_sla_policies()
        seed_demo_flows()
        seed_inbox_catalogue()
    return [(username, DEMO_PASSWORD, role) for username, role, _, _ in DEMO_USERS]


def seed_demo_rules() -> None:
    """The demo's routing rules, once (a manager's later edits are kept)."""
    admin = User.objects.filter(username="admin").first()
    for name, conditions, actions in DEMO_RULES:
        if not RoutingRule.objects.filter(name=name).exists():
            rule = RoutingRule(name=name, inbox=None, conditions=conditions, actions=actions)
            do_save_routing_rule(rule, admin)


def seed_demo_sla_policies() -> None:
    """The demo's SLA policies, once (a manager's later edits are kept)."""
    admin = User.objects.filter(username="admin").first()
    for values in DEMO_SLA_POLICIES:
        if not SlaPolicy.objects.filter(name=values["name"]).exists():
            do_create_policy(admin, dict(values))


def seed_demo_flows() -> None:
    """The demo's bot flows and Support's on-resolve flow, once (a manager's later edits,
    a disabled flow or a cleared team setting, are kept)."""
    admin = User.objects.filter(username="admin").first()
    created = set()
    for definition in DEMO_FLOWS:
        if not Flow.objects.filter(name=definition["name"]).exists():
            do_create_flow(definition, admin)
            created.add(definition["name"])
    for team_name, flow_name in DEMO_ON_RESOLVE_FLOWS:
        team = Team.objects.filter(name=team_name).first()
        if team is not None and flow_name in created:
            do_set_on_resolve_flow(team, flow_name, admin)


def seed_demo_shifts(now: datetime) -> None:
    """Put the demo agents on shift now and make them available, so simulated traffic is
    routed from the first message.

    Idempotent and keeps what exists: shifts a manager set (or an earlier start seeded)
    stay; a shift running now is added only where none of an agent's shifts covers now.
    """
    for username, (hours_before, hours_after) in DEMO_SHIFTS.items():
        user = User.objects.get(username=username)
        for membership in user.memberships.select_related("team"):
            team = membership.team
            windows = [
                ShiftWindow(shift.weekday, shift.start, shift.end)
                for shift in Shift.objects.filter(user=user, team=team)
            ]
            # No shifts at all would mean "always on shift"; the demo seeds one anyway so
            # that the end of shift is there to see.
            if windows and is_on_shift(windows, [], [], team.time_zone, now):
                continue
            zone = ZoneInfo(team.time_zone)
            start = (now - timedelta(hours=hours_before)).astimezone(zone)
            end = (now + timedelta(hours=hours_after)).astimezone(zone)
            Shift.objects.create(
                user=user,
                team=team,
                weekday=start.weekday(),
                start=start.time().replace(second=0, microsecond=0),
                end=end.time().replace(second=0, microsecond=0),
            )
        # A server stopped without closing its sockets leaves stale connection records; all
        # of them go, the last heartbeat too: a heartbeat from the previous run left behind
        # made the first presence scan (a second after start) take a just-seeded agent
        # offline as "tabs silent".
        User.objects.filter(pk=user.pk).update(
            live_connections=0, last_active_at=None, last_seen_at=None
        )
        do_set_presence(user, "available")
