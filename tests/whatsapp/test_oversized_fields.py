"""Over-long or path-like media fields never cost the customer their message (#9, item 5).

PostgreSQL enforces column lengths (SQLite does not), so the length cases matter there most.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from django.conf import settings

from baton.conversations.models import Message
from baton.whatsapp.models import DeadLetter
from tests.conftest import load_sample, make_inbox, meta_bytes, post_webhook
from tests.live import wait_for


def document_webhook(**document: str) -> bytes:
    payload = load_sample("inbound_document_real_capture.json")
    value = payload["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = "1122334455667"
    value["messages"][0]["document"].update(document)
    return meta_bytes(payload)


def stored_document(client, **document: str) -> Message:
    response = post_webhook(client, document_webhook(**document))
    assert response.status_code == 200, response.content
    assert not DeadLetter.objects.exists()
    return Message.objects.get(type="document")


def test_a_filename_over_255_characters_is_cut_keeping_its_extension(client, inbox):
    message = stored_document(client, filename="Factura " + "n" * 300 + ".pdf")
    assert len(message.media_filename) == 255
    assert message.media_filename.startswith("Factura nnn")
    assert message.media_filename.endswith(".pdf")


def test_a_mime_type_over_128_characters_is_cut(client, inbox):
    mime = "application/pdf; " + "x" * 200
    message = stored_document(client, mime_type=mime)
    assert message.media_mime_type == mime[:128]


def test_a_media_id_over_128_characters_is_kept_whole(client, inbox):
    # A cut id would name some other media, or none: the column is unbounded instead.
    media_id = "9" * 300
    message = stored_document(client, id=media_id)
    assert message.media_id == media_id
    assert message.media_state == "pending"


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("/etc/cron.d/job.pdf", "job.pdf"),
        ("C:\\Users\\ana\\factura.pdf", "factura.pdf"),
        ("fac\x07tu\nra\x1b.pdf", "factura.pdf"),
        ("..", ""),
    ],
)
def test_a_path_like_filename_becomes_a_plain_name(client, inbox, sent, shown):
    message = stored_document(client, filename=sent)
    assert message.media_filename == shown


def test_a_hostile_long_filename_still_downloads(baton_server, simulator):
    make_inbox(access_token="test-token")
    sent = "../../" + "é" * 300 + ".pdf"
    response = httpx.post(
        f"{simulator.base_url}/_sim/customers/34600111222/messages",
        json={"type": "document", "filename": sent, "name": "Ana"},
        timeout=10,
    )
    assert response.json()["status"] == 200
    message = Message.objects.get(wamid=response.json()["wamid"])
    assert message.media_filename == ("é" * 251) + ".pdf"
    wait_for(lambda: Message.objects.get(pk=message.pk).media_state == "ready", timeout=15)
    message.refresh_from_db()
    with message.media_file.open("rb") as fh:
        assert fh.read(5) == b"%PDF-"
    on_disk = Path(message.media_file.path).resolve()
    assert on_disk.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert on_disk.name.endswith(".pdf")
    assert len(on_disk.name.encode()) <= 255
