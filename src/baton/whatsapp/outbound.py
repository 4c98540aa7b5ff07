"""What WhatsApp sends Baton's way, and what Baton sends WhatsApp: the Graph API bodies.

Builds the request body of every outbound message (text, media, reaction, template), keeps
free text inside the 24-hour customer-service window, and queues the message with its send
task in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from baton.agents.models import User
from baton.conversations.actions import record_outbound_message
from baton.conversations.models import (
    MEDIA_TYPES,
    Conversation,
    Direction,
    Message,
    MessageType,
)
from baton.conversations.notify import notify_message
from baton.core.errors import InvalidInput, WindowClosed
from baton.realtime.events import EventType
from baton.whatsapp.models import MessageTemplate, TemplateStatus
from baton.whatsapp.tasks import mark_read, send_outbound_message

MAX_TEXT_LENGTH = 4096


def _base_body(conversation: Conversation) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": conversation.contact.send_address,
    }


def template_body(template: dict[str, Any]) -> dict[str, Any]:
    """Graph API ``template`` object from Baton's simpler form.

    Accepts ``{"name", "language", "parameters": [..]}`` (body text parameters) or Meta's own
    ``components`` list, passed through.
    """
    name = str(template.get("name") or "").strip()
    if not name:
        raise InvalidInput("A template needs a name.")
    language = template.get("language") or "en_US"
    if isinstance(language, dict):
        language = language.get("code") or "en_US"
    body: dict[str, Any] = {"name": name, "language": {"code": str(language)}}
    if template.get("components"):
        body["components"] = template["components"]
    elif template.get("parameters"):
        params = template["parameters"]
        if not isinstance(params, list):
            raise InvalidInput("Template parameters must be a list.")
        body["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": str(p)} for p in params]}
        ]
    return body


def buttons_body(text: str, buttons: list[tuple[str, str]]) -> dict[str, Any]:
    """Graph API ``interactive`` object for reply buttons: ``buttons`` are (id, title)."""
    return {
        "type": "button",
        "body": {"text": text},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": option_id, "title": title}}
                for option_id, title in buttons
            ]
        },
    }


def list_body(text: str, button: str, rows: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Graph API ``interactive`` object for a list: ``rows`` are (id, title, description),
    in one section (WhatsApp counts at most 10 rows over all sections)."""
    return {
        "type": "list",
        "body": {"text": text},
        "action": {
            "button": button,
            "sections": [
                {
                    "title": button[:24],
                    "rows": [
                        {"id": row_id, "title": title, **({"description": desc} if desc else {})}
                        for row_id, title, desc in rows
                    ],
                }
            ],
        },
    }


def _interactive_text(interactive: dict[str, Any]) -> str:
    """What the timeline shows of an interactive message: its body and its options."""
    body = str(interactive.get("body", {}).get("text", ""))
    action = interactive.get("action", {})
    titles = [b["reply"]["title"] for b in action.get("buttons", [])]
    titles += [r["title"] for section in action.get("sections", []) for r in section["rows"]]
    return body + ("\n" + " · ".join(f"[{t}]" for t in titles) if titles else "")


def do_queue_outbound_message(
    conversation: Conversation,
    author: User | None,
    *,
    text: str | None = None,
    template: dict[str, Any] | None = None,
    reply_to: Message | None = None,
    media_file: Any = None,
    media_type: str | None = None,
    reaction: tuple[Message, str] | None = None,
    interactive: dict[str, Any] | None = None,
) -> Message:
    """Create a queued outbound message and enqueue its send, in one transaction.

    ``interactive`` is a Graph API interactive object (``buttons_body``, ``list_body``).

    The send task row is written in the same transaction as the message (the task backend
    is the database), so an accepted reply can never be lost between the two.
    """
    now = timezone.now()
    body = _base_body(conversation)
    if reply_to is not None and reply_to.wamid:
        body["context"] = {"message_id": reply_to.wamid}
    if template is not None:
        msg_type = MessageType.TEMPLATE
        body["type"] = "template"
        body["template"] = template_body(template)
        shown_text = f"Template {body['template']['name']}"
        params = template.get("parameters") or []
        if params:
            shown_text += ": " + ", ".join(str(p) for p in params)
    else:
        if not conversation.window_is_open(now):
            raise WindowClosed(
                "The 24-hour customer-service window is closed: the customer last wrote more "
                "than 24 hours ago. Send an approved template to reopen the conversation.",
                window_ends_at=conversation.window_ends_at.isoformat()
                if conversation.window_ends_at
                else None,
            )
        if reaction is not None:
            target, emoji = reaction
            if target.conversation_id != conversation.pk or not target.wamid:
                raise InvalidInput(
                    "Only a WhatsApp message of this conversation can be reacted to."
                )
            msg_type = MessageType.REACTION
            body["type"] = "reaction"
            body["reaction"] = {"message_id": target.wamid, "emoji": emoji}
            body.pop("context", None)
            shown_text = emoji
        elif interactive is not None:
            msg_type = MessageType.INTERACTIVE
            body["type"] = "interactive"
            body["interactive"] = interactive
            shown_text = _interactive_text(interactive)
        elif media_file is not None:
            msg_type = MessageType(media_type or "document")
            if msg_type not in MEDIA_TYPES:
                raise InvalidInput(f"Cannot send media of type {msg_type}.")
            media_obj: dict[str, Any] = {}
            if text:
                media_obj["caption"] = text
            if msg_type == MessageType.DOCUMENT:
                media_obj["filename"] = getattr(media_file, "name", "file")
            body["type"] = str(msg_type)
            body[str(msg_type)] = media_obj
            shown_text = text or ""
        else:
            shown_text = (text or "").strip()
            if not shown_text:
                raise InvalidInput("The message is empty.")
            if len(shown_text) > MAX_TEXT_LENGTH:
                raise InvalidInput(
                    f"A WhatsApp text can have at most {MAX_TEXT_LENGTH} characters."
                )
            msg_type = MessageType.TEXT
            body["type"] = "text"
            body["text"] = {"body": shown_text, "preview_url": "http" in shown_text}
    with transaction.atomic():
        message = record_outbound_message(
            conversation,
            author,
            msg_type=msg_type,
            text=shown_text,
            request=body,
            reply_to=reply_to,
            media_file=media_file,
            reaction=reaction,
        )
        send_outbound_message.enqueue(message.pk)
        if author is not None and not author.is_bot:
            # Answering means the agent has read the chat: show the customer blue ticks.
            latest_inbound = (
                Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
                .exclude(wamid__isnull=True)
                .order_by("-timestamp", "-id")
                .values_list("pk", flat=True)
                .first()
            )
            if latest_inbound is not None:
                mark_read.enqueue(latest_inbound)
        notify_message(message, EventType.MESSAGE_CREATED)
    return message


def check_send_template(
    conversation: Conversation, author: User, template_id: int, parameters: list[str]
) -> Message:
    """Validate a template choice from the composer against the catalogue, then send it.

    The parameter count is checked here because WhatsApp refuses a mismatch only after the
    message was queued (error 132000), which would show the agent a failed message instead
    of a form error.
    """
    template = MessageTemplate.objects.filter(
        pk=template_id, status=TemplateStatus.APPROVED
    ).first()
    if template is None:
        raise InvalidInput("Choose an approved template.")
    values = [p.strip() for p in parameters]
    if len(values) != template.parameter_count or not all(values):
        raise InvalidInput(
            f"The template {template.name} needs {template.parameter_count} parameter(s)."
        )
    return do_queue_outbound_message(
        conversation,
        author,
        template={"name": template.name, "language": template.language, "parameters": values},
    )
