"""The intent model is trained once per test session (seconds of CPU), in the session's
temporary data directory, and shared by every assist test."""

from __future__ import annotations

import pytest

from baton.assist.classifier import read_model, train_model
from baton.assist.suggestions import indexes


@pytest.fixture(scope="session")
def _session_model():
    return read_model() or train_model()


@pytest.fixture(autouse=True)
def trained_model(_session_model):
    """Every assist test has the model (trained once per session)."""
    return _session_model


@pytest.fixture(autouse=True)
def _fresh_reply_indexes():
    """Each test builds its teams' reply indexes from its own database rows."""
    indexes.clear()
    yield
    indexes.clear()
