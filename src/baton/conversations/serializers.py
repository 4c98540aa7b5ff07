"""Plain-dict views of conversations and messages, shared by the API and live events."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from baton.conversations.models import AuditEvent, Contact, Conversation, Message


def owner_dict(conversation: Conversation) -> dict[str, Any] | None:
    owner = conversation.owner
    if owner is None:
        return None
    return {
        "kind": "bot" if owner.is_bot else "agent",
        "username": owner.username,
        "name": owner.name,
    }


def contact_dict(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "name": contact.display_name,
        "wa_id": contact.wa_id,
        "user_id": contact.user_id,
        "username": contact.username,
        "phone": contact.phone,
    }


def conversation_dict(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "owner": owner_dict(conversation),
        "team": conversation.team.name if conversation.team_id and conversation.team else None,
        "priority": conversation.priority,
        "contact": contact_dict(conversation.contact),
        "inbox": {
            "id": conversation.inbox_id,
            "name": conversation.inbox.name,
            "phone_number_id": conversation.inbox.phone_number_id,
        },
        "created_at": conversation.created_at,
        "last_inbound_at": conversation.last_inbound_at,
        "last_message_at": conversation.last_message_at,
        "first_response_at": conversation.first_response_at,
        "window_ends_at": conversation.window_ends_at,
        "last_message_preview": conversation.last_message_preview,
    }


def message_dict(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "direction": message.direction,
        "type": message.type,
        "wamid": message.wamid,
        "text": message.text,
        "content": message.content,
        "context": message.context,
        "reply_to_id": message.reply_to_id,
        "reactions": message.reactions,
        "author": message.author.username if message.author_id and message.author else None,
        "media": (
            {
                "mime_type": message.media_mime_type,
                "filename": message.media_filename,
                "state": message.media_state,
                # The access-checked download (web.views.media), never the storage path.
                "url": reverse("web:media", args=[message.pk]) if message.media_file else None,
            }
            if message.media_state != "none"
            else None
        ),
        "status": message.status,
        "error": (
            {
                "code": message.error_code,
                "title": message.error_title,
                "details": message.error_details,
            }
            if message.status == "failed"
            else None
        ),
        "timestamp": message.timestamp,
    }


def event_dict(event: AuditEvent) -> dict[str, Any]:
    def name(user: Any) -> str | None:
        return user.username if user is not None else None

    return {
        "id": event.pk,
        "kind": event.kind,
        "actor": name(event.actor),
        "from_owner": name(event.from_owner),
        "to_owner": name(event.to_owner),
        "to_team": event.to_team.name if event.to_team else None,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "reason": event.reason,
        "note": event.note,
        "data": event.data,
        "created_at": event.created_at,
    }
