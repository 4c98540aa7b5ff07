"""Making decoded webhook JSON storable, and customer file names safe. Pure functions.

Whatever Meta signs must end up in a row, either as a message or as a dead letter. Three
things in valid JSON cannot: NUL characters (PostgreSQL refuses them in text and jsonb),
lone UTF-16 surrogates (``"\\ud800"`` decodes to a str that no UTF-8 codec will encode) and
nesting deeper than PostgreSQL's jsonb parser or Python's own encoder will follow.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import Any

# Meta's payloads are about ten levels deep; deeper than this is hostile and is cut off.
MAX_JSON_DEPTH = 64
TOO_DEEP = f"[nested deeper than {MAX_JSON_DEPTH} levels: cut off by Baton]"

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(text: str) -> str:
    """``text`` without NULs, with lone surrogates replaced by U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return _LONE_SURROGATE.sub("\ufffd", text)


def storable_json(value: Any, depth: int = 0) -> Any:
    """A copy of decoded JSON that every database and encoder accepts (see module doc)."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict | list) and depth >= MAX_JSON_DEPTH:
        return TOO_DEEP
    if isinstance(value, dict):
        return {storable_text(str(k)): storable_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [storable_json(v, depth + 1) for v in value]
    return value


def fit(text: str, max_length: int) -> str:
    """``text`` cut to a column's length (for names and hints, never for identifiers)."""
    return text[:max_length]


def safe_filename(name: str, max_length: int = 255) -> str:
    """A customer's file name fit to show and to store: the last path segment only, no
    control characters, at most ``max_length`` characters, keeping the extension.

    The name arrives from the customer's phone; ``../../etc/passwd`` or ``C:\\boot.ini`` must
    become a plain name, never a path.
    """
    name = storable_text(name).replace("\\", "/")
    name = name.rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in ("", ".", ".."):
        return ""
    return _truncate_keeping_extension(name, max_length, in_bytes=False)


def storage_filename(name: str, max_bytes: int = 80) -> str:
    """``name`` cut to ``max_bytes`` UTF-8 bytes, keeping its extension: file systems count
    bytes (255 on ext4), and the storage path also carries the upload folder."""
    return _truncate_keeping_extension(name, max_bytes, in_bytes=True)


def _truncate_keeping_extension(name: str, limit: int, *, in_bytes: bool) -> str:
    def size(part: str) -> int:
        return len(part.encode()) if in_bytes else len(part)

    if size(name) <= limit:
        return name
    root, extension = os.path.splitext(name)
    if size(extension) > 16:
        root, extension = name, ""  # not an extension worth keeping: just cut the name
    room = limit - size(extension)
    root = root.encode()[:room].decode(errors="ignore") if in_bytes else root[:room]
    return root + extension
