"""``X-Hub-Signature-256``: HMAC-SHA256 of the raw request bytes with the app secret."""

import hashlib
import hmac

PREFIX = "sha256="


def sign(body: bytes, app_secret: str) -> str:
    """The header value Meta sends for ``body``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def is_valid_signature(body: bytes, header: str | None, app_secret: str) -> bool:
    """True when ``header`` signs exactly these bytes. Compared in constant time."""
    if not header or not app_secret or not header.startswith(PREFIX):
        return False
    expected = sign(body, app_secret)
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode())
