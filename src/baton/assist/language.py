"""Language detection with langid.py (its model ships inside the package: no download).

langid decodes its model when first used (about 3 s on a small CPU), so the identifier is
built once per process, on first use, behind a lock; after that one call takes well under a
millisecond. It is restricted to the languages Baton's customers write in, and its
probabilities are normalised, so the caller can refuse an unsure answer.
"""

from __future__ import annotations

import threading
from typing import Any

# The languages the identifier chooses among (ISO 639-1). A wider set makes short messages
# ("ok", "bom dia") more often wrong; this is the seed set's languages and their neighbours.
DETECTED_LANGUAGES = ("en", "es", "pt", "fr", "de", "it", "nl")
MIN_LETTERS = 8  # shorter texts ("ok", "👍") say nothing about a language

_identifier: Any = None
_lock = threading.Lock()


def _get_identifier() -> Any:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                # local import: langid decodes its model at import time (seconds)
                from langid.langid import LanguageIdentifier, model

                identifier = LanguageIdentifier.from_modelstring(model, norm_probs=True)
                identifier.set_languages(list(DETECTED_LANGUAGES))
                _identifier = identifier
    return _identifier


def detect_language(text: str) -> tuple[str, float]:
    """The most likely language and its probability; ``("", 0.0)`` for a text too short."""
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return "", 0.0
    language, probability = _get_identifier().classify(text)
    return str(language), float(probability)
