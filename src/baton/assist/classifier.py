"""The intent model on disk and in memory: train, store (atomic swap), load, classify.

The file is ``<BATON_DATA_DIR>/assist/intent-model-v<PIPELINE_VERSION>.joblib``: a dict with
the fitted pipeline, its revision (one more at every retrain), when and from what it was
trained, and the held-out evaluation the manager page shows. A retrain writes a temporary
file next to it and ``os.replace``s it, so a reader (any process) sees the old model or the
new one, never half a file; each process notices a swap by the file's modification time
(one ``stat`` per classification) and loads the new one.

Only trusted files are loaded (joblib is pickle): the file is Baton's own, written here, in
the data directory no request can write to.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
from django.conf import settings

from baton.assist.intents import (
    PIPELINE_VERSION,
    Example,
    Scorer,
    evaluate,
    load_seed,
    train,
    with_corrections,
)
from baton.assist.language import detect_language


@dataclass(frozen=True)
class Prediction:
    """What assist says about one message."""

    intent: str
    confidence: float
    language: str
    language_confidence: float


def model_path() -> Path:
    return Path(settings.DATA_DIR) / "assist" / f"intent-model-v{PIPELINE_VERSION}.joblib"


_loaded: dict[str, Any] = {}  # "mtime" → the file's mtime_ns, "model" → its dict
_train_lock = threading.Lock()


def train_model(
    corrections: list[Example] | None = None, last_correction_id: int = 0
) -> dict[str, Any]:
    """Train on the seed set (plus ``corrections``), measure on the held-out split, and
    swap the file in. Seconds of CPU: call it from a task or a command, never a request."""
    examples = with_corrections(load_seed(), corrections or [])
    with _train_lock:
        evaluation = evaluate(examples, threshold=settings.BATON_ASSIST_THRESHOLD)
        pipeline = train(examples)
        previous = read_model()
        model = {
            "version": PIPELINE_VERSION,
            "revision": (previous["revision"] + 1) if previous else 1,
            "trained_at": datetime.now(UTC).isoformat(),
            "examples": len(examples),
            "corrections": len(corrections or []),
            "last_correction_id": last_correction_id,
            "evaluation": evaluation.as_dict(),
            "pipeline": pipeline,
        }
        path = model_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".intent-model-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                joblib.dump(model, handle, compress=3)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return {**model, "scorer": Scorer(pipeline)}


def read_model() -> dict[str, Any] | None:
    """The current model (loaded again only when the file changed), or None if there is
    none yet."""
    path = model_path()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    if _loaded.get("mtime") != mtime:
        model = joblib.load(path)
        if model.get("version") != PIPELINE_VERSION:
            return None
        model["scorer"] = Scorer(model["pipeline"])  # built on load, never stored
        _loaded.update(mtime=mtime, model=model)
    return _loaded["model"]


def get_model() -> dict[str, Any]:
    """The current model, trained now if there is none (the first use after install when
    ``baton assist train`` was not run): seconds, once."""
    return read_model() or train_model()


def classify_intent(text: str, model: dict[str, Any] | None = None) -> tuple[str, float]:
    model = model or get_model()
    return model["scorer"].predict(text, settings.BATON_ASSIST_THRESHOLD)


def classify(text: str) -> Prediction:
    """Intent and language of one customer message."""
    intent, confidence = classify_intent(text)
    language, language_confidence = detect_language(text)
    return Prediction(intent, confidence, language, language_confidence)
