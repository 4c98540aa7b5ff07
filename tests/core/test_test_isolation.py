"""The suite writes nothing into the checkout: its data lives in temporary folders."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

CHECKOUT = Path(__file__).resolve().parents[2]
TEMP_ROOT = Path(tempfile.gettempdir()).resolve()


def test_the_data_folder_is_a_temporary_folder_outside_the_checkout():
    data_dir = Path(settings.DATA_DIR).resolve()
    assert not data_dir.is_relative_to(CHECKOUT)
    assert data_dir.is_relative_to(TEMP_ROOT)
    for written in (settings.STATIC_ROOT, settings.MEDIA_ROOT):
        assert not Path(written).resolve().is_relative_to(CHECKOUT)
    # Subprocesses that a test starts (baton serve, baton demo) write there too.
    assert Path(os.environ["BATON_DATA_DIR"]).resolve() == data_dir


def test_the_sqlite_test_database_and_its_log_are_in_the_temporary_folder(db):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps its files in its own data directory")
    database = Path(connection.settings_dict["NAME"]).resolve()
    assert database.is_relative_to(Path(settings.DATA_DIR).resolve())
    assert not database.is_relative_to(CHECKOUT)
