"""The inline allow-list: declared type and sniffed bytes must both agree."""

from __future__ import annotations

import pytest

from baton.core.media_types import (
    essence,
    inline_content_type,
    is_inline_image_type,
    sniff_format,
    upload_message_type,
)
from baton.simulator.media import png

HTML = b"<!doctype html><script>alert(1)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00"


@pytest.mark.parametrize(
    ("declared", "head", "served"),
    [
        ("image/png", png(), "image/png"),
        ("IMAGE/PNG; charset=binary", png(), "image/png"),
        ("image/jpeg", JPEG, "image/jpeg"),
        ("image/jpg", JPEG, "image/jpeg"),
        ("image/gif", b"GIF89a\x01\x00", "image/gif"),
        ("image/webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        ("application/pdf", b"%PDF-1.7\n", "application/pdf"),
        ("audio/ogg; codecs=opus", b"OggS\x00\x02", "audio/ogg"),
        ("audio/mpeg", b"ID3\x04\x00", "audio/mpeg"),
        ("audio/aac", b"\xff\xf1\x50\x80", "audio/aac"),
        ("audio/amr", b"#!AMR\n", "audio/amr"),
        ("video/mp4", MP4, "video/mp4"),
        ("video/3gpp", MP4, "video/3gpp"),
        # Never inline, whatever the bytes:
        ("text/html", HTML, None),
        ("image/svg+xml", SVG, None),
        ("image/svg+xml", png(), None),
        ("application/xhtml+xml", HTML, None),
        ("text/plain", b"hello", None),
        ("application/octet-stream", png(), None),
        ("", png(), None),
        # An allow-listed type whose bytes say otherwise:
        ("image/png", HTML, None),
        ("image/png", SVG, None),
        ("image/png", JPEG, None),
        ("application/pdf", HTML, None),
        ("video/mp4", HTML, None),
        ("audio/mpeg", b"", None),
    ],
)
def test_inline_only_when_type_and_bytes_agree(declared, head, served):
    assert inline_content_type(declared, head) == served


def test_html_that_mentions_a_signature_later_is_not_that_format():
    assert sniff_format(b"<html>\x89PNG\r\n\x1a\n") is None
    assert sniff_format(b" %PDF-1.4") is None


def test_essence_drops_parameters_and_case():
    assert essence(" Audio/OGG ; codecs=opus") == "audio/ogg"


@pytest.mark.parametrize(
    ("declared", "shown"),
    [("image/png", True), ("image/webp", True), ("image/svg+xml", False), ("text/html", False)],
)
def test_the_timeline_offers_img_only_for_raster_types(declared, shown):
    assert is_inline_image_type(declared) is shown


@pytest.mark.parametrize(
    ("declared", "head", "kind"),
    [
        ("image/png", png(), "image"),
        ("image/jpeg", JPEG, "image"),
        ("image/png", HTML, "document"),
        ("image/svg+xml", SVG, "document"),
        ("image/gif", b"GIF89a", "document"),  # WhatsApp images are JPEG or PNG
        ("text/html", HTML, "document"),
        ("application/pdf", b"%PDF-1.4", "document"),
    ],
)
def test_an_upload_is_an_image_only_when_it_really_is_one(declared, head, kind):
    assert upload_message_type(declared, head) == kind
