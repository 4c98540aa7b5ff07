"""Demo catalogue for the inbox: the templates the simulator knows, and canned responses."""

from __future__ import annotations

from baton.conversations.models import CannedResponse
from baton.whatsapp.models import MessageTemplate, TemplateStatus

# The simulator's DEFAULT_TEMPLATES (name, language, body parameters): the bodies must
# have exactly as many placeholders, or the simulated Graph API refuses the send (132000).
DEMO_TEMPLATES = [
    ("hello_world", "en_US", "Hello from {{business}}! Reply to this message to reach our team."),
    ("order_update", "en_US", "Your order {{1}} is on its way and should arrive {{2}}."),
    (
        "follow_up",
        "en_US",
        "Hi {{1}}, we are following up on your question. Reply here and we will pick it up.",
    ),
]

DEMO_CANNED = [
    ("hi", "Greeting", "Hi! Thanks for writing to us. Let me look into this for you."),
    (
        "ship",
        "Shipping times",
        "Orders placed before 2 pm ship the same day; delivery takes 1–3 working days.",
    ),
    (
        "refund",
        "Refund policy",
        "You can return any item within 30 days for a full refund. "
        "I can start the return for you now.",
    ),
    ("bye", "Closing", "Glad I could help! If anything else comes up, just write here."),
]


def seed_inbox_catalogue() -> None:
    for name, language, body in DEMO_TEMPLATES:
        MessageTemplate.objects.get_or_create(
            name=name,
            language=language,
            defaults={
                "body": body.replace("{{business}}", "Baton"),
                "status": TemplateStatus.APPROVED,
            },
        )
    for shortcut, title, text in DEMO_CANNED:
        CannedResponse.objects.get_or_create(
            shortcut=shortcut, team=None, defaults={"title": title, "text": text}
        )
