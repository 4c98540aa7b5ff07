"""Which stored files a browser may show inline, judged by declared type *and* content.

Customers choose both the bytes and the MIME type they declare, and so does an agent's
browser for an upload. A file is shown inline only when its declared type is on a short
list of formats that cannot carry script (raster images, audio, video, PDF) and its first
bytes really are that format; everything else is served as a download. SVG and HTML are
never on the list: both run script when opened as a document.

Pure functions over bytes and strings, so the policy is tested without a database.
"""

from __future__ import annotations

# How many leading bytes the sniffer needs (the longest signature offset plus its length).
SNIFF_BYTES = 64

# Declared type → the sniffed formats that may honestly carry it.
INLINE_FORMATS: dict[str, frozenset[str]] = {
    "image/jpeg": frozenset({"jpeg"}),
    "image/png": frozenset({"png"}),
    "image/gif": frozenset({"gif"}),
    "image/webp": frozenset({"webp"}),
    "application/pdf": frozenset({"pdf"}),
    "audio/ogg": frozenset({"ogg"}),
    "audio/opus": frozenset({"ogg"}),
    "audio/mpeg": frozenset({"mp3"}),
    "audio/aac": frozenset({"adts", "isobmff"}),
    "audio/mp4": frozenset({"isobmff"}),
    "audio/amr": frozenset({"amr"}),
    "audio/wav": frozenset({"wav"}),
    "audio/webm": frozenset({"webm"}),
    "video/mp4": frozenset({"isobmff"}),
    "video/3gpp": frozenset({"isobmff"}),
    "video/quicktime": frozenset({"isobmff"}),
    "video/webm": frozenset({"webm"}),
}
# Spellings seen in the wild for the same types.
ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "audio/x-wav": "audio/wav"}

# Image types the conversation shows with <img>; WhatsApp sends images as JPEG or PNG,
# stickers as WebP.
INLINE_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# What an agent's upload may go out as an "image" (WhatsApp's image message).
SENDABLE_IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


def essence(mime_type: str) -> str:
    """``"Audio/OGG; codecs=opus"`` → ``"audio/ogg"``."""
    base = (mime_type or "").split(";", 1)[0].strip().lower()
    return ALIASES.get(base, base)


def sniff_format(head: bytes) -> str | None:
    """The container format that ``head`` (a file's first bytes) starts with, if known."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head[4:8] == b"ftyp":
        return "isobmff"  # MP4, M4A, 3GP, MOV
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "adts"  # AAC: 12-bit sync word, layer bits 00
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "mp3"  # MPEG audio frame sync
    return None


def inline_content_type(declared: str, head: bytes) -> str | None:
    """The type to serve a file inline under, or None when it must be a download."""
    mime = essence(declared)
    formats = INLINE_FORMATS.get(mime)
    if formats is None or sniff_format(head) not in formats:
        return None
    return mime


def is_inline_image_type(declared: str) -> bool:
    """Whether the timeline may try an <img> for this declared type (the server still
    checks the bytes before serving it inline)."""
    return essence(declared) in INLINE_IMAGE_TYPES


def upload_message_type(declared: str, head: bytes) -> str:
    """``"image"`` for a real JPEG or PNG the browser also calls one; otherwise
    ``"document"`` (sent, and served back, as a file)."""
    mime = essence(declared)
    if mime in SENDABLE_IMAGE_TYPES and inline_content_type(mime, head) == mime:
        return "image"
    return "document"
