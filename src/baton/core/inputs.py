"""Reading numbers people and browsers send (query strings, form fields, socket messages)."""

from __future__ import annotations

import re
from typing import Any

_ASCII_DIGITS = re.compile(r"[0-9]{1,18}")


def whole_number(raw: Any) -> int | None:
    """ASCII digits as an int, else None (``str.isdigit`` also accepts "²", which ``int``
    refuses: a 500 waiting to happen)."""
    if isinstance(raw, str) and _ASCII_DIGITS.fullmatch(raw):
        return int(raw)
    return None
