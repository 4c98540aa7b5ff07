"""Hostile and harmless files as customers and agents send them, stored like real media."""

from __future__ import annotations

import copy
from typing import Any

from baton.conversations.models import Message
from baton.simulator.media import png
from baton.whatsapp.delivery import do_store_media
from tests.conftest import load_sample, meta_bytes, post_webhook


# Each would, if it ran, leave three traces: the page title, localStorage and a request.
def script(name: str) -> str:
    return (
        "document.title='PWNED';"
        f"try{{localStorage.setItem('pwned','{name}')}}catch(e){{}}"
        f"fetch('/pwned/{name}').catch(function(){{}});"
    )


def hostile_html(name: str) -> bytes:
    return f"<!doctype html><title>x</title><script>{script(name)}</script>".encode()


def hostile_svg(name: str) -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
        f"<script>{script(name)}</script>"
        '<rect width="40" height="40" fill="red"/></svg>'
    ).encode()


MINIMAL_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# name → (WhatsApp message type, declared MIME type, file name, bytes)
CUSTOMER_FILES: dict[str, tuple[str, str, str, bytes]] = {
    "html-document": ("document", "text/html", "offer.html", hostile_html("html-document")),
    "svg-image": ("image", "image/svg+xml", "", hostile_svg("svg-image")),
    "svg-document": ("document", "image/svg+xml", "logo.svg", hostile_svg("svg-document")),
    "png-that-is-html": ("image", "image/png", "", hostile_html("png-that-is-html")),
    "real-png": ("image", "image/png", "", png(120, 80)),
    "real-pdf": ("document", "application/pdf", "invoice.pdf", MINIMAL_PDF),
}


def customer_sends_file(client, name: str, wa_id: str = "972987654321") -> Message:
    """The customer sends one of CUSTOMER_FILES; Baton has downloaded and stored it."""
    kind, mime, filename, content = CUSTOMER_FILES[name]
    payload: dict[str, Any] = copy.deepcopy(load_sample("inbound_document_forwarded.json"))
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = wa_id
    message = value["messages"][0]
    message.pop("document")
    message.pop("context")
    media: dict[str, Any] = {"mime_type": mime, "sha256": "x", "id": f"media-{name}"}
    if filename:
        media["filename"] = filename
    message.update({"from": wa_id, "id": f"wamid.{name}", "type": kind, kind: media})
    assert post_webhook(client, meta_bytes(payload)).status_code == 200
    stored = Message.objects.get(wamid=f"wamid.{name}")
    do_store_media(stored, content, mime, filename or f"{name}.bin")
    stored.refresh_from_db()
    return stored
