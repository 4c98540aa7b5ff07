"""Test output goes to temporary folders, never into the checkout's ``var/``.

A pytest plugin loaded with ``-p tests.isolation`` (pyproject.toml), so it is imported
before pytest-django reads ``baton.settings`` — which happens before any conftest.py, too
late to choose where settings put the data. The session's ``BATON_DATA_DIR`` (the SQLite
test database and its WAL, media, static files) is a fresh temporary folder, removed at
the end; subprocesses a test starts inherit it. Screenshots go to pytest's temporary
folder (see tests/browser/conftest.py).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# Always a fresh folder, even when the shell exported BATON_DATA_DIR for a real Baton:
# the suite must never write into a deployment's data.
SESSION_DATA_DIR = Path(tempfile.mkdtemp(prefix="baton-test-data-"))
os.environ["BATON_DATA_DIR"] = str(SESSION_DATA_DIR)


def pytest_unconfigure(config):
    shutil.rmtree(SESSION_DATA_DIR, ignore_errors=True)
